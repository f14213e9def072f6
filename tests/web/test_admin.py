"""Admin pages: people and roles, API tokens, the rating scale, integrations, webhooks, the library."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

from flask import Flask
from sqlalchemy import func, select

from factcheck.db import unit_of_work
from factcheck.models import ApiToken, Integration, LibraryDocument, Rating, User, WebhookDelivery
from factcheck.webhooks import outbound
from factcheck.webhooks.retries import RetryPolicy
from tests.support import ApiClient
from tests.web.support import PASSWORD, WebClient, text


def _user(app: Flask, email: str) -> User | None:
    with app.app_context(), unit_of_work() as session:
        return session.scalar(select(User).where(User.email == email))


def test_an_admin_adds_a_person_who_can_then_sign_in(
    app: Flask, signed_in: Callable[[str], WebClient]
) -> None:
    admin = signed_in("admin")

    response = admin.post(
        "/app/admin/users", {"email": "New@Newsroom.test", "role": "editor", "password": PASSWORD}
    )

    assert response.status_code == 302
    created = _user(app, "new@newsroom.test")
    assert created is not None and created.role == "editor"
    assert WebClient(app.test_client()).sign_in("new@newsroom.test").status_code == 302
    again = admin.post(
        "/app/admin/users", {"email": "new@newsroom.test", "role": "checker"}, follow_redirects=True
    )
    assert "exists" in text(again)


def test_an_admin_changes_a_role_and_deactivates_a_person(
    app: Flask, signed_in: Callable[[str], WebClient], person: Callable[[str], User]
) -> None:
    admin = signed_in("admin")
    someone = person("checker")
    other = WebClient(app.test_client())
    other.sign_in(someone.email)

    admin.post(
        f"/app/admin/users/{someone.id}", {f"{someone.id}-role": "editor", f"{someone.id}-active": "y"}
    )
    changed = _user(app, someone.email)
    admin.post(f"/app/admin/users/{someone.id}", {f"{someone.id}-role": "editor"})  # unticked: deactivated

    assert changed is not None and changed.role == "editor" and changed.active
    deactivated = _user(app, someone.email)
    assert deactivated is not None and not deactivated.active
    assert other.get("/app/").status_code == 302  # their session ends at once


def test_the_last_admin_cannot_demote_themself(app: Flask, signed_in: Callable[[str], WebClient]) -> None:
    admin = signed_in("admin")
    assert admin.user is not None

    response = admin.post(
        f"/app/admin/users/{admin.user.id}",
        {f"{admin.user.id}-role": "checker", f"{admin.user.id}-active": "y"},
        follow_redirects=True,
    )

    assert "last active admin" in text(response)
    still = _user(app, admin.user.email)
    assert still is not None and still.role == "admin"


def test_a_token_is_shown_once_works_on_the_api_and_can_be_revoked(
    app: Flask,
    client,
    signed_in: Callable[[str], WebClient],  # type: ignore[no-untyped-def]
) -> None:
    admin = signed_in("admin")
    assert admin.user is not None

    created = admin.post("/app/admin/tokens", {"user_id": admin.user.id, "name": "CMS"})
    token = text(created).split('<code id="new-token">')[1].split("</code>")[0]
    listed = text(admin.get("/app/admin/tokens"))

    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    assert token.startswith("fct_") and token not in listed and token[:10] in listed
    assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with app.app_context(), unit_of_work() as session:
        token_id = session.scalars(select(ApiToken.id)).one()
    admin.post(f"/app/admin/tokens/{token_id}/revoke")
    assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def _scale_form(rows: list[tuple[str, str, str, str]]) -> dict[str, str]:
    data: dict[str, str] = {}
    for index, (slug, label, value, description) in enumerate(rows):
        data.update(
            {
                f"rows-{index}-slug": slug,
                f"rows-{index}-label": label,
                f"rows-{index}-value": value,
                f"rows-{index}-description": description,
            }
        )
    return data


def test_an_admin_replaces_the_rating_scale(app: Flask, signed_in: Callable[[str], WebClient]) -> None:
    admin = signed_in("admin")
    rows = [
        ("correct", "Correct", "3", "Right."),
        ("misleading", "Misleading", "", "Missing context."),
        ("", "", "", ""),
        ("wrong", "Wrong", "1", "Not right."),
    ]

    response = admin.post("/app/admin/ratings", _scale_form(rows))

    assert response.status_code == 302
    with app.app_context(), unit_of_work() as session:
        stored = [(r.slug, r.value) for r in session.scalars(select(Rating).order_by(Rating.position))]
    assert stored == [("correct", 3), ("misleading", None), ("wrong", 1)]
    assert "Missing context." in text(admin.get("/app/admin/ratings"))


def test_a_broken_scale_is_refused_with_the_reason(app: Flask, signed_in: Callable[[str], WebClient]) -> None:
    admin = signed_in("admin")

    duplicate = admin.post("/app/admin/ratings", _scale_form([("a", "A", "", ""), ("a", "Again", "", "")]))
    half = admin.post("/app/admin/ratings", _scale_form([("a", "", "", "")]))
    bad_slug = admin.post("/app/admin/ratings", _scale_form([("Not A Slug", "X", "", "")]))

    assert duplicate.status_code == 400 and "same slug" in text(duplicate)
    assert half.status_code == 400 and "both a slug and a label" in text(half)
    assert bad_slug.status_code == 400 and "lowercase words joined by -" in text(bad_slug)
    with app.app_context(), unit_of_work() as session:
        assert (
            session.scalar(select(func.count()).select_from(Rating)) == 0
        )  # nothing stored: the built-in default scale


def test_an_admin_registers_an_integration_and_sees_its_secret_once(
    app: Flask, signed_in: Callable[[str], WebClient]
) -> None:
    admin = signed_in("admin")

    created = admin.post("/app/admin/integrations", {"name": "tipline"})
    refused = admin.post("/app/admin/integrations", {"name": "Not OK!"})

    assert created.status_code == 200 and '<code id="new-secret">whsec_' in text(created)
    assert "/hooks/v1/tipline" in text(admin.get("/app/admin/integrations"))
    assert "whsec_" not in text(admin.get("/app/admin/integrations"))
    assert "lowercase letters" in text(refused)
    with app.app_context(), unit_of_work() as session:
        assert session.scalars(select(Integration.name)).all() == ["tipline"]


def test_webhook_subscription_delivery_log_and_redeliver(
    app: Flask, api: ApiClient, signed_in: Callable[[str], WebClient]
) -> None:
    admin = signed_in("admin")
    created = admin.post(
        "/app/admin/webhooks",
        {"url": "https://hooks.example/in", "events": ["ticket.created", "ticket.published"]},
    )
    assert created.status_code == 200 and '<code id="new-secret">whsec_' in text(created)
    refused = admin.post("/app/admin/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["ticket.created"]})
    assert refused.status_code == 400
    api.create_ticket("A claim that makes an event.")
    with app.app_context(), unit_of_work() as session:
        outbound.fan_out(session, RetryPolicy.from_settings(app.extensions["factcheck.settings"]))
    with app.app_context(), unit_of_work() as session:
        delivery = session.scalars(select(WebhookDelivery)).one()
        delivery.status, delivery.attempts, delivery.last_status_code = "failed", 3, 503
        subscription_id, delivery_id = delivery.subscription_id, delivery.id

    log = admin.get(f"/app/admin/webhooks/{subscription_id}")
    detail = admin.get(f"/app/admin/webhooks/{subscription_id}/deliveries/{delivery_id}")
    redelivered = admin.post(
        f"/app/admin/webhooks/{subscription_id}/deliveries/{delivery_id}/redeliver", follow_redirects=True
    )

    assert "ticket.created" in text(log) and "failed" in text(log) and "503" in text(log)
    assert detail.status_code == 200 and "Not attempted yet." in text(detail)
    assert "queued again" in text(redelivered)
    with app.app_context(), unit_of_work() as session:
        again = session.get(WebhookDelivery, delivery_id)
        assert again is not None and again.status == "pending"


def test_library_upload_stores_jsonl_documents(app: Flask, signed_in: Callable[[str], WebClient]) -> None:
    editor = signed_in("editor")
    lines = "\n".join(
        json.dumps({"title": f"Report {n}", "text": f"Unemployment was {n}.0% in year {2000 + n}."})
        for n in range(3)
    )

    response = editor.post(
        "/app/admin/library",
        {"file": (io.BytesIO(lines.encode()), "reports.jsonl")},
        content_type="multipart/form-data",
    )
    again = editor.client.post(
        "/app/admin/library",
        data={"file": (io.BytesIO(lines.encode()), "reports.jsonl")},
        headers={"X-CSRFToken": editor.csrf_token(), "Accept": "application/json"},
        content_type="multipart/form-data",
    )

    assert response.status_code == 200 and "Stored 3 new documents" in text(response)
    assert again.get_json() == {"created": 0, "existing": 3, "passages": 0, "errors": []}
    with app.app_context(), unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(LibraryDocument)) == 3


def test_a_library_file_with_a_bad_line_stores_nothing(
    app: Flask, signed_in: Callable[[str], WebClient]
) -> None:
    editor = signed_in("editor")
    lines = (
        json.dumps({"title": "Fine", "text": "Fine text."})
        + "\n{not json}\n"
        + json.dumps({"title": "No text"})
    )

    response = editor.post(
        "/app/admin/library",
        {"file": (io.BytesIO(lines.encode()), "bad.jsonl")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert "line 2: not JSON" in text(response) and "line 3: a text is required" in text(response)
    with app.app_context(), unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(LibraryDocument)) == 0
