"""The journal of a ticket: audit events and outbox rows, written in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from factcheck.actors import Actor
from factcheck.models import EVENT_TYPES, OutboxEvent, Ticket, TicketEvent
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
    """Write one audit event and one outbox row per event type in ``emit``.

    The ticket is flushed first so the payload carries its committed version.
    """
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            actor_id=actor.user_id,
            actor_label=actor.label,
            action=action,
            from_state=from_state,
            to_state=to_state,
            data=data or {},
        )
    )
    if not emit:
        return
    session.flush()
    payload = {"ticket": ticket_dict(session, ticket, is_new=is_new)}
    for event_type in emit:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}")
        session.add(OutboxEvent(event_type=event_type, ticket_id=ticket.id, payload=payload))
