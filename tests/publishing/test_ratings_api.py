"""The rating scale: the default, admin-only replacement, ratings in use, and where it shows."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.publishing.conftest import Newsroom
from tests.support import ApiClient, UserFactory

TRAFFIC_LIGHTS = [
    {"slug": "green", "label": "Correct", "value": 3, "description": "Holds up."},
    {"slug": "amber", "label": "Misleading", "value": 2, "description": "True words, false picture."},
    {"slug": "red", "label": "Wrong", "value": 1, "description": "Does not hold up."},
    {"slug": "grey", "label": "Cannot say", "description": "Not enough evidence."},
]


@pytest.fixture()
def admin(api: ApiClient, users: UserFactory) -> ApiClient:
    return api.as_(users.token_for("admin"))


def _put(client: ApiClient, ratings: Any) -> Any:
    return client.put("/api/v1/ratings", json={"ratings": ratings})


def test_the_default_scale_is_the_one_in_design_md(api: ApiClient) -> None:
    body = api.get("/api/v1/ratings").get_json()
    assert [(r["slug"], r["label"], r["value"]) for r in body["items"]] == [
        ("true", "True", 5),
        ("mostly-true", "Mostly true", 4),
        ("half-true", "Half true", 3),
        ("mostly-false", "Mostly false", 2),
        ("false", "False", 1),
        ("unproven", "Unproven", None),
    ]
    assert (body["worst"], body["best"]) == (1, 5)


@pytest.mark.parametrize(("role", "status"), [("checker", 403), ("editor", 403), ("admin", 200)])
def test_only_admins_replace_the_scale(api: ApiClient, users: UserFactory, role: str, status: int) -> None:
    response = _put(api.as_(users.token_for(role)), TRAFFIC_LIGHTS)
    assert response.status_code == status, response.get_json()
    labels = [r["label"] for r in api.get("/api/v1/ratings").get_json()["items"]]
    assert (labels[0] == "Correct") is (status == 200)


def test_reading_the_scale_needs_a_token(client: FlaskClient) -> None:
    assert client.get("/api/v1/ratings").status_code == 401
    assert client.put("/api/v1/ratings", json={"ratings": TRAFFIC_LIGHTS}).status_code == 401


def test_a_new_scale_is_in_force_everywhere(
    admin: ApiClient, newsroom: Newsroom, public: FlaskClient
) -> None:
    response = _put(admin, TRAFFIC_LIGHTS)
    assert response.status_code == 200
    assert [r["slug"] for r in response.get_json()["items"]] == ["green", "amber", "red", "grey"]
    assert (response.get_json()["worst"], response.get_json()["best"]) == (1, 3)
    methodology = public.get("/fact-checks/methodology").data.decode()
    assert "Misleading" in methodology and "True words, false picture." in methodology
    assert "Mostly true" not in methodology

    tid = newsroom.in_triage("Crime doubled last year.")
    newsroom.checker.act(tid, "accept")
    old = newsroom.checker.put(f"/api/v1/tickets/{tid}/verdict", json={"rating": "false", "summary": "No."})
    assert old.status_code == 422 and "rating" in old.get_json()["errors"]
    newsroom.add_evidence(tid)
    newsroom.checker.act(tid, "submit", {"rating": "amber", "summary": "Recorded crime rose 4%."})
    published = newsroom.approve_and_publish(tid)
    assert published["verdict"]["rating_label"] == "Misleading"
    html = public.get(published["publication"]["url"]).data.decode()
    assert '"alternateName": "Misleading", "ratingValue": 2, "bestRating": 3, "worstRating": 1' in html


def test_ratings_in_use_cannot_be_removed_but_can_be_edited(
    admin: ApiClient, newsroom: Newsroom, public: FlaskClient
) -> None:
    published = newsroom.publish(rating="mostly-false")
    waiting = newsroom.submitted("Another claim, in review.", rating="half-true")
    without = [{"slug": "true", "label": "True", "value": 5}, {"slug": "false", "label": "False", "value": 1}]
    refused = _put(admin, without)
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["in_use"] == ["half-true", "mostly-false"]
    assert len(admin.get("/api/v1/ratings").get_json()["items"]) == 6, "nothing changed"

    renamed = [
        *without,
        {"slug": "mostly-false", "label": "Largely false", "value": 2},
        {"slug": "half-true", "label": "Half true", "value": 3},
    ]
    assert _put(admin, renamed).status_code == 200
    html = public.get(published["publication"]["url"]).data.decode()
    assert "Largely false" in html and '"alternateName": "Largely false"' in html
    assert newsroom.reviewer.act(waiting, "approve").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"ratings": []},
        {"ratings": [{"slug": "a", "label": "A"}, {"slug": "a", "label": "B"}]},
        {"ratings": [{"slug": "a", "label": "A", "value": 1}, {"slug": "b", "label": "B", "value": 1}]},
        {"ratings": [{"slug": "Not A Slug", "label": "A"}]},
        {"ratings": [{"slug": "a-", "label": "A"}]},
        {"ratings": [{"slug": "a", "label": "   "}]},
        {"ratings": [{"slug": "a"}]},
        {"ratings": [{"slug": "a", "label": "A", "value": "3"}]},
        {"ratings": [{"slug": "a", "label": "A", "value": 2.5}]},
        {"ratings": [{"slug": "a", "label": "A", "value": 10**12}]},
        {"ratings": [{"slug": "a", "label": "A", "colour": "red"}]},
        {"ratings": [{"slug": "a", "label": "A\u0000"}]},
        {"ratings": "all of them"},
        {"scale": []},
    ],
)
def test_invalid_scales_are_422(admin: ApiClient, body: dict[str, Any]) -> None:
    response = admin.put("/api/v1/ratings", json=body)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json" and response.get_json()["errors"]


def test_the_scale_takes_json_only(admin: ApiClient) -> None:
    response = admin.put("/api/v1/ratings", data="ratings=all", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert (
        admin.put("/api/v1/ratings", data="{", headers={"Content-Type": "application/json"}).status_code
        == 400
    )
