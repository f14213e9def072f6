"""Figures for the newsroom dashboard: tickets per state, the prioritised triage queue, time in
state, tickets opened and closed per day, and time from intake to publication.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from factcheck.models import Publication, Ticket, TicketEvent
from factcheck.workflow import CLOSED_STATES, STATES

OPEN_STATES = tuple(state for state in STATES if state not in CLOSED_STATES and state != "published")
FINISHED_STATES = (*CLOSED_STATES, "published")
"""Reaching one of these closes a ticket for the opened/closed chart."""
UNKNOWN_CHECKWORTHINESS = 0.5
"""Tickets nobody scored (typed in by a person) count as middling."""
TRIAGE_SCAN = 1000
"""At most this many triage tickets are scored for the queue (the oldest are never starved: age grows)."""


@dataclass(frozen=True)
class QueueItem:
    ticket: Ticket
    score: float
    """checkworthiness * demand * (age in hours + 1): the +1 keeps a new ticket from scoring zero."""


@dataclass(frozen=True)
class Day:
    day: date
    opened: int
    closed: int


@dataclass(frozen=True)
class PublicationTimes:
    per_day: list[tuple[date, float | None]]
    """Median hours from intake to first publication, for fact-checks first published that day."""
    median_hours: float | None
    count: int


def counts_by_state(session: Session) -> dict[str, int]:
    """Every state with its number of tickets (zero included), in workflow order."""
    rows = session.execute(select(Ticket.state, func.count()).group_by(Ticket.state))
    found = {state: int(count) for state, count in rows}
    return {state: found.get(state, 0) for state in STATES}


def my_tickets(session: Session, user_id: str, limit: int = 20) -> list[Ticket]:
    """Open tickets assigned to this user, most recently changed first."""
    return list(
        session.scalars(
            select(Ticket)
            .where(Ticket.assignee_id == user_id, Ticket.state.in_(OPEN_STATES))
            .order_by(Ticket.updated_at.desc())
            .limit(limit)
        )
    )


def priority(ticket: Ticket, now: datetime) -> float:
    worthiness = ticket.checkworthiness if ticket.checkworthiness is not None else UNKNOWN_CHECKWORTHINESS
    age_hours = max((now - ticket.created_at).total_seconds(), 0.0) / 3600
    return worthiness * max(ticket.demand, 1) * (age_hours + 1)


def triage_queue(session: Session, now: datetime, limit: int = 20) -> list[QueueItem]:
    """Tickets waiting in triage, highest priority first."""
    rows = session.scalars(
        select(Ticket).where(Ticket.state == "triage").order_by(Ticket.created_at).limit(TRIAGE_SCAN)
    )
    items = [QueueItem(ticket, priority(ticket, now)) for ticket in rows]
    items.sort(key=lambda item: (-item.score, item.ticket.created_at))
    return items[:limit]


def state_since(session: Session, tickets: Sequence[Ticket]) -> dict[str, datetime]:
    """When each ticket entered its current state (its creation if no event says otherwise)."""
    if not tickets:
        return {}
    rows = session.execute(
        select(TicketEvent.ticket_id, func.max(TicketEvent.at))
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            TicketEvent.ticket_id.in_([ticket.id for ticket in tickets]),
            TicketEvent.to_state == Ticket.state,
            or_(TicketEvent.from_state.is_(None), TicketEvent.from_state != TicketEvent.to_state),
        )
        .group_by(TicketEvent.ticket_id)
    )
    since = {ticket_id: moment for ticket_id, moment in rows}
    return {ticket.id: _aware(since.get(ticket.id)) or ticket.created_at for ticket in tickets}


def _aware(value: datetime | None) -> datetime | None:
    """``max()`` over a UTCDateTime column comes back naive on SQLite: it is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def daily_activity(session: Session, now: datetime, days: int = 30) -> list[Day]:
    """Tickets opened and closed (published, rejected, merged, retracted) per day, oldest first."""
    first = (now - timedelta(days=days - 1)).date()
    start = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    opened = Counter(
        moment.date()
        for moment in session.scalars(select(Ticket.created_at).where(Ticket.created_at >= start))
    )
    finished = session.execute(
        select(TicketEvent.ticket_id, TicketEvent.at).where(
            TicketEvent.at >= start,
            TicketEvent.to_state.in_(FINISHED_STATES),
            TicketEvent.from_state != TicketEvent.to_state,
        )
    )
    # A ticket closed twice in a day (published, reopened, published again) counts once that day.
    closed = Counter(day for _ticket, day in {(ticket_id, moment.date()) for ticket_id, moment in finished})
    return [
        Day(day, opened.get(day, 0), closed.get(day, 0))
        for day in (first + timedelta(days=offset) for offset in range(days))
    ]


def publication_times(session: Session, now: datetime, days: int = 30) -> PublicationTimes:
    """How long fact-checks first published in the last ``days`` days took from intake."""
    first = (now - timedelta(days=days - 1)).date()
    start = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    rows = session.execute(
        select(Publication.published_at, Ticket.created_at)
        .join(Ticket, Ticket.id == Publication.ticket_id)
        .where(Publication.version == 1, Publication.published_at >= start)
    )
    hours_by_day: dict[date, list[float]] = {}
    every: list[float] = []
    for published_at, created_at in rows:
        hours = max((published_at - created_at).total_seconds(), 0.0) / 3600
        hours_by_day.setdefault(published_at.date(), []).append(hours)
        every.append(hours)
    per_day = [
        (day, statistics.median(hours_by_day[day]) if day in hours_by_day else None)
        for day in (first + timedelta(days=offset) for offset in range(days))
    ]
    return PublicationTimes(per_day, statistics.median(every) if every else None, len(every))
