"""GET /api/v1/fact-checks (public list with filters and cursors) and the ClaimReview endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from factcheck.models import Publication
from tests.publishing.conftest import Newsroom


def _slugs(public: FlaskClient, query: str = "") -> list[str]:
    response = public.get(f"/api/v1/fact-checks{query}")
    assert response.status_code == 200, response.get_json()
    return [item["claim"] for item in response.get_json()["items"]]


@pytest.fixture()
def three(newsroom: Newsroom, app: Flask) -> list[dict[str, Any]]:
    """Three fact-checks first published on 1, 2 and 3 March 2026, by two speakers."""
    published = [
        newsroom.publish("Ferries run every hour.", "false", "Timetables show two hours.", speaker="Ann Lee"),
        newsroom.publish("Bridges got 40% more traffic.", "true", "Counters agree.", speaker="Bo Park"),
        newsroom.publish("Trains are on time.", "unproven", "No ferry or train data yet.", speaker="ann lee"),
    ]
    with app.app_context():
        from datetime import UTC, datetime

        from factcheck import db

        session = db.session()
        for day, ticket in enumerate(published, start=1):
            row = session.scalar(select(Publication).where(Publication.ticket_id == ticket["id"]))
            assert row is not None
            row.published_at = datetime(2026, 3, day, 12, tzinfo=UTC)
        session.commit()
    return published


def test_lists_newest_first_with_the_published_fields(
    three: list[dict[str, Any]], public: FlaskClient
) -> None:
    body = public.get("/api/v1/fact-checks").get_json()
    assert [item["claim"] for item in body["items"]] == [
        "Trains are on time.",
        "Bridges got 40% more traffic.",
        "Ferries run every hour.",
    ]
    first = body["items"][2]
    assert first | {"id": None, "slug": None, "url": None, "modified_at": None} == {
        "id": None,
        "slug": None,
        "url": None,
        "claim": "Ferries run every hour.",
        "speaker": "Ann Lee",
        "claim_date": None,
        "language": "en",
        "rating": "false",
        "rating_label": "False",
        "rating_value": 1,
        "summary": "Timetables show two hours.",
        "version": 1,
        "kind": "initial",
        "under_review": False,
        "published_at": "2026-03-01T12:00:00Z",
        "modified_at": None,
    }
    assert first["url"] == f"http://localhost:8000/fact-checks/{first['slug']}"
    assert body["next_cursor"] is None


FILTERS = (
    ("?rating=false", ["Ferries run every hour."]),
    ("?rating=unproven", ["Trains are on time."]),
    ("?rating=no-such-rating", []),
    ("?speaker=ANN", ["Trains are on time.", "Ferries run every hour."]),
    ("?speaker=100%25", []),
    ("?since=2026-03-02", ["Trains are on time.", "Bridges got 40% more traffic."]),
    ("?until=2026-03-02", ["Bridges got 40% more traffic.", "Ferries run every hour."]),
    ("?since=2026-03-02&until=2026-03-02", ["Bridges got 40% more traffic."]),
    (
        "?until=9999-12-31&since=0001-01-01",
        ["Trains are on time.", "Bridges got 40% more traffic.", "Ferries run every hour."],
    ),
    ("?q=ferry", ["Trains are on time."]),
    ("?q=ferries", ["Ferries run every hour."]),
    ("?q=40%25", ["Bridges got 40% more traffic."]),
    ("?q=_", []),
)


def test_filters(three: list[dict[str, Any]], public: FlaskClient) -> None:
    """rating (slug), speaker (any case, part of the name), since/until (first published, UTC), q."""
    for query, expected in FILTERS:
        assert _slugs(public, query) == expected, query


def test_cursor_pagination_walks_every_item_once(three: list[dict[str, Any]], public: FlaskClient) -> None:
    seen, cursor = [], ""
    while True:
        body = public.get(f"/api/v1/fact-checks?limit=2{cursor}").get_json()
        seen += [item["claim"] for item in body["items"]]
        if body["next_cursor"] is None:
            break
        cursor = f"&cursor={body['next_cursor']}"
    assert seen == ["Trains are on time.", "Bridges got 40% more traffic.", "Ferries run every hour."]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?limit=0", 422),
        ("?limit=501", 422),
        ("?limit=ten", 422),
        ("?since=yesterday", 422),
        ("?until=2026-02-30", 422),
        ("?q=", 422),
        ("?q=%00", 422),
        ("?speaker=" + "x" * 501, 422),
        ("?cursor=garbage", 400),
        ("?cursor=WyJ4IiwgIngiXQ", 400),
    ],
)
def test_bad_queries_are_problems_not_500s(public: FlaskClient, query: str, status: int) -> None:
    response = public.get(f"/api/v1/fact-checks{query}")
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"


def test_reopened_fact_checks_stay_listed_as_under_review(newsroom: Newsroom, public: FlaskClient) -> None:
    published = newsroom.publish()
    newsroom.editor.act(published["id"], "reopen", {"note": "Checking a new source."})
    [item] = public.get("/api/v1/fact-checks").get_json()["items"]
    assert item["under_review"] is True and item["rating"] == "false"


@pytest.mark.parametrize("ticket_id", ["nope", "x" * 65, "a%00b"])
def test_claimreview_of_unknown_tickets_is_404(newsroom: Newsroom, ticket_id: str) -> None:
    response = newsroom.editor.get(f"/api/v1/tickets/{ticket_id}/claimreview")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_claimreview_needs_a_token(newsroom: Newsroom, public: FlaskClient) -> None:
    published = newsroom.publish()
    assert public.get(f"/api/v1/tickets/{published['id']}/claimreview").status_code == 401


def test_the_openapi_document_describes_the_publication_routes(
    public: FlaskClient, newsroom: Newsroom
) -> None:
    paths = newsroom.editor.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/ratings",
        "/api/v1/fact-checks",
        "/api/v1/tickets/{ticket_id}/claimreview",
        "/fact-checks/{slug}",
        "/fact-checks/feed.json",
        "/fact-checks/feed.xml",
        "/fact-checks/corrections",
        "/fact-checks/methodology",
    ):
        assert path in paths, path
    assert paths["/api/v1/fact-checks"]["get"]["security"] == []
