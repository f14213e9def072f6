"""Tips from readers: a claim sent through the public form, and the tracking link that shows
its progress. The link's token is returned once; only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from factcheck.actors import Actor
from factcheck.models import Ticket, Tip
from factcheck.tickets import intake
from factcheck.tickets.representation import latest_publication

CHANNEL = "tip"
READER = Actor(label="reader (tip form)", role="integration")
"""Readers act like an integration: they may submit, nothing else."""
MERGE_HOPS = 5


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def submit_tip(
    session: Session, claim: str, source_url: str | None = None, note: str | None = None
) -> tuple[Tip, str, bool]:
    """Open a ticket for the reader's claim (or add demand to the open one) and a tracking token.

    Returns ``(tip, token, created)``; ``created`` says whether a new ticket was opened (the
    caller enqueues its collection after commit). Flushes.
    """
    submission = intake.Submission(claim=claim.strip(), channel=CHANNEL, source_url=source_url)
    result = intake.submit_claim(session, submission, READER)
    token = secrets.token_urlsafe(24)
    tip = Tip(ticket_id=result.ticket_id, token_hash=_hash(token), note=note)
    session.add(tip)
    session.flush()
    return tip, token, result.created


def find_tip(session: Session, token: str) -> Tip | None:
    """The tip a tracking token belongs to, or None."""
    if not 16 <= len(token) <= 64 or not token.isascii():
        return None
    return session.scalar(select(Tip).where(Tip.token_hash == _hash(token)))


def notes_for(session: Session, ticket_id: str) -> list[Tip]:
    """What readers wrote about this ticket's claim, oldest first."""
    return list(session.scalars(select(Tip).where(Tip.ticket_id == ticket_id).order_by(Tip.created_at)))


@dataclass(frozen=True)
class TipStatus:
    """What a reader may see: a public stage, and the publication once there is one."""

    stage: str
    """``received``, ``checking``, ``published``, ``not-checked`` or ``withdrawn``."""
    ticket: Ticket
    slug: str | None = None


PUBLIC_STAGES = {
    "submitted": "received",
    "collecting": "received",
    "triage": "received",
    "researching": "checking",
    "in_review": "checking",
    "approved": "checking",
    "published": "published",
    "rejected": "not-checked",
    "retracted": "withdrawn",
}


def status(session: Session, tip: Tip) -> TipStatus:
    """The tip's public stage, following merges to the ticket that carries the claim on."""
    ticket = tip.ticket
    for _ in range(MERGE_HOPS):
        if ticket.state != "merged" or ticket.duplicate_of_id is None:
            break
        target = session.get(Ticket, ticket.duplicate_of_id)
        if target is None:
            break
        ticket = target
    publication = latest_publication(session, ticket.id)
    if publication is not None and publication.kind != "retraction":
        return TipStatus("published", ticket, publication.slug)
    return TipStatus(PUBLIC_STAGES.get(ticket.state, "received"), ticket)
