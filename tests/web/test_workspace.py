"""The claim form and the ticket workspace: the same services as the API, driven by forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from factcheck.db import unit_of_work
from factcheck.models import Reference, Ticket, TicketEvent
from tests.support import ApiClient, run_jobs
from tests.web.support import WebClient, text


def _ticket(app: Flask, ticket_id: str) -> Ticket:
    with app.app_context(), unit_of_work() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        session.expunge(ticket)
        return ticket


def _submit(web: WebClient, claim: str = "Inflation hit 12% last month.", **fields: str) -> str:
    response = web.post("/app/claims/new", {"claim": claim, **fields})
    assert response.status_code == 302, text(response)
    location: str = response.headers["Location"]
    return location.rsplit("/", 1)[1]


def test_submitting_a_claim_opens_a_ticket_and_queues_collection(
    app: Flask, signed_in: Callable[[str], WebClient]
) -> None:
    web = signed_in("checker")

    ticket_id = _submit(web, speaker="The minister", claim_date="2026-11-01", tags="Economy, prices, economy")

    ticket = _ticket(app, ticket_id)
    assert (ticket.state, ticket.origin_channel, ticket.speaker) == ("submitted", "web", "The minister")
    assert ticket.claim_date is not None and ticket.claim_date.isoformat() == "2026-11-01"
    run_jobs(app)
    assert _ticket(app, ticket_id).state == "triage"
    page = text(web.get(f"/app/tickets/{ticket_id}"))
    assert "economy, prices" in page and "Inflation hit 12% last month." in page


def test_the_same_claim_again_adds_demand_instead_of_a_ticket(
    app: Flask, signed_in: Callable[[str], WebClient]
) -> None:
    web = signed_in("checker")
    first = _submit(web)

    response = web.post(
        "/app/claims/new", {"claim": "  inflation hit 12% LAST month "}, follow_redirects=True
    )

    assert response.request.path == f"/app/tickets/{first}"
    assert "its demand is now 2" in text(response)


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"claim": ""}, "This field is required."), ({"claim": "x", "source_url": "not a url"}, "Invalid URL.")],
)
def test_an_invalid_claim_form_says_what_is_wrong_and_stores_nothing(
    app: Flask, signed_in: Callable[[str], WebClient], fields: dict[str, str], message: str
) -> None:
    response = signed_in("checker").post("/app/claims/new", fields)

    assert response.status_code == 400
    assert message in text(response)
    assert 'aria-invalid="true"' in text(response)
    with app.app_context(), unit_of_work() as session:
        assert session.scalars(select(Ticket)).first() is None


def test_collection_status_json_reports_progress_for_our_script(
    app: Flask, signed_in: Callable[[str], WebClient]
) -> None:
    web = signed_in("checker")
    ticket_id = _submit(web)

    queued = web.get(f"/app/tickets/{ticket_id}/collection.json").get_json()
    run_jobs(app)
    done = web.get(f"/app/tickets/{ticket_id}/collection.json").get_json()

    assert (queued["status"], queued["progress"], queued["state"]) == ("queued", 0.0, "submitted")
    assert (done["status"], done["progress"], done["state"]) == ("done", 1.0, "triage")
    assert set(done["sources"]) == {"library", "factchecks"}
    page = text(web.get(f"/app/tickets/{ticket_id}"))
    assert "data-poll-url" not in page  # nothing left to watch


def test_the_workspace_of_a_collecting_ticket_is_watched_by_our_script(
    signed_in: Callable[[str], WebClient],
) -> None:
    web = signed_in("checker")
    ticket_id = _submit(web)

    page = text(web.get(f"/app/tickets/{ticket_id}"))

    assert f'data-poll-url="/app/tickets/{ticket_id}/collection.json"' in page


@pytest.mark.parametrize(
    ("role", "offered", "hidden"),
    [
        ("checker", ["Accept and start research", "Collect references again"], ["Reject", "Merge"]),
        ("editor", ["Accept and start research", "Reject", "Merge into another ticket"], ["Publish"]),
    ],
)
def test_only_the_actions_this_person_may_take_are_offered(
    signed_in: Callable[[str], WebClient],
    ticket_in_triage: Callable[..., dict[str, Any]],
    role: str,
    offered: list[str],
    hidden: list[str],
) -> None:
    ticket = ticket_in_triage()

    page = text(signed_in(role).get(f"/app/tickets/{ticket['id']}"))

    for label in offered:
        assert f">{label}</button>" in page
    for label in hidden:
        assert f">{label}</button>" not in page


def _researching(web: WebClient, ticket_id: str) -> None:
    response = web.post(f"/app/tickets/{ticket_id}/actions/accept", {"version": ""})
    assert response.status_code == 302


def test_a_checker_researches_pins_drafts_and_submits(
    app: Flask, signed_in: Callable[[str], WebClient], ticket_in_triage: Callable[..., dict[str, Any]]
) -> None:
    ticket = ticket_in_triage()
    web = signed_in("checker")
    _researching(web, ticket["id"])
    web.post(
        f"/app/tickets/{ticket['id']}/references",
        {"url": "https://stats.example/q4", "title": "Labour survey", "stance": "refutes"},
    )
    with app.app_context(), unit_of_work() as session:
        reference = session.scalars(select(Reference)).one()

    pinned = web.post_json(f"/app/tickets/{ticket['id']}/references/{reference.id}", {"pinned": "true"})
    early = web.post(
        f"/app/tickets/{ticket['id']}/verdict", {"rating": "false", "summary": "", "intent": "submit"}
    )
    draft = web.post(
        f"/app/tickets/{ticket['id']}/verdict",
        {"rating": "false", "summary": "It was 4.1%.", "intent": "save"},
    )
    submitted = web.post(
        f"/app/tickets/{ticket['id']}/verdict",
        {"rating": "false", "summary": "It was 4.1%.", "intent": "submit"},
    )

    assert pinned.get_json() == {"id": reference.id, "pinned": True, "stance": "refutes"}
    assert early.status_code == 422 and "This field is required." in text(early)
    assert draft.status_code == 302 and submitted.status_code == 302
    saved = _ticket(app, ticket["id"])
    assert saved.state == "in_review"
    with app.app_context(), unit_of_work() as session:
        actions = list(
            session.scalars(select(TicketEvent.action).where(TicketEvent.ticket_id == ticket["id"]))
        )
    assert actions[-4:] == ["add_reference", "update_reference", "draft_verdict", "submit"]


def test_submitting_without_pinned_evidence_is_refused_with_the_reason(
    app: Flask, signed_in: Callable[[str], WebClient], ticket_in_triage: Callable[..., dict[str, Any]]
) -> None:
    ticket = ticket_in_triage()
    web = signed_in("checker")
    _researching(web, ticket["id"])

    response = web.post(
        f"/app/tickets/{ticket['id']}/verdict",
        {"rating": "false", "summary": "It was 4.1%.", "intent": "submit"},
    )

    assert response.status_code == 409
    assert "Pin at least one reference as evidence." in text(response)
    assert "It was 4.1%." in text(response)  # what was typed is kept
    assert _ticket(app, ticket["id"]).state == "researching"


def test_an_action_needing_a_note_says_so(
    app: Flask, signed_in: Callable[[str], WebClient], ticket_in_triage: Callable[..., dict[str, Any]]
) -> None:
    ticket = ticket_in_triage()

    response = signed_in("editor").post(
        f"/app/tickets/{ticket['id']}/actions/reject", {}, follow_redirects=True
    )

    assert "Reason: This field is required." in text(response)
    assert _ticket(app, ticket["id"]).state == "triage"


def test_a_stale_form_is_refused_instead_of_overwriting(
    app: Flask, signed_in: Callable[[str], WebClient], ticket_in_triage: Callable[..., dict[str, Any]]
) -> None:
    ticket = ticket_in_triage()

    response = signed_in("editor").post(
        f"/app/tickets/{ticket['id']}/actions/reject",
        {"reason": "Not a claim.", "version": str(ticket["version"] - 1)},
        follow_redirects=True,
    )

    assert f"ticket is at version {ticket['version']}" in text(response)
    assert _ticket(app, ticket["id"]).state == "triage"


def test_a_checker_cannot_take_an_editor_action_by_posting_it(
    app: Flask, signed_in: Callable[[str], WebClient], ticket_in_triage: Callable[..., dict[str, Any]]
) -> None:
    ticket = ticket_in_triage()

    response = signed_in("checker").post(
        f"/app/tickets/{ticket['id']}/actions/reject", {"reason": "No."}, follow_redirects=True
    )

    assert "needs the editor role" in text(response)
    assert _ticket(app, ticket["id"]).state == "triage"


def test_unknown_tickets_actions_and_references_are_404(
    signed_in: Callable[[str], WebClient], ticket_in_triage: Callable[..., dict[str, Any]]
) -> None:
    ticket = ticket_in_triage()
    web = signed_in("editor")

    assert web.get("/app/tickets/nope").status_code == 404
    assert web.post(f"/app/tickets/{ticket['id']}/actions/fly").status_code == 404
    assert (
        web.post_json(f"/app/tickets/{ticket['id']}/references/nope", {"pinned": "true"}).status_code == 404
    )


def test_published_tickets_link_to_their_public_page(
    app: Flask,
    api: ApiClient,
    users: Any,
    signed_in: Callable[[str], WebClient],
    ticket_in_triage: Callable[..., dict[str, Any]],
) -> None:
    ticket = ticket_in_triage()
    checker = api.as_(users.token_for("checker"))
    checker.act(ticket["id"], "accept")
    ref = checker.post(
        f"/api/v1/tickets/{ticket['id']}/references", json={"url": "https://a.example/x"}
    ).get_json()
    checker.patch(f"/api/v1/tickets/{ticket['id']}/references/{ref['id']}", json={"pinned": True})
    checker.act(ticket["id"], "submit", {"rating": "false", "summary": "No."})
    api.act(ticket["id"], "approve")
    published = api.act(ticket["id"], "publish").get_json()

    page = text(signed_in("checker").get(f"/app/tickets/{ticket['id']}"))

    assert f'href="{published["publication"]["url"]}" id="public-link"' in page
    assert ">Pin as evidence</button>" not in page  # evidence is frozen once approved
