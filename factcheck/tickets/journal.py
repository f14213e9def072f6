"""The journal of a ticket: audit events and outbox rows, written in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from factcheck.actors import Actor
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
    is_new: bool = False,
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
    event = {
        "ticket_id": ticket.id,
        "actor_id": actor.user_id,
        "actor_label": actor.label,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "data": data or {},
        "request_id": context.request_id(),
        "job_id": context.job_id(),
    }
    session.execute(_INSERT_EVENT, [event])
    if not emit:
        return
    payload = {"ticket": ticket_dict(session, ticket, is_new=is_new)}
    rows = [{"event_type": event_type, "ticket_id": ticket.id, "payload": payload} for event_type in emit]
    session.execute(_INSERT_OUTBOX, rows)
    session.info[OUTBOX_WRITTEN] = True


_INSERT_EVENT = insert(TicketEvent.__table__)  # type: ignore[arg-type]
_INSERT_OUTBOX = insert(OutboxEvent.__table__)  # type: ignore[arg-type]
