"""Outbound webhooks: subscriptions, one delivery per (event, subscription), and the attempt log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from factcheck.db import Base, UTCDateTime, new_id, utcnow
from factcheck.models.outbox import OutboxEvent

DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookSubscription(Base):
    """A receiver URL and the event types it wants, signed with its own ``whsec_`` secret."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column(JSON)
    sealed_secret: Mapped[str] = mapped_column(String(500))
    """The ``whsec_`` secret encrypted with a key derived from SECRET_KEY (``webhooks.vault``)."""
    active: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    """Why the service turned the subscription off (410 Gone, failing for days); None if never."""
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """First failed attempt since the last success; None while the receiver is healthy."""
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WebhookDelivery(Base):
    """One outbox event for one subscription: pending until delivered or given up on.

    ``(subscription_id, ticket_id)`` is the delivery's lane: a delivery is attempted only
    when no earlier one (lower ``outbox_event_id``) in its lane is still pending.
    """

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    outbox_event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(50))
    ticket_id: Mapped[str | None] = mapped_column(String(32))
    """Copied from the event (no foreign key: the log outlives a deleted ticket)."""
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retry_until: Mapped[datetime] = mapped_column(UTCDateTime)
    """No retry is scheduled after this; the delivery then fails (reset by a redelivery)."""
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set while a worker is attempting the delivery, so that a duplicate job cannot send it too."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    subscription: Mapped[WebhookSubscription] = relationship(lazy="joined")
    event: Mapped[OutboxEvent] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("subscription_id", "outbox_event_id"),
        Index("ix_webhook_deliveries_lane", "subscription_id", "ticket_id", "status", "outbox_event_id"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_subscription_id_created_at", "subscription_id", "created_at", "id"),
    )


class DeliveryAttempt(Base):
    """The log: one row per POST to a receiver, whatever came of it."""

    __tablename__ = "webhook_delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    """Network error, timeout or blocked address; None when the receiver answered."""
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20))
    """``delivered``, ``retry`` (another attempt is scheduled), ``failed`` or ``gone`` (410)."""
