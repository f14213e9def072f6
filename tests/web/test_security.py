"""Security of every page: headers, cookie flags, CSRF on every form, and nothing stored without it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from factcheck import create_app
from factcheck.config import Settings
from factcheck.db import unit_of_work
from factcheck.models import Reference, Ticket, Tip, User
from factcheck.security import CONTENT_SECURITY_POLICY
from tests.support import ApiClient
from tests.web.support import PASSWORD, WebClient

ADMIN_PAGES = [
    "/app/admin/users",
    "/app/admin/tokens",
    "/app/admin/ratings",
    "/app/admin/organisation",
    "/app/admin/integrations",
    "/app/admin/webhooks",
    "/app/admin/library",
]
SIGNED_IN_PAGES = ["/app/", "/app/tickets", "/app/claims/new", "/app/articles/new", "/app/account/password"]
PUBLIC_PAGES = ["/app/sign-in", "/tips/new"]


def _count(app: Flask, model: type) -> int:
    with app.app_context(), unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _assert_secure_html(response) -> None:  # type: ignore[no-untyped-def]
    assert response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", SIGNED_IN_PAGES + ADMIN_PAGES)
def test_every_signed_in_page_sends_the_security_headers_and_is_not_cached(
    signed_in: Callable[[str], WebClient], path: str
) -> None:
    response = signed_in("admin").get(path)

    assert response.status_code == 200
    _assert_secure_html(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # development: no HSTS over plain http


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_send_the_security_headers(anonymous: WebClient, path: str) -> None:
    _assert_secure_html(anonymous.get(path))


def test_error_pages_send_the_security_headers_too(signed_in: Callable[[str], WebClient]) -> None:
    response = signed_in("checker").get("/app/tickets/does-not-exist")

    assert response.status_code == 404
    _assert_secure_html(response)


def test_pages_use_no_inline_script_or_style(signed_in: Callable[[str], WebClient]) -> None:
    body = signed_in("admin").get("/app/").get_data(as_text=True)

    assert "<script>" not in body and "<script " in body  # only <script src=... defer>
    assert " style=" not in body and "<style" not in body
    assert "onclick" not in body and "javascript:" not in body


@pytest.fixture()
def production_app(settings: Settings) -> Flask:
    secure = Settings.from_env(
        {},
        env="production",
        database_url=settings.database_url,
        redis_url=settings.redis_url,
        instance_path=settings.instance_path,
        secret_key="production-secret",
    )
    app = create_app(secure)
    app.config["TESTING"] = True
    return app


def test_production_sends_hsts_and_secure_session_cookies(production_app: Flask, app: Flask) -> None:
    with app.app_context(), unit_of_work() as session:
        from factcheck import auth

        auth.create_user(session, "prod@newsroom.test", "checker", PASSWORD)
    web = WebClient(production_app.test_client())

    response = web.sign_in("prod@newsroom.test")

    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = web.get("/app/sign-in")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_cookie_is_httponly_and_samesite_in_development(
    signed_in: Callable[[str], WebClient],
) -> None:
    web = WebClient(signed_in("checker").client)
    response = web.post("/app/sign-out")
    cookie = response.headers.get("Set-Cookie", "")

    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http in development, else the browser would drop it


def test_submit_claim_without_csrf_token_is_rejected_and_stores_nothing(
    app: Flask, signed_in: Callable[[str], WebClient]
) -> None:
    web = signed_in("checker")

    response = web.post("/app/claims/new", {"claim": "Forged claim."}, csrf=False)

    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    _assert_secure_html(response)
    assert _count(app, Ticket) == 0


def test_a_wrong_csrf_token_is_rejected(app: Flask, signed_in: Callable[[str], WebClient]) -> None:
    response = signed_in("checker").post(
        "/app/claims/new", {"claim": "Forged.", "csrf_token": "nope"}, csrf=False
    )

    assert response.status_code == 400
    assert _count(app, Ticket) == 0


def test_a_token_from_another_session_is_rejected(
    app: Flask, signed_in: Callable[[str], WebClient], anonymous: WebClient
) -> None:
    attacker_token = anonymous.csrf_token()

    response = signed_in("checker").post(
        "/app/claims/new", {"claim": "Forged.", "csrf_token": attacker_token}, csrf=False
    )

    assert response.status_code == 400
    assert _count(app, Ticket) == 0


def test_tip_without_csrf_token_is_rejected_and_stores_nothing(app: Flask, anonymous: WebClient) -> None:
    response = anonymous.post("/tips/new", {"claim": "Forged tip."}, csrf=False)

    assert response.status_code == 400
    assert _count(app, Ticket) == 0 and _count(app, Tip) == 0


def test_sign_in_without_csrf_token_is_rejected(app: Flask, person: Callable[[str], User]) -> None:
    user = person("checker")
    web = WebClient(app.test_client())

    response = web.post("/app/sign-in", {"email": user.email, "password": PASSWORD}, csrf=False)

    assert response.status_code == 400
    assert web.get("/app/").status_code == 302  # still signed out


@pytest.mark.parametrize(
    "path",
    [
        "/app/admin/users",
        "/app/admin/tokens",
        "/app/admin/integrations",
        "/app/admin/webhooks",
        "/app/admin/ratings",
        "/app/sign-out",
        "/app/account/password",
        "/app/articles/new",
    ],
)
def test_every_admin_and_account_form_needs_the_csrf_token(
    app: Flask, signed_in: Callable[[str], WebClient], path: str
) -> None:
    web = signed_in("admin")
    users_before = _count(app, User)

    response = web.post(
        path, {"email": "forged@newsroom.test", "role": "admin", "name": "forged"}, csrf=False
    )

    assert response.status_code == 400
    assert _count(app, User) == users_before
    assert web.get("/app/").status_code == 200  # sign-out did not happen either


def test_reference_pin_from_script_needs_the_csrf_header(
    app: Flask, signed_in: Callable[[str], WebClient], ticket_in_triage: Callable[..., dict]
) -> None:
    ticket = ticket_in_triage()
    web = signed_in("checker")
    added = web.post(f"/app/tickets/{ticket['id']}/references", {"url": "https://stats.example/a"})
    assert added.status_code == 302
    with app.app_context(), unit_of_work() as session:
        reference = session.scalars(select(Reference)).one()
    path = f"/app/tickets/{ticket['id']}/references/{reference.id}"

    refused = web.client.post(path, data={"pinned": "true"}, headers={"Accept": "application/json"})
    accepted = web.post_json(path, {"pinned": "true"})

    assert refused.status_code == 400
    assert accepted.status_code == 200 and accepted.get_json()["pinned"] is True


def test_bearer_token_api_calls_need_no_csrf_token(api: ApiClient) -> None:
    response = api.post("/api/v1/tickets", json={"claim": "Bearer clients are not browsers."})

    assert response.status_code == 201


def test_api_calls_riding_on_a_browser_session_need_the_csrf_header(
    app: Flask, signed_in: Callable[[str], WebClient]
) -> None:
    web = signed_in("checker")

    forged = web.client.post("/api/v1/tickets", json={"claim": "Cross-site JSON."})
    with_header = web.client.post(
        "/api/v1/tickets", json={"claim": "Our own script."}, headers={"X-CSRFToken": web.csrf_token()}
    )

    assert forged.status_code == 400
    assert forged.mimetype == "application/problem+json"
    assert with_header.status_code == 201
    assert _count(app, Ticket) == 1


def test_anonymous_api_writes_still_answer_401_not_a_csrf_error(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/tickets", json={"claim": "Who am I?"})

    assert response.status_code == 401


def test_a_bug_shows_an_error_page_without_details(
    signed_in: Callable[[str], WebClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    web = signed_in("checker")

    def broken(*_args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("factcheck.tickets.stats.counts_by_state", broken)
    response = web.get("/app/")

    assert response.status_code == 500
    _assert_secure_html(response)
    assert "Something went wrong" in response.get_data(as_text=True)
    assert "secret internals" not in response.get_data(as_text=True)
