"""Object ids are no oracle: other people's tokens and webhook subscriptions, and objects asked for
under a parent they do not belong to, are 404 (API.md: "404 unknown, also for objects the caller
may not see"), exactly like ids that never existed, and nothing changes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from factcheck.db import unit_of_work
from factcheck.models import ApiToken
from tests.security.desk import Newsdesk
from tests.web.support import WebClient
from tests.webhooks.helpers import Sender

UNKNOWN = "0" * 32
BELOW_ADMIN = ("checker", "editor")


def signed_in(desk: Newsdesk, role: str) -> WebClient:
    web = WebClient(desk.app.test_client(), desk.people[role])
    assert web.sign_in(desk.people[role].email).status_code == 302
    return web


def admin_token_id(desk: Newsdesk) -> str:
    with desk.app.app_context(), unit_of_work() as session:
        return str(
            session.scalars(select(ApiToken.id).where(ApiToken.user_id == desk.people["admin"].id)).one()
        )


def api_paths(subscription: str, delivery: str) -> list[tuple[str, str, dict[str, object] | None]]:
    base = f"/api/v1/webhooks/{subscription}"
    return [
        ("GET", base, None),
        ("PATCH", base, {"active": False}),
        ("DELETE", base, None),
        ("GET", f"{base}/deliveries", None),
        ("GET", f"{base}/deliveries/{delivery}", None),
        ("POST", f"{base}/deliveries/{delivery}/redeliver", {}),
    ]


@pytest.mark.parametrize("role", BELOW_ADMIN)
def test_someone_elses_subscription_is_404_like_one_that_never_existed(desk: Newsdesk, role: str) -> None:
    before = desk.fingerprint()
    existing = api_paths(desk.subscription_id, desk.delivery_id)
    made_up = api_paths(UNKNOWN, UNKNOWN)

    for (method, path, body), (_, unknown_path, _) in zip(existing, made_up, strict=True):
        seen = desk.call(role, method, path, body)
        unseen = desk.call(role, method, unknown_path, body)
        assert (seen.status_code, unseen.status_code) == (404, 404), (method, path)
        assert seen.mimetype == unseen.mimetype == "application/problem+json"
        assert seen.get_json()["title"] == unseen.get_json()["title"]
    assert desk.fingerprint() == before


def web_object_pages(desk: Newsdesk, token_id: str) -> list[tuple[str, str]]:
    hook = f"/app/admin/webhooks/{desk.subscription_id}"
    return [
        ("POST", f"/app/admin/tokens/{token_id}/revoke"),
        ("POST", f"/app/admin/users/{desk.people['admin'].id}"),
        ("GET", hook),
        ("POST", f"{hook}/toggle"),
        ("GET", f"{hook}/deliveries/{desk.delivery_id}"),
        ("POST", f"{hook}/deliveries/{desk.delivery_id}/redeliver"),
    ]


@pytest.mark.parametrize("role", BELOW_ADMIN)
def test_someone_elses_token_user_and_subscription_pages_are_404(desk: Newsdesk, role: str) -> None:
    web = signed_in(desk, role)
    before = desk.fingerprint()

    for method, path in web_object_pages(desk, admin_token_id(desk)):
        if method == "GET":
            response = web.get(path)
        else:
            response = web.post(path, {f"{desk.people['admin'].id}-role": "checker"})
        assert response.status_code == 404, (method, path, response.status_code)
        assert "Not found" in response.get_data(as_text=True)
    assert desk.fingerprint() == before
    assert desk.api("admin").get("/api/v1/ratings").status_code == 200, "the admin's token still works"


def test_a_delivery_asked_for_under_another_subscription_is_404(desk: Newsdesk) -> None:
    other = desk.subscription()
    admin = signed_in(desk, "admin")
    before = desk.fingerprint()

    api = [
        desk.call("admin", "GET", f"/api/v1/webhooks/{other}/deliveries/{desk.delivery_id}"),
        desk.call("admin", "POST", f"/api/v1/webhooks/{other}/deliveries/{desk.delivery_id}/redeliver", {}),
    ]
    web = [
        admin.get(f"/app/admin/webhooks/{other}/deliveries/{desk.delivery_id}"),
        admin.post(f"/app/admin/webhooks/{other}/deliveries/{desk.delivery_id}/redeliver"),
    ]

    assert [response.status_code for response in api + web] == [404] * 4
    assert desk.fingerprint() == before


def test_a_reference_asked_for_under_another_ticket_is_404(desk: Newsdesk) -> None:
    other = desk.ticket("triage")
    checker = signed_in(desk, "checker")
    ref = desk.archived_reference
    before = desk.fingerprint()

    answers = [
        desk.call("checker", "GET", f"/api/v1/tickets/{other}/references/{ref}/archive"),
        desk.call("checker", "PATCH", f"/api/v1/tickets/{other}/references/{ref}", {"pinned": True}),
        checker.post(f"/app/tickets/{other}/references/{ref}", {"pinned": "true"}),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert desk.fingerprint() == before


def test_one_integrations_signature_opens_nothing_under_another_integrations_name(desk: Newsdesk) -> None:
    created = desk.api("admin").post("/api/v1/integrations", json={"name": "other-tipline"})
    assert created.status_code == 201
    sender = Sender(desk.client, desk.integration, desk.integration_secret)
    body = json.dumps({"type": "claim.submitted", "data": {"claim": "Signed by someone else."}}).encode()
    before = desk.fingerprint()

    response = sender.post(body, sender.headers(body), name="other-tipline")

    assert response.status_code == 401
    assert desk.fingerprint() == before
