"""Signing in and out, where sign-in sends you, password changes, and the sign-in rate limit."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from factcheck.models import User
from tests.support import UserFactory
from tests.web.support import PASSWORD, WebClient, text


def test_anonymous_visitors_are_sent_to_sign_in_with_the_page_they_wanted(anonymous: WebClient) -> None:
    response = anonymous.get("/app/tickets?state=triage")

    assert response.status_code == 302
    assert response.headers["Location"] == "/app/sign-in?next=/app/tickets?state%3Dtriage"


def test_signing_in_returns_to_the_page_asked_for(app: Flask, person: Callable[[str], User]) -> None:
    user = person("checker")
    web = WebClient(app.test_client())

    response = web.post("/app/sign-in?next=/app/tickets", {"email": user.email.upper(), "password": PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == "/app/tickets"
    assert user.email in text(web.get("/app/"))


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_sign_in_never_redirects_off_site(app: Flask, person: Callable[[str], User], target: str) -> None:
    user = person("checker")
    web = WebClient(app.test_client())

    response = web.post(f"/app/sign-in?next={target}", {"email": user.email, "password": PASSWORD})

    assert response.headers["Location"] == "/app/"


def test_a_wrong_password_or_an_unknown_email_gets_the_same_answer(
    app: Flask, person: Callable[[str], User]
) -> None:
    user = person("checker")
    web = WebClient(app.test_client())

    wrong = web.sign_in(user.email, "not the password")
    unknown = web.sign_in("nobody@newsroom.test")

    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong email or password." in text(wrong) and "Wrong email or password." in text(unknown)
    assert web.get("/app/").status_code == 302


def test_a_deactivated_user_cannot_sign_in(app: Flask, person: Callable[[str], User]) -> None:
    from factcheck import accounts
    from factcheck.db import unit_of_work

    user = person("checker")
    with app.app_context(), unit_of_work() as session:
        accounts.update_user(session, session.get(User, user.id), "checker", False)  # type: ignore[arg-type]

    assert WebClient(app.test_client()).sign_in(user.email).status_code == 401


def test_sign_out_ends_the_session(signed_in: Callable[[str], WebClient]) -> None:
    web = signed_in("checker")

    response = web.post("/app/sign-out")

    assert response.headers["Location"] == "/app/sign-in"
    assert web.get("/app/").status_code == 302


def test_sign_out_is_post_only(signed_in: Callable[[str], WebClient]) -> None:
    web = signed_in("checker")

    assert web.get("/app/sign-out").status_code == 405
    assert web.get("/app/").status_code == 200


def test_changing_the_password_signs_out_other_sessions(app: Flask, person: Callable[[str], User]) -> None:
    user = person("editor")
    laptop, phone = WebClient(app.test_client()), WebClient(app.test_client())
    laptop.sign_in(user.email)
    phone.sign_in(user.email)
    new_password = "a much longer new password"

    changed = laptop.post(
        "/app/account/password",
        {"current_password": PASSWORD, "new_password": new_password, "confirm": new_password},
    )

    assert changed.status_code == 302
    assert laptop.get("/app/").status_code == 200  # this session goes on
    assert phone.get("/app/").headers["Location"].startswith("/app/sign-in")
    assert WebClient(app.test_client()).sign_in(user.email, new_password).status_code == 302
    assert WebClient(app.test_client()).sign_in(user.email, PASSWORD).status_code == 401


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("wrong password", "long enough password", "long enough password", "The current password is wrong."),
        (PASSWORD, "short", "short", "at least 10"),
        (PASSWORD, "long enough password", "another long password", "The passwords differ."),
    ],
)
def test_a_refused_password_change_says_why(
    signed_in: Callable[[str], WebClient], current: str, new: str, confirm: str, message: str
) -> None:
    web = signed_in("checker")

    response = web.post(
        "/app/account/password", {"current_password": current, "new_password": new, "confirm": confirm}
    )

    assert response.status_code == 400
    assert message in text(response)


def test_sign_in_is_rate_limited_per_address(app: Flask, person: Callable[[str], User]) -> None:
    user = person("checker")
    web = WebClient(app.test_client())
    statuses = [web.sign_in(user.email, "guess").status_code for _ in range(10)]

    blocked = web.sign_in(user.email)

    assert statuses == [401] * 10
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many attempts" in text(blocked)


def test_bearer_tokens_do_not_open_web_pages(app: Flask, users) -> None:  # type: ignore[no-untyped-def]
    token = users.token_for("admin")

    response = app.test_client().get("/app/", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 302


def test_a_bearer_token_decides_who_an_api_request_is_even_with_a_session_cookie(
    signed_in: Callable[[str], WebClient],
    users: UserFactory,
) -> None:
    browser = signed_in("admin")
    checker = {"Authorization": f"Bearer {users.token_for('checker')}"}

    as_cookie = browser.client.get("/api/v1/webhooks")
    as_token = browser.client.get("/api/v1/webhooks", headers=checker)
    bad_token = browser.client.get("/api/v1/webhooks", headers={"Authorization": "Bearer fct_not-a-token"})

    assert as_cookie.status_code == 200, "the admin's session opens the admin-only list"
    assert as_token.status_code == 403, "the checker's token, not the admin's cookie, decides"
    assert bad_token.status_code == 401, "a wrong token is refused, whatever the cookie says"


def test_a_bearer_request_leaves_the_cookie_session_alone(
    signed_in: Callable[[str], WebClient],
    users: UserFactory,
) -> None:
    browser = signed_in("checker")
    token = users.token_for("checker")

    bearer = {"Authorization": f"Bearer {token}"}
    response = browser.client.post("/api/v1/tickets", headers=bearer, json={"claim": "Tolls doubled."})

    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    assert browser.get("/app/").status_code == 200, "the browser is still signed in"
