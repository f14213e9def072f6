"""The ``factchecks`` source: earlier fact-checks of the same claim.

Two kinds: fact-checks this instance has published (live: the newest publication is not a
retraction, whatever the ticket's state now), and ClaimReview records imported from other
publishers. Each becomes a candidate reference; those similar enough to the claim
(``factchecks_match_threshold``) also carry the ``matches`` entry for the ticket.
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factcheck import db
from factcheck.config import Settings
from factcheck.models import ClaimReviewRecord, Publication, Ticket
from factcheck.references import fulltext
from factcheck.references.sources import Candidate, ClaimQuery, Source
from factcheck.references.text import names_and_numbers, terms

PER_KIND = 10
PUBLISHED_SCANNED = 5000
"""Most recent published fact-checks compared with each claim."""


def similarity(claim: str, other: str) -> float:
    """0..1: cosine of the two claims' content-term sets, lowered when their numbers disagree."""
    left, right = set(terms(claim)), set(terms(other))
    if not left or not right:
        return 0.0
    score = len(left & right) / math.sqrt(len(left) * len(right))
    left_numbers = {n for n in names_and_numbers(claim) if n[:1].isdigit()}
    right_numbers = {n for n in names_and_numbers(other) if n[:1].isdigit()}
    if left_numbers and right_numbers and not left_numbers & right_numbers:
        score *= 0.7
    return round(score, 4)


def search(query: ClaimQuery, settings: Settings) -> list[Candidate]:
    with db.unit_of_work() as session:
        found = _published(session, query, settings) + _imported(session, query, settings)
    return found


def _published(session: Session, query: ClaimQuery, settings: Settings) -> list[Candidate]:
    latest = (
        select(Publication.ticket_id, func.max(Publication.version).label("version"))
        .group_by(Publication.ticket_id)
        .subquery()
    )
    rows = session.execute(
        select(Ticket.id, Ticket.claim, Publication)
        .join(latest, latest.c.ticket_id == Ticket.id)
        .join(
            Publication,
            (Publication.ticket_id == Ticket.id) & (Publication.version == latest.c.version),
        )
        .where(Ticket.id != query.ticket_id, Publication.kind != "retraction")
        .order_by(Publication.published_at.desc())
        .limit(PUBLISHED_SCANNED)
    ).all()
    scored = sorted(
        ((similarity(query.claim, claim), tid, claim, pub) for tid, claim, pub in rows), reverse=True
    )
    candidates = []
    for score, ticket_id, claim, publication in scored[:PER_KIND]:
        if score <= 0:
            break
        url = f"{settings.base_url.rstrip('/')}/fact-checks/{publication.slug}"
        candidates.append(
            _candidate(
                query,
                settings,
                score,
                claim,
                url,
                settings.organisation_name,
                publication.rating,
                publication.summary,
                publication.published_at,
                kind="ticket",
                ticket_id=ticket_id,
                version=f"publication:{publication.version}",
            )
        )
    return candidates


def _imported(session: Session, query: ClaimQuery, settings: Settings) -> list[Candidate]:
    hits = fulltext.search(
        session, fulltext.CLAIM_REVIEWS, query.claim, PER_KIND, settings.library_candidates
    )
    if not hits:
        return []
    records = session.scalars(
        select(ClaimReviewRecord).where(ClaimReviewRecord.id.in_([hit.row_id for hit in hits]))
    ).all()
    return [
        _candidate(
            query,
            settings,
            similarity(query.claim, record.claim),
            record.claim,
            record.url,
            record.publisher,
            record.rating,
            None,
            record.date_published,
            kind="claimreview",
            version=f"updated:{record.updated_at.isoformat()}",
        )
        for record in records
    ]


def _candidate(
    query: ClaimQuery,
    settings: Settings,
    score: float,
    claim: str,
    url: str,
    publisher: str | None,
    rating: str | None,
    summary: str | None,
    published_at: datetime | None,
    *,
    kind: str,
    version: str,
    ticket_id: str | None = None,
) -> Candidate:
    passage = (
        f"Claim: {claim}" + (f" Rating: {rating}." if rating else "") + (f" {summary}" if summary else "")
    )
    match = None
    if score >= settings.factchecks_match_threshold:
        match = {
            "kind": kind,
            "claim": claim,
            "url": url,
            "publisher": publisher,
            "rating": rating,
            "score": score,
        }
        if ticket_id is not None:
            match["ticket_id"] = ticket_id
    return Candidate(
        source="factchecks",
        title=f"Fact-check: {claim}"[:1000],
        url=url,
        passage=passage[:5000],
        query=query.claim,
        source_score=score,
        publisher=publisher,
        published_at=published_at,
        source_version=version,
        match=match,
    )


SOURCE = Source("factchecks", trust=1.0, search=search, timeout=lambda settings: settings.factchecks_timeout)
