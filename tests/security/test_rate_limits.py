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
    """``limits.limit`` takes views only: a limit on a whole blueprint would be checked before the
    request reaches its view, a check ``ViewLimiter`` skips while nothing application-wide is set."""
    package = Path(__file__).resolve().parents[2] / "factcheck"
    bypassing = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "limits.py" and "limiter.limit(" in path.read_text()
    ]
    assert bypassing == []


def test_limit_refuses_a_blueprint() -> None:
    from flask import Blueprint

    from factcheck import limits

    with pytest.raises(TypeError, match="takes a view"):
        limits.limit("1 per day")(Blueprint("whole", __name__))  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("method", "path", "checks"),
    [
        ("POST", "/api/v1/tickets", 0),
        ("GET", "/api/v1/tickets", 0),
        ("GET", "/healthz", 0),
        ("GET", "/fact-checks/", 1),
        ("GET", "/api/v1/fact-checks", 1),
    ],
)
def test_only_views_with_a_limit_reach_flask_limiters_check(
    desk: Newsdesk, monkeypatch: pytest.MonkeyPatch, method: str, path: str, checks: int
) -> None:
    """flask-limiter's own check runs once, from the view's decorator, for a view with a limit,
    and never for a view without one (its before-request check has nothing to look at)."""
    from flask_limiter import Limiter

    from factcheck import limits

    calls: list[bool] = []
    check = Limiter._check_request_limit

    def counted(self: Limiter, callable_name: str | None = None, in_middleware: bool = True) -> None:
        calls.append(in_middleware)
        check(self, callable_name=callable_name, in_middleware=in_middleware)

    monkeypatch.setattr(Limiter, "_check_request_limit", counted)
    assert limits.limiter.checks_every_request() is False
    browser(desk.app).client.open(path, method=method, json={} if method == "POST" else None)
    assert calls == [False] * checks


def test_a_default_limit_is_checked_on_every_request() -> None:
    """Once an application-wide or default limit is configured, the before-request check runs again."""
    from factcheck.limits import ViewLimiter

    app = Flask(__name__)
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    app.add_url_rule("/plain", "plain", lambda: "ok")
    own = ViewLimiter(key_func=lambda: "one client", default_limits=["2 per day"])
    own.init_app(app)
    client = app.test_client()
    statuses = [client.get("/plain").status_code for _ in range(3)]
    assert own.checks_every_request() is True
    assert statuses == [200, 200, 429]
