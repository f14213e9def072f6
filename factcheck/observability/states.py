"""Time in state: when a ticket leaves a state, how long it had been in it (from the audit trail)."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from factcheck.db import utcnow
from factcheck.models import TicketEvent
from factcheck.observability import metrics


def record_state_left(session: Session, ticket_id: str, state: str) -> None:
    """Observe the time since the ticket entered ``state`` once the caller's transaction commits.

    Entering is the latest audit event that moved the ticket into ``state`` from another one
    (or created it there): one indexed query, made only on a real state change.
    """
    entered = session.scalar(
        select(func.max(TicketEvent.at)).where(
            TicketEvent.ticket_id == ticket_id,
            TicketEvent.to_state == state,
            or_(TicketEvent.from_state.is_(None), TicketEvent.from_state != TicketEvent.to_state),
        )
    )
    if entered is None:
        return
    if entered.tzinfo is None:  # max() over a UTCDateTime column comes back naive on SQLite
        entered = entered.replace(tzinfo=UTC)
    seconds = (utcnow() - entered).total_seconds()
    metrics.observe_time_in_state_after_commit(session, state, seconds)
