"""Intake: turn a validated claim submission into a ticket, or into more demand on an open one."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from factcheck.actors import Actor
from factcheck.db import utcnow
from factcheck.models import Ticket
from factcheck.tickets import journal, opening
from factcheck.tickets.representation import new_ticket_dict

INITIAL_STATE = "submitted"
CREATED_EVENTS = ("ticket.created",)
_SPACE = re.compile(r"\s+")
_EDGE_PUNCTUATION = "\"'.,;:!?- \u2018\u2019\u201c\u201d\u201e\u00ab\u00bb\u2026\u2013\u2014"


def normalise_claim(text: str) -> str:
    """Canonical form used to recognise the same claim: NFKC, case-folded, single spaces, no
    punctuation at either end (unless the claim is nothing but punctuation: then it is kept,
    so that "???" and "!!!" stay two claims)."""
    spaced = _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return spaced.strip(_EDGE_PUNCTUATION) or spaced


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


@dataclass(frozen=True)
class Intake:
    """What a submission did: opened a ticket, or counted one more demand on the open one."""

    ticket_id: str
    created: bool
    state: str
    demand: int
    representation: dict[str, Any] | None
    """The new ticket as the API shows it (also its ``ticket.created`` payload); None when the
    claim was open already (``ticket_dict`` of the ticket, then: it is in the session)."""


def submit_claim(
    session: Session, submission: Submission, actor: Actor, *, whole_unit: bool = False
) -> Intake:
    """Open a ticket for the claim, or count one more demand on the open ticket for it.

    Writes in the caller's transaction; the caller commits, then enqueues collection, whose job
    also matches the claim against earlier ones (``factcheck.jobs.collect``): opening a ticket
    stays one statement on PostgreSQL (``factcheck.tickets.opening``).
    """
    key = claim_key(submission.claim)
    for _ in range(3):  # the open ticket may close between our insert and our update
        opened = _open_unless_open(session, submission, key, actor, whole_unit)
        if opened is not None:
            return opened
        existing = _bump_demand(session, key, actor)
        if existing is not None:
            return Intake(existing.id, False, existing.state, existing.demand, None)
    raise RuntimeError(f"claim key {key} keeps changing hands")


def _open_unless_open(
    session: Session, submission: Submission, key: str, actor: Actor, whole_unit: bool
) -> Intake | None:
    """Write the new ticket with its tags, audit event and ``ticket.created`` outbox row, or
    nothing and return None if an open ticket has this claim.

    No look-up first and no race between two requests opening the same claim: the insert is
    ``ON CONFLICT (open_claim_key) DO NOTHING``. Every column value is known here, so the
    representation (the outbox payload) is made before the write, and nothing is read back.
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
    ticket_id = values["id"]
    tags = sorted(submission.tags)
    representation = new_ticket_dict(values, tags)
    event = journal.event_row(
        ticket_id, actor, "create", None, INITIAL_STATE, {"channel": submission.channel}
    )
    outbox = journal.outbox_rows(ticket_id, {"ticket": representation}, CREATED_EVENTS)
    if not opening.insert_unless_open(session, values, tags, event, outbox, whole_unit=whole_unit):
        return None
    return Intake(ticket_id, True, INITIAL_STATE, values["demand"], representation)


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
