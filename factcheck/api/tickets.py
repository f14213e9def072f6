"""Ticket endpoints: intake, lists, the audit trail, workflow actions and the verdict draft."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request

from factcheck import db, queue, workflow
from factcheck.api import schemas
from factcheck.api.problems import Problem
from factcheck.api.writes import api_blueprint, commit, etag, idempotent, json_response, require_user
from factcheck.models import Ticket
from factcheck.tickets import evidence, intake, queries
from factcheck.tickets.representation import rfc3339, ticket_dict

blp = api_blueprint("tickets", __name__, "Verification tickets")
ONE = "/tickets/<string:ticket_id>"


def plausible_id(value: str) -> bool:
    """Ids are short and printable; anything else is unknown without a query (PostgreSQL rejects NUL)."""
    return len(value) <= 64 and value.isprintable()


def get_ticket_or_404(ticket_id: str) -> Ticket:
    ticket = db.session().get(Ticket, ticket_id) if plausible_id(ticket_id) else None
    if ticket is None:
        raise Problem(404, f"No ticket {ticket_id!r}.", title="Not Found")
    return ticket


def ticket_response(ticket: Ticket, status: int = 200, **kwargs: Any) -> Response:
    body = ticket_dict(db.session(), ticket)
    return commit(body, status, {"ETag": etag(ticket.version)}, **kwargs)


@blp.route("/tickets", methods=["POST"])
@blp.arguments(schemas.TicketCreate())
@blp.alt_response(201, schema=schemas.Ticket, description="Ticket opened")
@blp.alt_response(200, schema=schemas.Ticket, description="The same claim is open: its demand went up by one")
@idempotent
def create_ticket(data: dict[str, Any]) -> Response:
    actor = require_user()
    submission = intake.Submission.from_api(data)
    # Without an Idempotency-Key, a new ticket is all this request writes.
    result = intake.submit_claim(db.session(), submission, actor, whole_unit=g.get("idempotency") is None)
    body = result.representation or ticket_dict(db.session(), get_ticket_or_404(result.ticket_id))
    after = [lambda: queue.enqueue_collection(result.ticket_id)] if result.created else []
    headers = {"ETag": etag(body["version"]), "Location": body["links"]["self"]}
    return commit(body, 201 if result.created else 200, headers, after_commit=after)


@blp.route("/tickets", methods=["GET"])
@blp.arguments(schemas.TicketListQuery(), location="query")
@blp.alt_response(200, schema=schemas.TicketPage)
def list_tickets(args: dict[str, Any]) -> Response:
    require_user()
    filters = queries.TicketFilter(
        state=args.get("state"), assignee=args.get("assignee"), q=args.get("q"), tag=args.get("tag")
    )
    try:
        page, next_cursor = queries.list_tickets(db.session(), filters, args["limit"], args.get("cursor"))
    except queries.BadCursor as exc:
        raise Problem(400, "The cursor is not one this service issued.", title="Bad cursor") from exc
    items = [ticket_dict(db.session(), ticket) for ticket in page]
    return json_response({"items": items, "next_cursor": next_cursor})


@blp.route(ONE, methods=["GET"])
@blp.alt_response(200, schema=schemas.Ticket)
def get_ticket(ticket_id: str) -> Response:
    require_user()
    ticket = get_ticket_or_404(ticket_id)
    response = json_response(ticket_dict(db.session(), ticket), headers={"ETag": etag(ticket.version)})
    response.make_conditional(request)
    return response


@blp.route(f"{ONE}/events", methods=["GET"])
@blp.alt_response(200, schema=schemas.EventList)
def list_events(ticket_id: str) -> Response:
    require_user()
    get_ticket_or_404(ticket_id)
    items = [
        {
            "id": event.id,
            "at": rfc3339(event.at),
            "actor": event.actor_label,
            "action": event.action,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "data": event.data,
            "request_id": event.request_id,
            "job_id": event.job_id,
        }
        for event in queries.ticket_events(db.session(), ticket_id)
    ]
    return json_response({"items": items})


@blp.route(f"{ONE}/actions/<string:action>", methods=["POST"])
@blp.arguments(schemas.ActionBody())
@blp.alt_response(200, schema=schemas.Ticket)
@idempotent
def perform_action(data: dict[str, Any], ticket_id: str, action: str) -> Response:
    actor = require_user()
    ticket = get_ticket_or_404(ticket_id)
    if action not in workflow.ACTIONS:
        raise Problem(404, f"No action {action!r}.", title="Not Found", actions=list(workflow.ACTIONS))
    unexpected = sorted(set(data) - workflow.ACTION_FIELDS[action])
    if unexpected:
        expected = ", ".join(sorted(workflow.ACTION_FIELDS[action])) or "no fields"
        raise Problem(
            422,
            f"The {action} action takes {expected}.",
            title="Unprocessable Entity",
            errors={field: [f"Not a field of the {action} action."] for field in unexpected},
        )
    workflow.perform(db.session(), ticket, action, actor, data, expected_version=if_match_version())
    after = [lambda: queue.enqueue_collection(ticket.id)] if action == "recollect" else []
    return ticket_response(ticket, after_commit=after)


@blp.route(f"{ONE}/verdict", methods=["PUT"])
@blp.arguments(schemas.VerdictBody())
@blp.alt_response(200, schema=schemas.Ticket)
def put_verdict(data: dict[str, Any], ticket_id: str) -> Response:
    actor = require_user()
    ticket = get_ticket_or_404(ticket_id)
    evidence.draft_verdict(db.session(), ticket, actor, data, expected_version=if_match_version())
    return ticket_response(ticket)


def if_match_version() -> int | None:
    """The version named by ``If-Match`` (``"v3"``, ``W/"v3"`` or ``3``), None if absent or ``*``."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"').removeprefix("v")
    if not (value.isascii() and value.isdigit() and len(value) <= 18):  # int("²") fails; so do 5000 digits
        raise Problem(400, "If-Match must be an ETag this service issued.", title="Bad Request")
    return int(value)
