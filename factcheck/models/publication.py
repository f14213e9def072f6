"""Publications: every public version of a fact-check, including corrections and retractions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from factcheck.db import Base, UTCDateTime, utcnow

PUBLICATION_KINDS = ("initial", "update", "correction", "retraction")


class Publication(Base):
    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(200), index=True)
    rating: Mapped[str | None] = mapped_column(String(50))
    summary: Mapped[str | None] = mapped_column(Text)
    previous_rating: Mapped[str | None] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    evidence: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    """The pinned references as published (title, url, stance, ...): later edits to the
    ticket's references do not change a published version. None on retractions."""

    __table_args__ = (UniqueConstraint("ticket_id", "version"),)
