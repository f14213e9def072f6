"""A claim carrying markup is shown as text everywhere it appears, never run."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from factcheck.db import unit_of_work
from factcheck.models import Tip
from tests.support import ApiClient, UserFactory, run_jobs
from tests.web.support import XSS, WebClient, text

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


def _assert_harmless(body: str) -> None:
    assert "<script>alert(1)" not in body
    assert "<img src=x" not in body
    assert "onerror=alert(1)>" not in body


@pytest.fixture()
def hostile_ticket(app: Flask, api: ApiClient, users: UserFactory) -> str:
    """A published ticket whose claim, speaker, tags, evidence and verdict all carry markup."""
    ticket = api.create_ticket(XSS, speaker=XSS, tags=[XSS[:90]], source_url="https://x.example/?q=<script>")
    run_jobs(app)
    tid = ticket["id"]
    checker = api.as_(users.token_for("checker"))
    checker.act(tid, "accept")
    ref = checker.post(
        f"/api/v1/tickets/{tid}/references", json={"url": "javascript:alert(1)", "title": XSS, "passage": XSS}
    )
    assert ref.status_code in (201, 422)
    good = checker.post(f"/api/v1/tickets/{tid}/references", json={"url": "https://a.example/", "title": XSS})
    checker.patch(f"/api/v1/tickets/{tid}/references/{good.get_json()['id']}", json={"pinned": True})
    checker.act(tid, "submit", {"rating": "false", "summary": XSS})
    api.act(tid, "approve")
    api.act(tid, "publish")
    return str(tid)


def test_markup_in_a_ticket_is_escaped_on_every_signed_in_page(
    signed_in: Callable[[str], WebClient], hostile_ticket: str
) -> None:
    web = signed_in("admin")
    for path in (
        "/app/",
        "/app/tickets",
        "/app/tickets?state=published",
        f"/app/tickets?q={XSS[:20]}",
        f"/app/tickets/{hostile_ticket}",
    ):
        response = web.get(path)
        assert response.status_code == 200, path
        body = text(response)
        _assert_harmless(body)
    assert ESCAPED in text(web.get(f"/app/tickets/{hostile_ticket}"))
    assert 'href="javascript:' not in text(web.get(f"/app/tickets/{hostile_ticket}"))


def test_markup_in_a_claim_is_escaped_on_the_public_page(
    signed_in: Callable[[str], WebClient], anonymous: WebClient, hostile_ticket: str
) -> None:
    page = text(signed_in("checker").get(f"/app/tickets/{hostile_ticket}"))
    public_path = page.split('id="public-link"')[0].rsplit('href="', 1)[1].split('"')[0]

    public = anonymous.get(public_path)

    assert public.status_code == 200
    _assert_harmless(text(public))


def test_markup_in_a_tip_is_escaped_on_its_tracking_page_and_in_the_workspace(
    app: Flask, anonymous: WebClient, signed_in: Callable[[str], WebClient]
) -> None:
    tracking = anonymous.post("/tips/new", {"claim": XSS, "note": XSS}).headers["Location"]
    with app.app_context(), unit_of_work() as session:
        ticket_id = session.scalars(select(Tip.ticket_id)).one()

    tracking_page = text(anonymous.get(tracking))
    workspace = text(signed_in("checker").get(f"/app/tickets/{ticket_id}"))

    for body in (tracking_page, workspace):
        _assert_harmless(body)
        assert ESCAPED in body


def test_markup_in_form_errors_is_escaped(signed_in: Callable[[str], WebClient]) -> None:
    response = signed_in("checker").post("/app/claims/new", {"claim": XSS, "source_url": XSS})

    assert response.status_code == 400
    _assert_harmless(text(response))
