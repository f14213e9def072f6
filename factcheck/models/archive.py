"""Saved copies of fetched evidence, addressed by the SHA-256 of their text.

A reference names its copy by ``content_sha256``; the same text fetched for many tickets is
stored once, and it stays readable after the original page changes or disappears.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from factcheck.db import Base, UTCDateTime, utcnow


class ArchivedText(Base):
    __tablename__ = "archived_texts"

    content_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2048))
    """Where the text was first fetched from (after redirects)."""
    content_type: Mapped[str | None] = mapped_column(String(200))
    fetched_bytes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
