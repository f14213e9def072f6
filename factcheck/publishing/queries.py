"""Read-side queries over publications: live fact-checks (filtered, cursor-paged) and the
corrections log.

A fact-check is live when its newest publication version is not a retraction.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from factcheck.models import Publication, Ticket
from factcheck.tickets.queries import BadCursor, decode_cursor

__all__ = ["BadCursor", "FactCheckFilter", "LiveFactCheck", "changes", "list_live"]


@dataclass
class FactCheckFilter:
    rating: str | None = None
    speaker: str | None = None
    since: date | None = None
    """First published on or after this day (UTC)."""
    until: date | None = None
    """First published on or before this day (UTC)."""
    q: str | None = None
    """Words in the claim or the summary."""


@dataclass(frozen=True)
class LiveFactCheck:
    ticket: Ticket
    current: Publication
    first_published_at: datetime


def list_live(
    session: Session, filters: FactCheckFilter, limit: int, cursor: str | None
) -> tuple[list[LiveFactCheck], str | None]:
    """Live fact-checks, newest first publication first; one page and the next page's cursor."""
    latest = (
        select(Publication.ticket_id, func.max(Publication.version).label("version"))
        .group_by(Publication.ticket_id)
        .subquery()
    )
    current, first = aliased(Publication), aliased(Publication)
    query = (
        select(Ticket, current, first.published_at)
        .join(latest, latest.c.ticket_id == Ticket.id)
        .join(current, and_(current.ticket_id == Ticket.id, current.version == latest.c.version))
        .join(first, and_(first.ticket_id == Ticket.id, first.version == 1))
        .where(current.kind != "retraction")
    )
    query = _filtered(query, filters, current, first)
    if cursor:
        published_at, ticket_id = decode_cursor(cursor)
        query = query.where(
            or_(
                first.published_at < published_at,
                and_(first.published_at == published_at, Ticket.id < ticket_id),
            )
        )
    query = query.order_by(first.published_at.desc(), Ticket.id.desc()).limit(limit + 1)
    rows = [LiveFactCheck(ticket, pub, at) for ticket, pub, at in session.execute(query).all()]
    page, more = rows[:limit], len(rows) > limit
    return page, (_encode_cursor(page[-1]) if more else None)


def _filtered(
    query: Select[tuple[Ticket, Publication, datetime]],
    filters: FactCheckFilter,
    current: type[Publication],
    first: type[Publication],
) -> Select[tuple[Ticket, Publication, datetime]]:
    if filters.rating:
        query = query.where(current.rating == filters.rating)
    if filters.speaker:
        query = query.where(Ticket.speaker.ilike(_contains(filters.speaker), escape="\\"))
    if filters.since:
        query = query.where(first.published_at >= datetime.combine(filters.since, time(), UTC))
    if filters.until:
        query = query.where(first.published_at <= datetime.combine(filters.until, time.max, UTC))
    if filters.q:
        pattern = _contains(filters.q)
        query = query.where(
            or_(Ticket.claim.ilike(pattern, escape="\\"), current.summary.ilike(pattern, escape="\\"))
        )
    return query


def changes(session: Session, limit: int = 200) -> list[tuple[Publication, Ticket]]:
    """Versions after the first (updates, corrections, retractions), newest first."""
    return [
        (publication, ticket)
        for publication, ticket in session.execute(
            select(Publication, Ticket)
            .join(Ticket, Ticket.id == Publication.ticket_id)
            .where(Publication.kind != "initial")
            .order_by(Publication.published_at.desc(), Publication.id.desc())
            .limit(limit)
        ).all()
    ]


def _contains(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _encode_cursor(item: LiveFactCheck) -> str:
    raw = json.dumps([item.first_published_at.isoformat(), item.ticket.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
