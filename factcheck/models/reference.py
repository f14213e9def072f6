"""Corroborating references attached to a ticket, with their provenance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from factcheck.db import Base, UTCDateTime, new_id, utcnow

STANCES = ("unknown", "supports", "refutes", "context")


class Reference(Base):
    __tablename__ = "references"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(1000))
    url: Mapped[str | None] = mapped_column(String(2048))
    publisher: Mapped[str | None] = mapped_column(String(500))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    passage: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    stance: Mapped[str] = mapped_column(String(20), default="unknown")
    pinned: Mapped[bool] = mapped_column(default=False)
    added_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_by_label: Mapped[str] = mapped_column(String(320), default="system")
    query: Mapped[str | None] = mapped_column(Text)
    """Provenance: what the source was asked."""
    source_version: Mapped[str | None] = mapped_column(String(200))
    """Provenance: the version of what was retrieved (page revision, ETag, document hash)."""
    document_id: Mapped[str | None] = mapped_column(String(32))
    retrieved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
