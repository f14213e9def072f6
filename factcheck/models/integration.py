"""Integrations: systems that submit claims through signed inbound webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from factcheck.db import Base, UTCDateTime, new_id, utcnow


class Integration(Base):
    """A tipline, CMS or bot allowed to POST to ``/hooks/v1/<name>``, signing with its secret."""

    __tablename__ = "integrations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    sealed_secret: Mapped[str] = mapped_column(String(500))
    """The ``whsec_`` secret encrypted with a key derived from SECRET_KEY (``webhooks.vault``).

    Not a hash: verifying an HMAC needs the secret itself.
    """
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundMessage(Base):
    """One accepted inbound webhook, kept so that a replayed ``webhook-id`` gets the first response."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    integration_id: Mapped[str] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(255))
    """The sender's ``webhook-id``."""
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("integration_id", "message_id"),)
