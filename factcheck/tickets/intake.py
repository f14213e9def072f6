"""Intake: turn a validated claim submission into a ticket, or into more demand on an open one."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, insert, text, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from factcheck.actors import Actor
from factcheck.db import utcnow
from factcheck.models import Ticket, TicketTag
from factcheck.tickets import journal

INITIAL_STATE = "submitted"
_SPACE = re.compile(r"\s+")
_EDGE_PUNCTUATION = "\"'.,;:!?- \u2018\u2019\u201c\u201d\u201e\u00ab\u00bb\u2026\u2013\u2014"


def normalise_claim(text: str) -> str:
    """Canonical form used to recognise the same claim: NFKC, case-folded, single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _SPACE.sub(" ", text).strip(_EDGE_PUNCTUATION)


def claim_key(text: str) -> str:
    return hashlib.sha256(normalise_claim(text).encode()).hexdigest()


@dataclass
class Submission:
    claim: str
    channel: str
    speaker: str | None = None
    claim_date: date | None = None
    source_url: str | None = None
    language: str = "en"
    tags: tuple[str, ...] = ()
    priority: int = 0
    external_id: str | None = None
    integration: str | None = None
    article_id: str | None = None
    checkworthiness: float | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any], channel: str = "api") -> Submission:
        return cls(
            claim=data["claim"].strip(),
            channel=channel,
            speaker=data.get("speaker"),
            claim_date=data.get("claim_date"),
            source_url=data.get("source_url"),
            language=data.get("language") or "en",
            tags=tuple(dict.fromkeys(data.get("tags") or ())),
            priority=data.get("priority") or 0,
            external_id=data.get("external_id"),
        )


def submit_claim(session: Session, submission: Submission, actor: Actor) -> tuple[Ticket, bool]:
    """Open a ticket for the claim, or count one more demand on the open ticket for it.

    Returns ``(ticket, created)``. Flushes; the caller commits, then enqueues collection, whose
    job also matches the claim against earlier ones (``factcheck.jobs.collect``): intake stays
    a handful of inserts.
    """
    key = claim_key(submission.claim)
    for _ in range(3):  # the open ticket may close between our insert and our update
        ticket = _insert_unless_open(session, submission, key, actor)
        if ticket is not None:
            journal.record(
                session,
                ticket,
                actor,
                "create",
                from_state=None,
                to_state=INITIAL_STATE,
                data={"channel": submission.channel},
                emit=("ticket.created",),
                is_new=True,
            )
            return ticket, True
        existing = _bump_demand(session, key, actor)
        if existing is not None:
            return existing, False
    raise RuntimeError(f"claim key {key} keeps changing hands")


def _insert_unless_open(session: Session, submission: Submission, key: str, actor: Actor) -> Ticket | None:
    """Insert the ticket in one statement, or return None if an open ticket has this claim.

    ``INSERT ... ON CONFLICT (open_claim_key) DO NOTHING RETURNING id``: no look-up first, no
    savepoint, and no race between two requests opening the same claim. Every column value is
    known here, so the ticket becomes a persistent ORM object without reading it back.
    """
    values = _with_defaults(
        {
            "claim": submission.claim,
            "claim_key": key,
            "open_claim_key": key,
            "speaker": submission.speaker,
            "claim_date": submission.claim_date,
            "source_url": submission.source_url,
            "language": submission.language,
            "priority": submission.priority,
            "origin_channel": submission.channel,
            "origin_integration": submission.integration,
            "external_id": submission.external_id,
            "article_id": submission.article_id,
            "checkworthiness": submission.checkworthiness,
            "created_by_id": actor.user_id,
            "state": INITIAL_STATE,
            "collection_sources": {},
            "matches": [],
        }
    )
    if session.execute(_INSERT_UNLESS_OPEN, values).first() is None:
        return None
    ticket = Ticket(**values)
    make_transient_to_detached(ticket)  # its attributes count as loaded from the database
    session.add(ticket)
    tag_rows = [TicketTag(ticket_id=ticket.id, tag=tag) for tag in sorted(submission.tags)]
    if tag_rows:
        session.execute(_INSERT_TAGS, [{"ticket_id": row.ticket_id, "tag": row.tag} for row in tag_rows])
        for row in tag_rows:
            make_transient_to_detached(row)
            session.add(row)
    # A new ticket has exactly these: say so, so that reading them costs no query.
    set_committed_value(ticket, "tag_rows", tag_rows)
    set_committed_value(ticket, "verdict", None)
    set_committed_value(ticket, "assignee", None)
    return ticket


def _with_defaults(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` completed with the column defaults of the model, for every column."""
    for column in _TICKETS.columns:
        if column.key not in values:
            default = column.default
            if default is None:
                values[column.key] = None
            else:
                values[column.key] = default.arg(None) if default.is_callable else default.arg
    return values


_TICKETS = Ticket.__table__
_INSERT_TAGS = insert(TicketTag.__table__)  # type: ignore[arg-type]
_INSERT_UNLESS_OPEN = text(
    f"INSERT INTO {Ticket.__tablename__} ({', '.join(column.name for column in _TICKETS.columns)}) "  # noqa: S608 (names from the model)
    f"VALUES ({', '.join(':' + column.key for column in _TICKETS.columns)}) "
    "ON CONFLICT (open_claim_key) DO NOTHING RETURNING id"
).bindparams(*(bindparam(column.key, type_=column.type) for column in _TICKETS.columns))
"""Written as text because SQLAlchemy 2.0 never caches a compiled ``ON CONFLICT`` construct,
and compiling this one again for every ticket cost more than everything else intake does.
PostgreSQL and SQLite (3.35+) both accept this statement as it stands."""


def _bump_demand(session: Session, key: str, actor: Actor) -> Ticket | None:
    ticket_id = session.scalar(
        update(Ticket)
        .where(Ticket.open_claim_key == key)
        .values(demand=Ticket.demand + 1, version=Ticket.version + 1, updated_at=utcnow())
        .returning(Ticket.id)
        .execution_options(synchronize_session=False)
    )
    if ticket_id is None:
        return None
    ticket = session.get(Ticket, ticket_id, populate_existing=True)
    assert ticket is not None
    journal.record(
        session,
        ticket,
        actor,
        "demand",
        from_state=ticket.state,
        to_state=ticket.state,
        data={"demand": ticket.demand},
    )
    return ticket
