"""Public routes: what is not published is 404, bad addresses are never 500, limits answer 429."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.publishing.conftest import Newsroom

PUBLIC_ROUTES = (
    "/fact-checks/",
    "/fact-checks/methodology",
    "/fact-checks/corrections",
    "/fact-checks/feed.json",
    "/fact-checks/feed.xml",
    "/api/v1/fact-checks",
)


@pytest.mark.parametrize("path", PUBLIC_ROUTES)
def test_public_routes_need_no_login(public: FlaskClient, path: str) -> None:
    response = public.get(path)
    assert response.status_code == 200, response.data[:300]


@pytest.mark.parametrize(
    "slug",
    [
        "no-such-fact-check-12345678",
        "Upper-Case",
        "a" * 201,
        "%00",
        "caf%C3%A9",
        "..%2F..%2Fetc%2Fpasswd",
        "a--b",
    ],
)
def test_unknown_or_impossible_slugs_are_404_problems(public: FlaskClient, slug: str) -> None:
    response = public.get(f"/fact-checks/{slug}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_unpublished_tickets_are_not_public(newsroom: Newsroom, public: FlaskClient) -> None:
    published = newsroom.publish("Published claim about ferries.")
    waiting = newsroom.submitted("Approved but unpublished claim about trains.", summary="SECRET-SUMMARY")
    assert newsroom.reviewer.act(waiting, "approve").get_json()["state"] == "approved"
    seen = "".join(public.get(path).data.decode() for path in PUBLIC_ROUTES)
    assert "Published claim about ferries." in seen
    assert "unpublished claim about trains" not in seen and "SECRET-SUMMARY" not in seen
    assert newsroom.editor.get(f"/api/v1/tickets/{waiting}/claimreview").status_code == 404
    assert public.get(published["publication"]["url"]).status_code == 200


def test_pages_are_html_with_a_strict_content_security_policy(
    newsroom: Newsroom, public: FlaskClient
) -> None:
    published = newsroom.publish()
    response = public.get(published["publication"]["url"])
    assert response.mimetype == "text/html"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_methodology_page_publishes_the_scale(public: FlaskClient) -> None:
    html = public.get("/fact-checks/methodology").data.decode()
    for label, value in (("True", "5"), ("Mostly true", "4"), ("Half true", "3"), ("False", "1")):
        assert f"<td><strong>{label}</strong></td>\n    <td>{value}</td>" in html
    assert "<td><strong>Unproven</strong></td>\n    <td>—</td>" in html
    assert "from 1 (least accurate) to 5" in html


def test_the_index_pages_with_a_cursor(newsroom: Newsroom, public: FlaskClient) -> None:
    newsroom.publish("First claim about bridges.")
    html = public.get("/fact-checks/").data.decode()
    assert "First claim about bridges." in html and "Older fact-checks" not in html
    assert public.get("/fact-checks/?cursor=not-a-cursor").status_code == 400


@pytest.mark.parametrize(
    "path", ["/fact-checks/corrections", "/api/v1/fact-checks", "/fact-checks/some-slug"]
)
def test_public_routes_are_rate_limited_with_retry_after(app_with: Callable[..., Flask], path: str) -> None:
    reader = app_with(public_rate_limit="2 per minute").test_client()
    statuses = [reader.get(path).status_code for _ in range(3)]
    assert statuses[2] == 429, statuses
    limited = reader.get(path)
    assert limited.status_code == 429 and limited.mimetype == "application/problem+json"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
