"""Importing earlier fact-checks as ClaimReview records (API batch and CLI)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from factcheck import db
from factcheck.cli import main
from factcheck.config import Settings
from factcheck.models import ClaimReviewRecord
from tests.references.conftest import CLAIMREVIEW
from tests.support import ApiClient, UserFactory, service_env

OTHER = {**CLAIMREVIEW, "url": "https://checks.example/other", "claimReviewed": "Sea ice is growing"}


def test_batch_imports_updates_by_url_and_skips_what_it_cannot_use(api: ApiClient, app: Flask) -> None:
    first = api.post("/api/v1/claimreviews:batch", json={"claimreviews": [CLAIMREVIEW, OTHER]})
    assert first.status_code == 201
    assert first.get_json() | {"errors": []} == {"imported": 2, "updated": 0, "skipped": 0, "errors": []}

    changed = {**CLAIMREVIEW, "reviewRating": {"@type": "Rating", "alternateName": "Mostly true"}}
    broken = [
        {"@type": "ClaimReview", "claimReviewed": "no url"},
        {"@type": "Article", "url": "https://x.example"},
    ]
    again = api.post(
        "/api/v1/claimreviews:batch", json={"claimreviews": [changed, OTHER, *broken]}
    ).get_json()
    assert (again["imported"], again["updated"], again["skipped"]) == (0, 1, 3)
    assert [error["index"] for error in again["errors"]] == [2, 3]

    with app.app_context():
        record = db.session().scalar(
            select(ClaimReviewRecord).where(ClaimReviewRecord.url == CLAIMREVIEW["url"])
        )
    assert record is not None
    assert (record.rating, record.publisher, record.claimant) == (
        "Mostly true",
        "Example Checks",
        "A blogger",
    )
    assert record.date_published is not None and record.date_published.year == 2020


def test_graph_documents_are_opened_and_checkers_may_not_import(api: ApiClient, users: UserFactory) -> None:
    graph = {"@context": "https://schema.org", "@graph": [CLAIMREVIEW, {"@type": "WebPage"}]}
    response = api.post("/api/v1/claimreviews:batch", json={"claimreviews": [graph]})
    assert (response.get_json()["imported"], response.get_json()["skipped"]) == (1, 1)
    checker = api.as_(users.token_for("checker"))
    assert checker.post("/api/v1/claimreviews:batch", json={"claimreviews": [OTHER]}).status_code == 403
    assert api.post("/api/v1/claimreviews:batch", json={"claimreviews": []}).status_code == 422


def test_cli_imports_a_json_ld_file_and_a_jsonl_file(app: Flask, settings: Settings, tmp_path: Path) -> None:
    env = service_env(settings)
    json_ld = tmp_path / "reviews.jsonld"
    json_ld.write_text(json.dumps([CLAIMREVIEW, OTHER]))
    result = CliRunner().invoke(main, ["claimreviews", "import", str(json_ld)], env=env)
    assert result.exit_code == 0, result.output
    assert "imported 2, updated 0, skipped 0" in result.output

    jsonl = tmp_path / "reviews.jsonl"
    jsonl.write_text(
        json.dumps({**OTHER, "claimReviewed": "Sea ice is shrinking"}) + "\n" + json.dumps(CLAIMREVIEW)
    )
    result = CliRunner().invoke(main, ["claimreviews", "import", str(jsonl)], env=env)
    assert "imported 0, updated 1, skipped 1" in result.output

    (tmp_path / "bad").write_text("{not json")
    assert CliRunner().invoke(main, ["claimreviews", "import", str(tmp_path / "bad")], env=env).exit_code != 0
