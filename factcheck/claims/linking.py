"""A new ticket's ``matches``: index search results turned into API entries, with link levels.

Every match scores at least ``match_suggest_threshold``. Those at ``match_auto_link_threshold``
or above are auto-linked (``"link": "auto"``): the same claim in other words, shown as such to
checkers and counted in the ticket's audit event; the others are suggestions. Claims with
fewer than ``match_min_terms_auto_link`` content words are only ever suggested: short texts
look alike too easily. Closed tickets (rejected, merged, retracted) are never matched.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factcheck.claims import matching
from factcheck.claims.terms import terms
from factcheck.config import Settings
from factcheck.models import ClaimReviewRecord, Publication, Ticket

API_PREFIX = "/api/v1"


def matches_for(
    session: Session,
    claim: str,
    claim_date: date | None,
    settings: Settings | None = None,
    *,
    exclude_ticket: str | None = None,
) -> list[dict[str, Any]]:
    """The ``matches`` list for a claim, best first, leaving out the ticket ``exclude_ticket``."""
    settings = settings or current_app.extensions["factcheck.settings"]
    found = matching.search(
        session,
        claim,
        claim_date=claim_date,
        limit=settings.match_limit * 2,  # some may be closed tickets
        min_score=settings.match_suggest_threshold,
    )
    may_auto_link = len(terms(claim)) >= settings.match_min_terms_auto_link
    found = [item for item in found if item.ticket_id is None or item.ticket_id != exclude_ticket]
    tickets = _tickets(session, [item.ticket_id for item in found if item.ticket_id])
    reviews = _reviews(session, [item.claim_review_id for item in found if item.claim_review_id])
    entries = []
    for item in found:
        if item.ticket_id is not None and item.ticket_id in tickets:
            entry = _ticket_entry(session, tickets[item.ticket_id], settings)
        elif item.claim_review_id is not None and item.claim_review_id in reviews:
            entry = _review_entry(reviews[item.claim_review_id])
        else:
            continue
        entry["score"] = item.score
        auto = may_auto_link and item.score >= settings.match_auto_link_threshold
        entry["link"] = "auto" if auto else "suggested"
        entries.append(entry)
    return entries[: settings.match_limit]


def audit_data(matches: list[dict[str, Any]]) -> dict[str, Any]:
    """What the ticket's ``create`` audit event records about its matches."""
    if not matches:
        return {}
    linked = [entry.get("ticket_id") or entry["url"] for entry in matches if entry["link"] == "auto"]
    return {"matches": len(matches), **({"auto_linked": linked} if linked else {})}


def _tickets(session: Session, ids: list[str]) -> dict[str, Ticket]:
    if not ids:
        return {}
    rows = session.scalars(select(Ticket).where(Ticket.id.in_(ids), Ticket.open_claim_key.is_not(None)))
    return {ticket.id: ticket for ticket in rows}


def _reviews(session: Session, ids: list[int]) -> dict[int, ClaimReviewRecord]:
    if not ids:
        return {}
    return {
        review.id: review
        for review in session.scalars(select(ClaimReviewRecord).where(ClaimReviewRecord.id.in_(ids)))
    }


def _ticket_entry(session: Session, ticket: Ticket, settings: Settings) -> dict[str, Any]:
    base = settings.base_url.rstrip("/")
    entry: dict[str, Any] = {
        "kind": "ticket",
        "ticket_id": ticket.id,
        "claim": ticket.claim,
        "url": f"{base}{API_PREFIX}/tickets/{ticket.id}",
        "state": ticket.state,
    }
    if ticket.state == "published":
        publication = _latest_publication(session, ticket.id)
        if publication is not None and publication.kind != "retraction":
            entry["url"] = f"{base}/fact-checks/{publication.slug}"
            entry["publisher"] = settings.organisation_name
            entry["rating"] = publication.rating
    return entry


def _latest_publication(session: Session, ticket_id: str) -> Publication | None:
    latest = select(func.max(Publication.version)).where(Publication.ticket_id == ticket_id).scalar_subquery()
    return session.scalar(
        select(Publication).where(Publication.ticket_id == ticket_id, Publication.version == latest)
    )


def _review_entry(review: ClaimReviewRecord) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": "claimreview", "claim": review.claim, "url": review.url}
    if review.publisher:
        entry["publisher"] = review.publisher
    if review.rating:
        entry["rating"] = review.rating
    return entry
