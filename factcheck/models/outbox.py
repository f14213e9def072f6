"""The outbox: events written in the same transaction as the change that caused them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from factcheck.db import Base, UTCDateTime, new_id, utcnow

OUTBOX_WRITTEN = "factcheck.outbox_written"
"""``Session.info`` key set when a transaction wrote outbox rows: after its commit a fan-out pass
is requested (``factcheck.webhooks``)."""

EVENT_TYPES = (
    "ticket.created",
    "ticket.references_collected",
    "ticket.state_changed",
    "ticket.published",
    "ticket.corrected",
    "ticket.retracted",
)


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True, default=lambda: "evt_" + new_id())
    """Stable across delivery retries: it becomes the ``webhook-id``."""
    event_type: Mapped[str] = mapped_column(String(50))
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
