"""Tips from readers: the claim a reader sent through the public form, and their tracking link."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from factcheck.db import Base, UTCDateTime, new_id, utcnow
from factcheck.models.ticket import Ticket


class Tip(Base):
    """One reader's tip. The tracking token is shown to the reader once; only its SHA-256 is kept."""

    __tablename__ = "tips"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str | None] = mapped_column(Text)
    """What the reader added: where they saw the claim, why it matters."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(lazy="joined")
