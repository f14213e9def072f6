"""The public tip form: a ticket from a reader, a private tracking link, a honeypot, a rate limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from factcheck.db import unit_of_work
from factcheck.models import Ticket, Tip
from tests.support import ApiClient, UserFactory, run_jobs
from tests.web.support import WebClient, text


def _tip(web: WebClient, claim: str = "The city closed 12 libraries in 2024.", **fields: str) -> str:
    response = web.post("/tips/new", {"claim": claim, **fields})
    assert response.status_code == 302, text(response)
    location: str = response.headers["Location"]
    return location


def test_a_tip_opens_a_ticket_and_gives_a_private_tracking_link(app: Flask, anonymous: WebClient) -> None:
    tracking = _tip(anonymous, source_url="https://social.example/p/1", note="Shared 5,000 times.")

    with app.app_context(), unit_of_work() as session:
        tip = session.scalars(select(Tip)).one()
        ticket = session.get(Ticket, tip.ticket_id)
        assert ticket is not None
        assert (ticket.origin_channel, ticket.source_url) == ("tip", "https://social.example/p/1")
        assert tracking.rsplit("/", 1)[1] not in (tip.token_hash, tip.id, ticket.id)  # only the hash is kept
    page = WebClient(app.test_client()).get(tracking)  # another browser: the link alone is enough
    assert page.status_code == 200
    assert 'data-stage="received"' in text(page)
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "same-origin"  # the link never leaks in a Referer


def test_readers_notes_reach_the_fact_checkers(
    app: Flask, anonymous: WebClient, signed_in: Callable[[str], WebClient]
) -> None:
    _tip(anonymous, note="Shared 5,000 times on Sunday.")
    with app.app_context(), unit_of_work() as session:
        ticket_id = session.scalars(select(Tip.ticket_id)).one()

    page = text(signed_in("checker").get(f"/app/tickets/{ticket_id}"))

    assert "Shared 5,000 times on Sunday." in page and "From readers (1)" in page


def test_the_honeypot_pretends_success_and_stores_nothing(app: Flask, anonymous: WebClient) -> None:
    response = anonymous.post("/tips/new", {"claim": "Buy cheap pills", "website": "https://spam.example"})

    assert response.status_code == 302 and response.headers["Location"] == "/tips/new"
    with app.app_context(), unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_the_tip_form_is_rate_limited(anonymous: WebClient) -> None:
    for number in range(5):
        _tip(anonymous, claim=f"Claim number {number} about the budget.")

    blocked = anonymous.post("/tips/new", {"claim": "One more."})

    assert blocked.status_code == 429 and "Retry-After" in blocked.headers


def test_unknown_tracking_links_are_404(anonymous: WebClient) -> None:
    assert anonymous.get("/tips/" + "x" * 32).status_code == 404
    assert anonymous.get("/tips/short").status_code == 404


def test_the_tracking_page_shows_the_verdict_once_published(
    app: Flask, anonymous: WebClient, api: ApiClient, users: UserFactory
) -> None:
    tracking = _tip(anonymous)
    run_jobs(app)
    with app.app_context(), unit_of_work() as session:
        ticket_id = session.scalars(select(Tip.ticket_id)).one()
    checker = api.as_(users.token_for("checker"))
    checker.act(ticket_id, "accept")
    assert 'data-stage="checking"' in text(anonymous.get(tracking))
    ref: dict[str, Any] = checker.post(
        f"/api/v1/tickets/{ticket_id}/references", json={"url": "https://city.example/libraries"}
    ).get_json()
    checker.patch(f"/api/v1/tickets/{ticket_id}/references/{ref['id']}", json={"pinned": True})
    checker.act(ticket_id, "submit", {"rating": "mostly-true", "summary": "Eleven closed, one moved."})
    assert 'data-stage="checking"' in text(anonymous.get(tracking))  # nothing leaks before publication
    api.act(ticket_id, "approve")
    api.act(ticket_id, "publish")

    page = text(anonymous.get(tracking))

    assert 'data-stage="published"' in page
    assert '<span class="rating" id="tip-verdict">Mostly true</span>' in page
    assert "Eleven closed, one moved." in page and 'href="/fact-checks/' in page


def test_a_rejected_tip_says_it_was_not_checked(app: Flask, anonymous: WebClient, api: ApiClient) -> None:
    tracking = _tip(anonymous)
    run_jobs(app)
    with app.app_context(), unit_of_work() as session:
        ticket_id = session.scalars(select(Tip.ticket_id)).one()

    api.act(ticket_id, "reject", {"reason": "Not a factual claim."})

    page = text(anonymous.get(tracking))
    assert (
        'data-stage="not-checked"' in page and "Not a factual claim." not in page
    )  # internal reasons stay internal
