"""The reference library: documents in, passages indexed (FTS5 / tsvector), search out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import delete, func, inspect, select, text

from factcheck import db
from factcheck.cli import main
from factcheck.config import Settings
from factcheck.models import LibraryDocument, LibraryPassage
from factcheck.references import documents
from tests.references.conftest import LIBRARY, add_library
from tests.support import ApiClient, UserFactory, service_env


def test_passages_are_whole_sentences_and_never_cross_paragraphs() -> None:
    text = "One two three. Four five six. Seven eight nine.\n\nNew paragraph here."
    assert documents.split_passages(text, max_words=6) == [
        "One two three. Four five six.",
        "Seven eight nine.",
        "New paragraph here.",
    ]


def test_a_document_is_stored_as_passages_and_found_by_search(api: ApiClient) -> None:
    created = api.post("/api/v1/library/documents", json=LIBRARY[0])
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["passages"] == 2 and body["created"] is True

    found = api.get("/api/v1/library/search", query_string={"q": "How much ice did Greenland lose in 2019?"})
    assert found.status_code == 200
    first = found.get_json()["items"][0]
    assert first["document_id"] == body["id"]
    assert first["url"] == LIBRARY[0]["url"] and "532 billion tonnes" in first["passage"]
    assert set(first) == {"document_id", "title", "url", "passage", "score"}


def test_the_same_document_twice_is_stored_once(api: ApiClient, app: Flask) -> None:
    first = api.post("/api/v1/library/documents", json=LIBRARY[1]).get_json()
    again = api.post("/api/v1/library/documents", json=LIBRARY[1]).get_json()
    assert again == {**first, "created": False}
    with app.app_context():
        assert db.session().scalar(db_count(LibraryDocument)) == 1


def db_count(model: type) -> Any:
    return select(func.count()).select_from(model)


def test_batch_adds_every_document_and_validates_each(api: ApiClient) -> None:
    response = api.post("/api/v1/library/documents:batch", json={"documents": LIBRARY})
    assert response.status_code == 201
    assert [item["created"] for item in response.get_json()["items"]] == [True, True, True]

    bad = api.post("/api/v1/library/documents:batch", json={"documents": [{"title": "No text"}]})
    assert bad.status_code == 422
    assert "documents" in bad.get_json()["errors"]


def test_checkers_search_and_only_editors_add(api: ApiClient, users: UserFactory) -> None:
    checker = api.as_(users.token_for("checker"))
    assert checker.post("/api/v1/library/documents", json=LIBRARY[0]).status_code == 403
    assert checker.get("/api/v1/library/search", query_string={"q": "ice"}).status_code == 200
    assert checker.get("/api/v1/library/search").status_code == 422


def test_rare_words_pick_candidates_and_common_words_still_rank_them(
    make_app: object, api: ApiClient
) -> None:
    """With a candidate bound of 3, "climate" (in every passage) cannot pick candidates; the
    one passage mentioning "permafrost" must still come first, and a query of common words only
    still answers."""
    filler = [
        {"title": f"Climate note {i}", "text": f"Climate report number {i} on climate."} for i in range(8)
    ]
    rare = {"title": "Thawing ground", "text": "Climate warming thaws permafrost in Siberia."}
    api.post("/api/v1/library/documents:batch", json={"documents": [*filler, rare]})
    bounded = make_app(library_candidates=3)  # type: ignore[operator]
    with bounded.app_context():
        hits = documents.search(db.session(), "climate permafrost", 5, candidates=3)
        assert hits[0].title == "Thawing ground"
        common = documents.search(db.session(), "climate report", 5, candidates=3)
        assert common and all("Climate" in hit.title for hit in common)


def test_search_ignores_operators_and_punctuation_in_the_query(api: ApiClient) -> None:
    api.post("/api/v1/library/documents:batch", json={"documents": LIBRARY})
    for query in ['"unbalanced', "NEAR(ice sheet)", "ice* OR -sea", "a AND the", "!!!", "\u00e9t\u00e9 2019"]:
        response = api.get("/api/v1/library/search", query_string={"q": query})
        assert response.status_code == 200, (query, response.get_json())


def test_the_index_follows_deleted_documents(api: ApiClient, app: Flask) -> None:
    api.post("/api/v1/library/documents:batch", json={"documents": LIBRARY})
    with app.app_context():
        session = db.session()
        session.execute(delete(LibraryDocument).where(LibraryDocument.url == LIBRARY[0]["url"]))
        session.commit()
        assert session.scalar(db_count(LibraryPassage)) == 2
        assert not [hit for hit in documents.search(session, "Greenland 532 billion", 5, 100) if hit.url]


def test_fulltext_objects_exist_on_this_backend(app: Flask) -> None:
    with app.app_context():
        engine = db.engine()
        if engine.dialect.name == "postgresql":
            columns = {column["name"] for column in inspect(engine).get_columns("library_passages")}
            assert "search_vector" in columns
            indexes = (
                db.session()
                .scalars(
                    text(
                        "SELECT indexdef FROM pg_indexes"
                        " WHERE indexname = 'ix_library_passages_search_vector'"
                    )
                )
                .all()
            )
            assert indexes and "gin" in indexes[0].lower()
        else:
            names = set(inspect(engine).get_table_names())
            assert {"library_passages_fts", "claim_reviews_fts"} <= names


def test_cli_import_shows_progress_and_reports_counts(app: Flask, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "library.jsonl"
    lines = [json.dumps(item) for item in LIBRARY] + [
        json.dumps({**LIBRARY[0], "published_at": "2020-01-02"})
    ]
    path.write_text("\n".join(lines) + "\n")
    env = service_env(settings)
    result = CliRunner().invoke(main, ["library", "import", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "importing" in result.output
    assert "imported 3 documents (4 passages); 1 were already in the library" in result.output

    path.write_text('{"title": "x"}\n')
    failed = CliRunner().invoke(main, ["library", "import", str(path)], env=env)
    assert failed.exit_code != 0 and "line 1: text is required" in failed.output


def test_library_search_bounds_work_by_document_frequency(app: Flask) -> None:
    add_library(app)
    with app.app_context():
        hits = documents.search(db.session(), "the and of", 5, 100)
    assert hits == [], "stop words alone find nothing"
