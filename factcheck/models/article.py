"""Articles submitted for claim extraction, and the claims found in them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from factcheck.db import Base, UTCDateTime, new_id, utcnow

ARTICLE_INPUTS = ("text", "html", "url")


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the normalised title and text: posting the same article again finds this row."""
    title: Mapped[str | None] = mapped_column(String(1000))
    text: Mapped[str] = mapped_column(Text)
    """Plain text the claims' offsets point into (extracted from HTML or the fetched page)."""
    input_kind: Mapped[str] = mapped_column(String(10))
    source_url: Mapped[str | None] = mapped_column(String(2048))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    claims: Mapped[list[ArticleClaim]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ArticleClaim.position"
    )


class ArticleClaim(Base):
    """One sentence of an article, scored, attributed and (if check-worthy) linked to a ticket."""

    __tablename__ = "article_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    part: Mapped[str] = mapped_column(String(10))
    """``title`` (offsets into the title) or ``body`` (offsets into the text)."""
    sentence: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str | None] = mapped_column(String(500))
    speaker_rule: Mapped[str | None] = mapped_column(String(40))
    claim_date: Mapped[date | None] = mapped_column(Date)
    checkworthiness: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """Why the score is what it is: ``{"signal", "weight", "evidence"}`` per signal."""
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
