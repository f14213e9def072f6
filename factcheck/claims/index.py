"""Writing the claim-matching index: tickets at intake, imported ClaimReviews when they are
flushed, and a full rebuild (``factcheck claims reindex``).

Each indexed claim is a ``MatchEntry`` with one ``MatchTerm`` row per distinct term, its BM25
term weight computed once here. Writes go through the caller's connection and transaction.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, event, insert, select
from sqlalchemy.orm import Mapper, Session

from factcheck.claims.terms import terms
from factcheck.models import ClaimReviewRecord, Ticket
from factcheck.models.matching import MatchEntry, MatchTerm

K1 = 1.2
B = 0.75
AVERAGE_LENGTH = 16.0
"""A typical claim's number of terms: fixed so stored weights never need recomputing."""


def term_weights(claim_terms: list[str]) -> dict[str, float]:
    """BM25's saturated, length-normalised term frequency for each distinct term."""
    norm = K1 * (1 - B + B * len(claim_terms) / AVERAGE_LENGTH)
    return {term: count * (K1 + 1) / (count + norm) for term, count in Counter(claim_terms).items()}


def index_ticket(session: Session, ticket: Ticket) -> None:
    """Index a new ticket's claim (dated by its claim date, else its creation day)."""
    dated = ticket.claim_date or (ticket.created_at.date() if ticket.created_at else None)
    _replace(session.connection(), "ticket", ticket.claim, dated, ticket_id=ticket.id)


def index_claim_review(connection: Connection, review: ClaimReviewRecord) -> None:
    """Index an imported review's claim, replacing what an earlier import indexed for it."""
    text = review_text(review.claim, review.raw)
    _replace(connection, "claimreview", text, _day(review.date_published), claim_review_id=review.id)


def review_text(claim: str, raw: Any) -> str:
    """A review is found by its claim and by its headline (which often words the claim anew)."""
    headline = raw.get("headline") or raw.get("name") if isinstance(raw, dict) else None
    if isinstance(headline, str) and headline.strip() and headline.strip() != claim.strip():
        return f"{claim}\n{headline.strip()[:1000]}"
    return claim


def _replace(connection: Connection, kind: str, text: str, dated: date | None, **owner: Any) -> None:
    column, value = next(iter(owner.items()))
    connection.execute(delete(MatchEntry).where(getattr(MatchEntry, column) == value))
    write_entries(connection, [{"kind": kind, "text": text, "dated": dated, **owner}])


def write_entries(connection: Connection, items: list[dict[str, Any]]) -> int:
    """Insert entries (``kind``, ``text``, ``dated`` and ``ticket_id`` or ``claim_review_id``)
    and their terms in a few statements; items whose text has no terms are left out."""
    rows, postings = [], []
    for item in items:
        claim_terms = terms(item["text"])
        if claim_terms:
            rows.append(
                {
                    "ticket_id": None,
                    "claim_review_id": None,
                    "dated": None,
                    **item,
                    "length": len(claim_terms),
                }
            )
            postings.append(term_weights(claim_terms))
    if not rows:
        return 0
    ids = connection.execute(
        insert(MatchEntry).returning(MatchEntry.id, sort_by_parameter_order=True), rows
    ).scalars()
    connection.execute(
        insert(MatchTerm),
        [
            {"term": term, "entry_id": entry_id, "weight": weight}
            for entry_id, weights in zip(ids, postings, strict=True)
            for term, weight in weights.items()
        ],
    )
    return len(rows)


def reindex(session: Session, batch: int = 2000) -> int:
    """Rebuild the whole index from tickets and imported reviews; returns the entries written."""
    connection = session.connection()
    connection.execute(delete(MatchTerm))
    connection.execute(delete(MatchEntry))
    tickets = connection.execute(select(Ticket.id, Ticket.claim, Ticket.claim_date, Ticket.created_at)).all()
    items: list[dict[str, Any]] = [
        {"kind": "ticket", "text": claim, "dated": claim_date or created.date(), "ticket_id": ticket_id}
        for ticket_id, claim, claim_date, created in tickets
    ]
    reviews = connection.execute(
        select(
            ClaimReviewRecord.id,
            ClaimReviewRecord.claim,
            ClaimReviewRecord.raw,
            ClaimReviewRecord.date_published,
        )
    ).all()
    items += [
        {
            "kind": "claimreview",
            "text": review_text(claim, raw),
            "dated": _day(published),
            "claim_review_id": review_id,
        }
        for review_id, claim, raw, published in reviews
    ]
    return sum(write_entries(connection, items[i : i + batch]) for i in range(0, len(items), batch))


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _claim_review_written(_mapper: Mapper[Any], connection: Connection, review: ClaimReviewRecord) -> None:
    index_claim_review(connection, review)


def listen() -> None:
    """Keep imported reviews indexed: every ORM insert or update of one re-indexes it.

    Bulk Core inserts bypass this; run ``factcheck claims reindex`` after one.
    """
    for name in ("after_insert", "after_update"):
        if not event.contains(ClaimReviewRecord, name, _claim_review_written):
            event.listen(ClaimReviewRecord, name, _claim_review_written)
