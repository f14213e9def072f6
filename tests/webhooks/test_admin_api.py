"""Admin endpoints for subscriptions and integrations: access, validation, CRUD, the delivery list, CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck.config import Settings
from tests.support import ApiClient, UserFactory, service_env
from tests.webhooks.conftest import Subscribe
from tests.webhooks.helpers import CLAIM, Sender, all_settled, drive
from tests.webhooks.receiver import Receiver

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ADMIN_ENDPOINTS = [
    ("post", "/api/v1/integrations", {"name": "x"}),
    ("get", "/api/v1/integrations", None),
    ("post", "/api/v1/webhooks", {"url": "https://hooks.example/in", "events": ["ticket.created"]}),
    ("get", "/api/v1/webhooks", None),
    ("get", "/api/v1/webhooks/{id}", None),
    ("patch", "/api/v1/webhooks/{id}", {"active": False}),
    ("delete", "/api/v1/webhooks/{id}", None),
    ("get", "/api/v1/webhooks/{id}/deliveries", None),
    ("post", "/api/v1/webhooks/{id}/deliveries/nope/redeliver", {}),
]


@pytest.fixture()
def subscription(admin: ApiClient) -> dict[str, Any]:
    response = admin.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example/in", "events": ["ticket.created"]}
    )
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def _call(client: ApiClient, method: str, path: str, body: Any) -> Any:
    if method in ("get", "delete"):
        return client.client.open(path, method=method.upper(), headers=client._headers(None))
    return getattr(client, method)(path, json=body)


@pytest.mark.parametrize("role", ["checker", "editor"])
@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ENDPOINTS)
def test_webhook_administration_is_for_admins_only(
    api: ApiClient,
    users: UserFactory,
    subscription: dict[str, Any],
    role: str,
    method: str,
    path: str,
    body: Any,
) -> None:
    one_subscription = "{id}" in path  # API.md: an object the caller may not see is 404, not 403
    path = path.format(id=subscription["id"])
    response = _call(api.as_(users.token_for(role)), method, path, body)
    assert response.status_code == (404 if one_subscription else 403), response.get_json()
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ENDPOINTS)
def test_webhook_administration_needs_credentials(
    client: FlaskClient, subscription: dict[str, Any], method: str, path: str, body: Any
) -> None:
    response = client.open(path.format(id=subscription["id"]), method=method.upper(), json=body)
    assert response.status_code == 401


def test_a_subscription_is_created_shown_changed_listed_and_deleted(admin: ApiClient) -> None:
    created = admin.post(
        "/api/v1/webhooks",
        json={
            "url": "https://hooks.example/in",
            "events": ["ticket.created", "ticket.created", "ticket.published"],
        },
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["events"] == ["ticket.created", "ticket.published"]
    assert (body["active"], body["health"], body["disabled_reason"]) == (True, "ok", None)
    assert created.headers["Location"] == f"/api/v1/webhooks/{body['id']}"
    one = f"/api/v1/webhooks/{body['id']}"

    shown = admin.get(one).get_json()
    assert "secret" not in shown and shown["url"] == "https://hooks.example/in"
    changed = admin.patch(one, json={"events": ["ticket.retracted"], "url": "https://hooks.example/v2"})
    assert changed.status_code == 200
    assert (changed.get_json()["events"], changed.get_json()["url"]) == (
        ["ticket.retracted"],
        "https://hooks.example/v2",
    )
    paused = admin.patch(one, json={"active": False}).get_json()
    assert (paused["active"], paused["health"], paused["disabled_reason"]) == (
        False,
        "disabled",
        "disabled by an admin",
    )

    for number in range(3):
        admin.post(
            "/api/v1/webhooks", json={"url": f"https://hooks.example/{number}", "events": ["ticket.created"]}
        )
    first = admin.get("/api/v1/webhooks?limit=3").get_json()
    rest = admin.get(f"/api/v1/webhooks?limit=3&cursor={first['next_cursor']}").get_json()
    ids = [item["id"] for item in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 4 and rest["next_cursor"] is None
    assert admin.get("/api/v1/webhooks?cursor=nonsense").status_code == 400

    assert admin.client.delete(one, headers=admin._headers(None)).status_code == 204
    assert admin.get(one).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"url": "ftp://hooks.example/x", "events": ["ticket.created"]}, "url", id="ftp"),
        pytest.param({"url": "not a url", "events": ["ticket.created"]}, "url", id="not-a-url"),
        pytest.param({"url": "http://10.0.0.5/hook", "events": ["ticket.created"]}, "url", id="private-ip"),
        pytest.param(
            {"url": "http://[::1]:8080/hook", "events": ["ticket.created"]}, "url", id="loopback-v6"
        ),
        pytest.param(
            {"url": "http://169.254.169.254/latest", "events": ["ticket.created"]}, "url", id="metadata"
        ),
        pytest.param(
            {"url": "https://hooks.example/" + "x" * 2100, "events": ["ticket.created"]}, "url", id="long"
        ),
        pytest.param({"url": "https://hooks.example/in", "events": []}, "events", id="no-events"),
        pytest.param(
            {"url": "https://hooks.example/in", "events": ["ticket.deleted"]}, "events", id="unknown-event"
        ),
        pytest.param({"url": "https://hooks.example/in"}, "events", id="events-missing"),
        pytest.param(
            {"url": "https://hooks.example/in", "events": ["ticket.created"], "x": 1}, "x", id="unknown-field"
        ),
    ],
)
def test_a_subscription_that_can_never_work_is_refused(
    admin: ApiClient, body: dict[str, Any], field: str
) -> None:
    response = admin.post("/api/v1/webhooks", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]


def test_an_allow_listed_internal_receiver_is_accepted(admin: ApiClient) -> None:
    response = admin.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["ticket.created"]}
    )
    assert response.status_code == 201, "the test settings allow 127.0.0.1"
    patched = admin.patch(f"/api/v1/webhooks/{response.get_json()['id']}", json={"url": "http://10.1.1.1/"})
    assert patched.status_code == 422


@pytest.mark.parametrize(
    "path", ["/api/v1/webhooks/nope", "/api/v1/webhooks/nope/deliveries", "/api/v1/webhooks/x" * 40]
)
def test_unknown_subscriptions_are_404(admin: ApiClient, path: str) -> None:
    assert admin.get(path).status_code == 404


def test_deliveries_list_pages_newest_first_and_filters_by_status(
    app: Flask, api: ApiClient, admin: ApiClient, subscribe: Subscribe, receiver: Receiver
) -> None:
    subscription = subscribe(receiver, ["ticket.created"])
    for number in range(5):
        api.create_ticket(f"Claim {number} about the tides.")
    drive(app, lambda: all_settled(app))
    base = f"/api/v1/webhooks/{subscription['id']}/deliveries"

    first = admin.get(f"{base}?limit=2").get_json()
    assert set(first["items"][0]) >= {
        "id",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
    }
    seen = [item["id"] for item in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = admin.get(f"{base}?limit=2&cursor={cursor}").get_json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 5
    assert len(admin.get(f"{base}?status=delivered").get_json()["items"]) == 5
    assert admin.get(f"{base}?status=pending").get_json()["items"] == []
    assert admin.get(f"{base}?status=lost").status_code == 422
    other = admin.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example/o", "events": ["ticket.created"]}
    )
    assert admin.get(f"/api/v1/webhooks/{other.get_json()['id']}/deliveries/{seen[0]}").status_code == 404


def test_the_openapi_document_describes_the_webhook_endpoints(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/integrations",
        "/api/v1/webhooks",
        "/api/v1/webhooks/{subscription_id}",
        "/api/v1/webhooks/{subscription_id}/deliveries",
        "/api/v1/webhooks/{subscription_id}/deliveries/{delivery_id}",
        "/api/v1/webhooks/{subscription_id}/deliveries/{delivery_id}/redeliver",
        "/hooks/v1/{integration}",
    ):
        assert path in paths, path
    assert paths["/hooks/v1/{integration}"]["post"]["security"] == []


def test_the_cli_creates_an_integration_and_prints_only_its_secret(
    settings: Settings, app: Flask, client: FlaskClient
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "factcheck", "integrations", "create", "whatsapp-tipline"],
        env=service_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    secret = result.stdout.strip()
    assert secret.startswith("whsec_") and "\n" not in secret

    assert Sender(client, "whatsapp-tipline", secret).send(CLAIM).status_code == 202
    again = subprocess.run(
        [sys.executable, "-m", "factcheck", "integrations", "create", "whatsapp-tipline"],
        env=service_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert again.returncode != 0 and "exists" in again.stderr
