"""Rate limits on what strangers and stolen credentials would hammer: sign-in, the public tip form,
inbound hooks and API token creation. Past the limit: 429 with ``Retry-After``, and nothing of
the refused request is stored (the whole database is compared before and after)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from factcheck import create_app
from factcheck.config import SettingsError
from tests.security.conftest import ModuleApps, base_settings
from tests.security.desk import DESK_SETTINGS, Newsdesk, unique
from tests.web.support import PASSWORD, WebClient
from tests.webhooks.helpers import Sender

LIMITS = {
    "login_rate_limit": "3 per minute",
    "tip_rate_limit": "2 per hour",
    "inbound_rate_limit": "2 per minute",
    "token_rate_limit": "2 per hour",
}
_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


@pytest.fixture(scope="module")
def desk(module_apps: ModuleApps) -> Newsdesk:
    return Newsdesk(module_apps(**DESK_SETTINGS, **LIMITS))


def browser(app: Flask) -> WebClient:
    """A browser at an address of its own: limits are counted per client address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = next(_addresses)
    return WebClient(client)


def assert_rate_limited(response: TestResponse) -> None:
    assert response.status_code == 429, response.get_data(as_text=True)[:300]
    retry_after = response.headers.get("Retry-After", "")
    assert retry_after.isdigit() and int(retry_after) >= 1, retry_after


def test_sign_in_attempts_beyond_the_limit_are_refused_even_with_the_right_password(desk: Newsdesk) -> None:
    web = browser(desk.app)
    email = desk.people["checker"].email
    for _ in range(3):
        assert web.sign_in(email, "not the password").status_code == 401  # the form again, with an error
    before = desk.fingerprint()

    refused = web.sign_in(email, PASSWORD)

    assert_rate_limited(refused)
    assert refused.mimetype == "text/html"
    assert web.get("/app/").status_code == 302, "not signed in"
    assert desk.fingerprint() == before
    assert browser(desk.app).sign_in(email, PASSWORD).status_code == 302, "other addresses are not affected"


def test_tips_beyond_the_limit_are_refused_and_store_nothing(desk: Newsdesk) -> None:
    web = browser(desk.app)
    for _ in range(2):
        assert web.post("/tips/new", {"claim": unique("Bread prices tripled")}).status_code == 302
    before = desk.fingerprint()

    refused = web.post("/tips/new", {"claim": unique("Bread prices tripled again")})

    assert_rate_limited(refused)
    assert desk.fingerprint() == before


def test_signed_hooks_beyond_the_limit_are_refused_and_store_nothing(desk: Newsdesk) -> None:
    sender = Sender(desk.client, desk.integration, desk.integration_secret)

    def claim() -> dict[str, object]:
        return {"type": "claim.submitted", "data": {"claim": unique("Bananas cure colds")}}

    for _ in range(2):
        assert sender.send(claim()).status_code == 202
    body = json.dumps(claim()).encode()
    before = desk.fingerprint()

    refused = sender.post(body, sender.headers(body))

    assert_rate_limited(refused)
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["status"] == 429
    assert desk.fingerprint() == before


def test_token_creation_beyond_the_limit_is_refused_and_stores_nothing(desk: Newsdesk) -> None:
    admin = browser(desk.app)
    assert admin.sign_in(desk.people["admin"].email).status_code == 302
    owner = {"user_id": desk.people["checker"].id}
    for number in range(2):
        created = admin.post("/app/admin/tokens", {**owner, "name": f"script {number}"})
        assert created.status_code == 200 and "fct_" in created.get_data(as_text=True)
    before = desk.fingerprint()

    refused = admin.post("/app/admin/tokens", {**owner, "name": "one too many"})

    assert_rate_limited(refused)
    assert "fct_" not in refused.get_data(as_text=True)
    assert desk.fingerprint() == before
    elsewhere = browser(desk.app)
    assert elsewhere.sign_in(desk.people["admin"].email).status_code == 302
    assert_rate_limited(elsewhere.post("/app/admin/tokens", {**owner, "name": "same admin, new address"}))


@pytest.mark.parametrize("name", ["login_rate_limit", "tip_rate_limit", "token_rate_limit"])
def test_a_malformed_limit_stops_the_app_at_start(
    migrated: str, redis_url: str, tmp_path: Path, name: str
) -> None:
    settings = base_settings(migrated, redis_url, tmp_path, **{name: "lots"})

    with pytest.raises(SettingsError, match=f"FACTCHECK_{name.upper()}"):
        create_app(settings)


def test_every_limit_is_declared_through_limits_limit() -> None:
    """Views without a limit of their own skip the limiter (``factcheck.limits``), which knows the
    limited views only when they are declared with ``limits.limit``, never ``limiter.limit``."""
    package = Path(__file__).resolve().parents[2] / "factcheck"
    bypassing = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "limits.py" and "limiter.limit(" in path.read_text()
    ]
    assert bypassing == []


@pytest.mark.parametrize(
    ("method", "path", "skipped"),
    [
        ("POST", "/api/v1/tickets", True),
        ("GET", "/api/v1/tickets", True),
        ("POST", "/app/sign-in", False),
        ("POST", "/tips/new", False),
        ("GET", "/api/v1/fact-checks", False),
    ],
)
def test_only_views_without_a_limit_skip_the_limiter(
    desk: Newsdesk, method: str, path: str, skipped: bool
) -> None:
    from factcheck import limits

    with desk.app.test_request_context(path, method=method):
        assert limits._has_no_limit() is skipped


def test_with_a_default_limit_configured_no_view_skips_the_limiter(desk: Newsdesk) -> None:
    from factcheck import limits

    desk.app.config["RATELIMIT_DEFAULT"] = "100 per day"
    try:
        with desk.app.test_request_context("/api/v1/tickets", method="POST"):
            assert limits._has_no_limit() is False
    finally:
        del desk.app.config["RATELIMIT_DEFAULT"]
