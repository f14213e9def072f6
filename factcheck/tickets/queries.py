"""Read-side queries over tickets: filtered lists with keyset (cursor) pagination."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from factcheck.models import Ticket, TicketEvent, TicketTag, User


class BadCursor(ValueError):
    """The cursor was not produced by this service."""


@dataclass
class TicketFilter:
    state: str | None = None
    assignee: str | None = None
    q: str | None = None
    tag: str | None = None
    speaker: str | None = None
    """Part of the speaker's name, any case."""
    created_from: datetime | None = None
    """Opened at or after this moment."""
    created_before: datetime | None = None
    """Opened before this moment."""


def _contains(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with LIKE's own wildcards escaped."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _speaker_and_dates(query: Select[tuple[Ticket]], filters: TicketFilter) -> Select[tuple[Ticket]]:
    if filters.speaker:
        query = query.where(Ticket.speaker.ilike(_contains(filters.speaker), escape="\\"))
    if filters.created_from:
        query = query.where(Ticket.created_at >= filters.created_from)
    if filters.created_before:
        query = query.where(Ticket.created_at < filters.created_before)
    return query


def encode_cursor(ticket: Ticket) -> str:
    raw = json.dumps([ticket.created_at.isoformat(), ticket.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, ticket_id = json.loads(raw)
        moment = datetime.fromisoformat(created_at)
        if not _is_ticket_id(ticket_id) or moment.tzinfo is None:
            raise BadCursor(cursor)
        moment = moment.astimezone(UTC)  # OverflowError at the ends of the calendar
    except (binascii.Error, ValueError, TypeError, OverflowError) as exc:
        raise BadCursor(cursor) from exc
    return moment, ticket_id


def _is_ticket_id(value: object) -> bool:
    """Ids are short printable strings; a NUL would make PostgreSQL fail the query."""
    return isinstance(value, str) and len(value) <= 64 and value.isprintable()


def list_tickets(
    session: Session, filters: TicketFilter, limit: int, cursor: str | None
) -> tuple[list[Ticket], str | None]:
    """Newest first; returns one page and the cursor of the next page (or None)."""
    query = select(Ticket)
    if filters.state:
        query = query.where(Ticket.state == filters.state)
    if filters.assignee:
        query = query.join(User, User.id == Ticket.assignee_id).where(
            or_(User.id == filters.assignee, User.email == filters.assignee.lower())
        )
    if filters.tag:
        query = query.where(Ticket.id.in_(select(TicketTag.ticket_id).where(TicketTag.tag == filters.tag)))
    if filters.q:
        pattern = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Ticket.claim.ilike(pattern, escape="\\"))
    query = _speaker_and_dates(query, filters)
    if cursor:
        created_at, ticket_id = decode_cursor(cursor)
        query = query.where(
            or_(Ticket.created_at < created_at, and_(Ticket.created_at == created_at, Ticket.id < ticket_id))
        )
    query = query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit + 1)
    rows = list(session.scalars(query))
    page, more = rows[:limit], len(rows) > limit
    return page, (encode_cursor(page[-1]) if more else None)


def ticket_events(session: Session, ticket_id: str) -> list[TicketEvent]:
    """The audit trail, oldest first."""
    return list(
        session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
    )
