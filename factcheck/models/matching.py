"""The claim-matching index: one entry per indexed claim, and its terms (an inverted index).

Plain tables on every backend, so ranking is identical on SQLite and PostgreSQL and needs no
extension. ``factcheck.claims.index`` writes them; ``factcheck.claims.matching`` reads them.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from factcheck.db import Base

MATCH_KINDS = ("ticket", "claimreview")


class MatchEntry(Base):
    """A claim that new claims are compared with: a ticket's claim or an imported ClaimReview's."""

    __tablename__ = "match_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    claim_review_id: Mapped[int | None] = mapped_column(
        ForeignKey("claim_reviews.id", ondelete="CASCADE"), unique=True
    )
    text: Mapped[str] = mapped_column(Text)
    """What was indexed (the claim, plus a review's headline when it has one)."""
    length: Mapped[int] = mapped_column(Integer)
    """Number of terms in ``text``."""
    dated: Mapped[date | None] = mapped_column(Date)
    """When the claim was made or reviewed: the ticket's claim date, the review's publication date."""


class MatchTerm(Base):
    """One posting: ``term`` occurs in ``entry`` with BM25 term weight ``weight``."""

    __tablename__ = "match_terms"

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("match_entries.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    """``tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / AVERAGE_LENGTH))``, fixed at indexing."""

    # Postings of a term, weights included: candidate look-ups read this index alone.
    __table_args__ = (Index("ix_match_terms_term", "term", "entry_id", "weight"),)
