"""Reference endpoints: the evidence on a ticket, added by hand or by collection."""

from __future__ import annotations

from typing import Any

from flask import Response
from sqlalchemy import select

from factcheck import db, workflow
from factcheck.api import schemas
from factcheck.api.problems import Problem
from factcheck.api.tickets import get_ticket_or_404
from factcheck.api.writes import api_blueprint, commit, idempotent, json_response, require_user
from factcheck.models import Reference, Ticket
from factcheck.tickets import journal
from factcheck.tickets.representation import rfc3339

blp = api_blueprint("references", __name__, "Corroborating references")
ONE = "/tickets/<string:ticket_id>/references"
EVIDENCE_EDITABLE = frozenset({"submitted", "collecting", "triage", "researching", "in_review"})


def reference_dict(reference: Reference) -> dict[str, Any]:
    return {
        "id": reference.id,
        "source": reference.source,
        "title": reference.title,
        "url": reference.url,
        "publisher": reference.publisher,
        "published_at": rfc3339(reference.published_at),
        "passage": reference.passage,
        "score": reference.score,
        "rank": reference.rank,
        "stance": reference.stance,
        "pinned": reference.pinned,
        "added_by": reference.added_by_label,
        "retrieved_at": rfc3339(reference.retrieved_at),
        "content_sha256": reference.content_sha256,
        "document_id": reference.document_id,
    }


def _editable_ticket(ticket_id: str) -> Ticket:
    ticket = get_ticket_or_404(ticket_id)
    if ticket.state not in EVIDENCE_EDITABLE:
        raise workflow.ActionNotAllowed(f"Evidence is frozen while the ticket is {ticket.state}.", allowed=[])
    return ticket


@blp.route(ONE, methods=["GET"])
@blp.alt_response(200, schema=schemas.ReferenceList)
def list_references(ticket_id: str) -> Response:
    require_user()
    get_ticket_or_404(ticket_id)
    rows = db.session().scalars(
        select(Reference)
        .where(Reference.ticket_id == ticket_id)
        .order_by(Reference.pinned.desc(), Reference.rank.asc().nulls_last(), Reference.retrieved_at)
    )
    return json_response({"items": [reference_dict(row) for row in rows]})


@blp.route(ONE, methods=["POST"])
@blp.arguments(schemas.ReferenceCreate)
@blp.alt_response(201, schema=schemas.Reference)
@idempotent
def add_reference(data: dict[str, Any], ticket_id: str) -> Response:
    actor = require_user()
    ticket = _editable_ticket(ticket_id)
    session = db.session()
    reference = Reference(
        ticket_id=ticket.id,
        source="manual",
        url=data["url"],
        title=data.get("title"),
        passage=data.get("passage"),
        stance=data.get("stance", "unknown"),
        added_by_id=actor.user_id,
        added_by_label=actor.label,
    )
    session.add(reference)
    session.flush()
    journal.record(
        session,
        ticket,
        actor,
        "add_reference",
        from_state=ticket.state,
        to_state=ticket.state,
        data={"reference_id": reference.id, "url": reference.url},
    )
    return commit(reference_dict(reference), 201)


@blp.route(f"{ONE}/<string:reference_id>", methods=["PATCH"])
@blp.arguments(schemas.ReferencePatch)
@blp.alt_response(200, schema=schemas.Reference)
def patch_reference(data: dict[str, Any], ticket_id: str, reference_id: str) -> Response:
    actor = require_user()
    ticket = _editable_ticket(ticket_id)
    session = db.session()
    reference = session.get(Reference, reference_id) if len(reference_id) <= 64 else None
    if reference is None or reference.ticket_id != ticket.id:
        raise Problem(404, f"No reference {reference_id!r} on this ticket.", title="Not Found")
    if not data:
        raise Problem(
            422,
            "Send stance and/or pinned.",
            title="Unprocessable Entity",
            errors={"_schema": ["Send stance and/or pinned."]},
        )
    for name in ("stance", "pinned"):
        if name in data:
            setattr(reference, name, data[name])
    journal.record(
        session,
        ticket,
        actor,
        "update_reference",
        from_state=ticket.state,
        to_state=ticket.state,
        data={"reference_id": reference.id, **data},
    )
    return commit(reference_dict(reference), 200)
