"""Migrations: one head, ``upgrade head`` on an empty database equals the models (SQLite and
PostgreSQL), ``downgrade base`` empties the database, and constraint names follow the convention.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, String, UniqueConstraint, inspect

import factcheck.models  # noqa: F401  (registers every table on Base.metadata)
from factcheck import migrate
from factcheck.config import normalise_database_url
from factcheck.db import NAMING_CONVENTION, Base, make_engine
from factcheck.references.fulltext import SEARCH_OBJECTS, include_object
from tests.support import new_postgres_database

REQUIRE_ALL = os.environ.get("FACTCHECK_REQUIRE_ALL") == "1"
MODEL_TABLES = sorted(Base.metadata.tables)


def _postgres_server_url() -> str:
    """The URL of FACTCHECK_TEST_DATABASE_URL's server; skips (or fails under REQUIRE_ALL) if unset.

    Set but empty is how scripts/test runs its SQLite-only pass (PostgreSQL gets its own pass),
    so that skips even under FACTCHECK_REQUIRE_ALL=1.
    """
    url = os.environ.get("FACTCHECK_TEST_DATABASE_URL")
    if url is None:
        if REQUIRE_ALL:
            pytest.fail("FACTCHECK_TEST_DATABASE_URL not set and FACTCHECK_REQUIRE_ALL=1")
        pytest.skip("FACTCHECK_TEST_DATABASE_URL not set")
    if not url:
        pytest.skip("FACTCHECK_TEST_DATABASE_URL is empty: SQLite-only pass")
    return normalise_database_url(url)


@pytest.fixture()
def fresh_postgres_url() -> Iterator[str]:
    """A newly created, uniquely named PostgreSQL database, dropped after the test."""
    with new_postgres_database(_postgres_server_url(), "factcheck_mig") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.db'}"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


def _schema_differences(url: str, metadata: MetaData = Base.metadata) -> list[Any]:
    """What ``alembic revision --autogenerate`` would emit to make ``url`` match ``metadata``."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "compare_server_default": True, "include_object": include_object},
            )
            differences: list[Any] = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    return differences


def _table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - SEARCH_OBJECTS  # tests/references checks those
    finally:
        engine.dispose()


def test_script_directory_has_exactly_one_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, script.get_heads()


def test_upgrade_head_on_empty_database_matches_models(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)

    assert _schema_differences(empty_database_url) == []
    assert _table_names(empty_database_url) == {*MODEL_TABLES, "alembic_version"}
    # The same check through migrations/env.py, i.e. with the project's own comparison settings.
    command.check(migrate.alembic_config(empty_database_url))


def test_downgrade_base_leaves_only_alembic_version_and_upgrade_works_again(
    empty_database_url: str,
) -> None:
    migrate.upgrade(empty_database_url)

    migrate.downgrade(empty_database_url, "base")
    assert _table_names(empty_database_url) == {"alembic_version"}

    migrate.upgrade(empty_database_url)
    assert _schema_differences(empty_database_url) == []


def test_schema_comparison_reports_a_column_type_that_differs_from_the_models(tmp_path: Path) -> None:
    """Guards the two tests above against passing vacuously: a real difference is reported."""
    url = f"sqlite:///{tmp_path / 'migrations.db'}"
    migrate.upgrade(url)
    altered = MetaData(naming_convention=NAMING_CONVENTION)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(altered)
    altered.tables["users"].c.email.type = String(100)  # the migration created String(320)

    differences = _schema_differences(url, altered)

    assert [(diff[0][0], diff[0][2], diff[0][3]) for diff in differences] == [
        ("modify_type", "users", "email")
    ]


@pytest.mark.parametrize("table_name", MODEL_TABLES)
def test_model_table_constraints_follow_the_naming_convention(table_name: str) -> None:
    table = Base.metadata.tables[table_name]

    assert table.primary_key.name == f"pk_{table_name}"
    for fk in table.foreign_key_constraints:
        column = fk.column_keys[0]
        assert fk.name == f"fk_{table_name}_{column}_{fk.referred_table.name}"
    for unique in (c for c in table.constraints if isinstance(c, UniqueConstraint)):
        assert unique.name == f"uq_{table_name}_" + "_".join(col.name for col in unique.columns)
    for index in table.indexes:
        assert index.name is not None and index.name.startswith(f"ix_{table_name}_"), index.name


def test_migrated_database_carries_the_models_constraint_names(empty_database_url: str) -> None:
    """Alembic does not compare primary-key or foreign-key names, so check them directly."""
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        inspector = inspect(engine)
        for table in Base.metadata.sorted_tables:
            expected = {
                "pk": table.primary_key.name,
                "fk": {fk.name for fk in table.foreign_key_constraints},
                "uq": {c.name for c in table.constraints if isinstance(c, UniqueConstraint)},
                "ix": {index.name for index in table.indexes},
            }
            reflected = {
                "pk": inspector.get_pk_constraint(table.name)["name"],
                "fk": {fk["name"] for fk in inspector.get_foreign_keys(table.name)},
                "uq": {uq["name"] for uq in inspector.get_unique_constraints(table.name)},
                "ix": {
                    index["name"]
                    for index in inspector.get_indexes(table.name)
                    if "duplicates_constraint" not in index  # PostgreSQL's index behind a UNIQUE
                    and index["name"] not in SEARCH_OBJECTS
                },
            }
            assert reflected == expected, table.name
    finally:
        engine.dispose()
