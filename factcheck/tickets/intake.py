"""Intake: turn a validated claim submission into a ticket, or into more demand on an open one."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from factcheck.actors import Actor
from factcheck.claims import index as claim_index
from factcheck.claims import linking
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

    Returns ``(ticket, created)``. Flushes; the caller commits, then enqueues collection.
    """
    key = claim_key(submission.claim)
    existing = _bump_demand(session, key, actor)
    if existing is not None:
        return existing, False
    ticket = Ticket(
        claim=submission.claim,
        claim_key=key,
        open_claim_key=key,
        speaker=submission.speaker,
        claim_date=submission.claim_date,
        source_url=submission.source_url,
        language=submission.language,
        priority=submission.priority,
        origin_channel=submission.channel,
        origin_integration=submission.integration,
        external_id=submission.external_id,
        article_id=submission.article_id,
        checkworthiness=submission.checkworthiness,
        created_by_id=actor.user_id,
        state=INITIAL_STATE,
        collection_sources={},
        matches=linking.matches_for(session, submission.claim, submission.claim_date),
        tag_rows=[TicketTag(tag=tag) for tag in submission.tags],
    )
    try:
        with session.begin_nested():
            session.add(ticket)
            session.flush()
    except IntegrityError:
        # Another request opened the same claim between our look-up and insert.
        existing = _bump_demand(session, key, actor)
        if existing is None:
            raise
        return existing, False
    claim_index.index_ticket(session, ticket)
    journal.record(
        session,
        ticket,
        actor,
        "create",
        from_state=None,
        to_state=INITIAL_STATE,
        data={"channel": submission.channel, **linking.audit_data(ticket.matches)},
        emit=("ticket.created",),
        is_new=True,
    )
    return ticket, True


def _bump_demand(session: Session, key: str, actor: Actor) -> Ticket | None:
    ticket_id = session.scalar(select(Ticket.id).where(Ticket.open_claim_key == key))
    if ticket_id is None:
        return None
    session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id)
        .values(demand=Ticket.demand + 1, version=Ticket.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
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
