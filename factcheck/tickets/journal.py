"""The journal of a ticket: audit events and outbox rows, written in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from factcheck.actors import Actor
from factcheck.db import new_id, utcnow
from factcheck.models import EVENT_TYPES, OutboxEvent, Ticket, TicketEvent
from factcheck.models.outbox import OUTBOX_WRITTEN
from factcheck.observability import context
from factcheck.tickets.representation import ticket_dict


def record(
    session: Session,
    ticket: Ticket,
    actor: Actor,
    action: str,
    *,
    from_state: str | None,
    to_state: str | None,
    data: dict[str, Any] | None = None,
    emit: tuple[str, ...] = (),
) -> None:
    """Write one audit event (with the current request and job ids) and one outbox row per event
    type in ``emit``.

    The ticket is flushed first so the payload carries its committed version. The rows are
    inserted at once, as plain inserts: nothing reads them back as objects in this transaction,
    and a statement compiled once costs far less than the ORM's unit of work on every write.
    """
    if any(event_type not in EVENT_TYPES for event_type in emit):
        raise ValueError(f"unknown event type among {emit!r}")
    if ticket in session.dirty:
        session.flush()
    session.execute(_INSERT_EVENT, [event_row(ticket.id, actor, action, from_state, to_state, data)])
    if not emit:
        return
    payload = {"ticket": ticket_dict(session, ticket)}
    session.execute(_INSERT_OUTBOX, outbox_rows(ticket.id, payload, emit))
    session.info[OUTBOX_WRITTEN] = True


def event_row(
    ticket_id: str,
    actor: Actor,
    action: str,
    from_state: str | None,
    to_state: str | None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every column of one ``ticket_events`` row but its id, stamped with the current request and job."""
    return {
        "ticket_id": ticket_id,
        "at": utcnow(),
        "actor_id": actor.user_id,
        "actor_label": actor.label,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "data": data or {},
        "request_id": context.request_id(),
        "job_id": context.job_id(),
    }


def outbox_rows(ticket_id: str, payload: dict[str, Any], emit: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every column of one ``outbox_events`` row per event type, its stable ``event_id`` included."""
    now = utcnow()
    return [
        {
            "event_id": "evt_" + new_id(),
            "event_type": event_type,
            "ticket_id": ticket_id,
            "payload": payload,
            "created_at": now,
            "dispatched_at": None,
        }
        for event_type in emit
    ]


_INSERT_EVENT = insert(TicketEvent.__table__)  # type: ignore[arg-type]
_INSERT_OUTBOX = insert(OutboxEvent.__table__)  # type: ignore[arg-type]
