"""Earlier fact-checks imported as ClaimReview records (schema.org), from any publisher.

One row per review URL (re-importing the same URL updates it). Used by the ``factchecks``
reference source and for the ticket's ``matches``; claim matching at intake may reuse it:
``claim`` is the reviewed claim text and ``claim_key`` its normalised hash
(``factcheck.tickets.intake.claim_key``), ``raw`` keeps the JSON-LD as imported.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from factcheck.db import Base, UTCDateTime, utcnow


class ClaimReviewRecord(Base):
    __tablename__ = "claim_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    """The review's own URL: the import key."""
    claim: Mapped[str] = mapped_column(Text)
    """``claimReviewed``: the claim as the publisher worded it."""
    claim_key: Mapped[str] = mapped_column(String(64), index=True)
    claimant: Mapped[str | None] = mapped_column(String(500))
    """``itemReviewed.author.name``: who made the claim."""
    publisher: Mapped[str | None] = mapped_column(String(500))
    """``author.name`` (or ``publisher.name``) of the review."""
    rating: Mapped[str | None] = mapped_column(String(200))
    """``reviewRating.alternateName``: the verdict in the publisher's words."""
    rating_value: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str | None] = mapped_column(String(16))
    date_published: Mapped[datetime | None] = mapped_column(UTCDateTime)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
