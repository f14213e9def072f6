"""Migration 0004's hand-written full-text objects: created on upgrade, gone on downgrade,
and ignored on purpose by the model comparison (tests/test_migrations.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from factcheck import migrate
from factcheck.db import make_engine
from factcheck.references.fulltext import SEARCH_OBJECTS, include_object
from tests.test_migrations import empty_database_url, fresh_postgres_url  # noqa: F401 (fixtures)


def _objects(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        inspector = inspect(engine)
        found = set(inspector.get_table_names())
        if engine.dialect.name == "postgresql":
            for table in ("library_passages", "claim_reviews"):
                if table in found:
                    found |= {f"{table}.{c['name']}" for c in inspector.get_columns(table)}
                    found |= {index["name"] for index in inspector.get_indexes(table)}
        return found
    finally:
        engine.dispose()


def test_upgrade_creates_and_downgrade_removes_the_fulltext_objects(empty_database_url: str) -> None:  # noqa: F811
    migrate.upgrade(empty_database_url, "0004")
    created = _objects(empty_database_url)
    if empty_database_url.startswith("postgresql"):
        expected = {
            "library_passages.search_vector",
            "claim_reviews.search_vector",
            "ix_library_passages_search_vector",
            "ix_claim_reviews_search_vector",
        }
    else:
        expected = {
            "library_passages_fts",
            "library_passages_fts_vocab",
            "claim_reviews_fts",
            "claim_reviews_fts_data",
        }
    assert expected <= created

    migrate.downgrade(empty_database_url, "0003")
    remaining = _objects(empty_database_url)
    assert not {
        name for name in remaining if name.split(".")[-1] in SEARCH_OBJECTS or "search_vector" in name
    }
    assert "library_passages" not in remaining


def test_the_sqlite_index_stays_in_step_with_inserts_updates_and_deletes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fts.db'}"
    migrate.upgrade(url, "0004")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO library_documents (id, title, content_sha256, passage_count, created_at) "
                    "VALUES ('d1', 'T', 'h', 1, '2026-01-01')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO library_passages (document_id, position, title, text)"
                    " VALUES ('d1', 0, 'T', 'glacier')"
                )
            )

            def matches(word: str) -> int:
                return int(
                    connection.execute(
                        text("SELECT count(*) FROM library_passages_fts WHERE library_passages_fts MATCH :w"),
                        {"w": word},
                    ).scalar_one()
                )

            assert matches("glacier") == 1
            connection.execute(text("UPDATE library_passages SET text = 'permafrost'"))
            assert (matches("glacier"), matches("permafrost")) == (0, 1)
            connection.execute(text("DELETE FROM library_passages"))
            assert matches("permafrost") == 0
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("name", "type_", "ignored"),
    [
        ("library_passages_fts", "table", True),
        ("library_passages_fts_docsize", "table", True),
        ("ix_library_passages_search_vector", "index", True),
        ("library_passages", "table", False),
        ("ix_claim_reviews_claim_key", "index", False),
    ],
)
def test_the_comparison_ignores_only_the_fulltext_objects(name: str, type_: str, ignored: bool) -> None:
    assert include_object(None, name, type_, True, None) is not ignored
