"""Reference endpoints: the evidence on a ticket, added by hand or by collection."""

from __future__ import annotations

from typing import Any

from flask import Response

from factcheck import db
from factcheck.api import schemas
from factcheck.api.problems import Problem
from factcheck.api.tickets import get_ticket_or_404, plausible_id
from factcheck.api.writes import api_blueprint, commit, idempotent, json_response, require_user
from factcheck.models import ArchivedText, Reference
from factcheck.tickets import evidence
from factcheck.tickets.representation import rfc3339

blp = api_blueprint("references", __name__, "Corroborating references")
ONE = "/tickets/<string:ticket_id>/references"


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
        "query": reference.query,
        "source_version": reference.source_version,
    }


@blp.route(ONE, methods=["GET"])
@blp.alt_response(200, schema=schemas.ReferenceList)
def list_references(ticket_id: str) -> Response:
    require_user()
    get_ticket_or_404(ticket_id)
    rows = evidence.references(db.session(), ticket_id)
    return json_response({"items": [reference_dict(row) for row in rows]})


@blp.route(ONE, methods=["POST"])
@blp.arguments(schemas.ReferenceCreate())
@blp.alt_response(201, schema=schemas.Reference)
@idempotent
def add_reference(data: dict[str, Any], ticket_id: str) -> Response:
    actor = require_user()
    ticket = get_ticket_or_404(ticket_id)
    reference = evidence.add_reference(
        db.session(),
        ticket,
        actor,
        url=data["url"],
        title=data.get("title"),
        passage=data.get("passage"),
        stance=data.get("stance", "unknown"),
    )
    return commit(reference_dict(reference), 201)


@blp.route(f"{ONE}/<string:reference_id>/archive", methods=["GET"])
@blp.alt_response(200, schema=schemas.ArchivedCopy)
def reference_archive(ticket_id: str, reference_id: str) -> Response:
    """The saved copy of a fetched page, as it was when collected (it outlives the page)."""
    require_user()
    get_ticket_or_404(ticket_id)
    session = db.session()
    reference = session.get(Reference, reference_id) if plausible_id(reference_id) else None
    if reference is None or reference.ticket_id != ticket_id:
        raise Problem(404, f"No reference {reference_id!r} on this ticket.", title="Not Found")
    saved = session.get(ArchivedText, reference.content_sha256) if reference.content_sha256 else None
    if saved is None:
        raise Problem(404, "This reference has no saved copy.", title="Not Found")
    return json_response(
        {
            "content_sha256": saved.content_sha256,
            "url": saved.url,
            "content_type": saved.content_type,
            "text": saved.text,
            "saved_at": rfc3339(saved.created_at),
        }
    )


@blp.route(f"{ONE}/<string:reference_id>", methods=["PATCH"])
@blp.arguments(schemas.ReferencePatch())
@blp.alt_response(200, schema=schemas.Reference)
def patch_reference(data: dict[str, Any], ticket_id: str, reference_id: str) -> Response:
    actor = require_user()
    ticket = get_ticket_or_404(ticket_id)
    try:
        reference = evidence.update_reference(db.session(), ticket, reference_id, actor, data)
    except evidence.ReferenceNotFound as exc:
        raise Problem(404, f"No reference {reference_id!r} on this ticket.", title="Not Found") from exc
    return commit(reference_dict(reference), 200)
