"""Outbound fan-out: outbox rows become deliveries, and lanes keep each ticket's events in order.

A delivery's lane is ``(subscription, ticket)``. Only the head of a lane (its pending
delivery with the lowest outbox id) is ever attempted; the others wait, and whoever
finishes the head hands over to the next. So a receiver gets one ticket's events in the
order they happened, even while an earlier one is being retried, and other tickets'
events are not held up. Service functions here flush; the job or request commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import Exists

from factcheck.db import new_id, utcnow
from factcheck.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from factcheck.webhooks.retries import RetryPolicy

Delivery = WebhookDelivery


@dataclass(frozen=True)
class Head:
    """A delivery that may be attempted now: what a job for it needs to be enqueued."""

    delivery_id: str
    attempts: int
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class FanOut:
    events: int
    """Outbox rows marked dispatched."""
    deliveries: list[str]
    """Ids of the deliveries created for them."""


def fan_out(
    session: Session, policy: RetryPolicy, *, older_than: datetime | None = None, limit: int = 500
) -> FanOut:
    """Create a pending delivery per undispatched outbox row and matching subscription. Flushes.

    Rows are taken in id order and locked on PostgreSQL, so
    two concurrent passes never split one ticket's events out of order; the unique
    ``(subscription, event)`` constraint makes a duplicate pass fail instead of double-sending.
    A subscription gets only events that happened after it was created.
    """
    query = select(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)).order_by(OutboxEvent.id)
    if older_than is not None:
        query = query.where(OutboxEvent.created_at <= older_than)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    events = session.scalars(query.limit(limit)).all()
    if not events:
        return FanOut(0, [])
    subscriptions = session.scalars(select(WebhookSubscription).where(WebhookSubscription.active)).all()
    now = utcnow()
    created: list[str] = []
    for event in events:
        for subscription in subscriptions:
            if event.event_type not in subscription.events or subscription.created_at > event.created_at:
                continue
            delivery = Delivery(
                id=new_id(),
                subscription_id=subscription.id,
                outbox_event_id=event.id,
                event_type=event.event_type,
                ticket_id=event.ticket_id,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                retry_until=now + policy.window,
                created_at=now,
            )
            session.add(delivery)
            created.append(delivery.id)
        event.dispatched_at = now
    session.flush()
    return FanOut(len(events), created)


def _earlier_pending_in_lane() -> Exists:
    earlier = aliased(Delivery)
    return exists().where(
        earlier.subscription_id == Delivery.subscription_id,
        earlier.ticket_id == Delivery.ticket_id,
        earlier.status == "pending",
        earlier.outbox_event_id < Delivery.outbox_event_id,
    )


def lane_heads(
    session: Session,
    *,
    ids: list[str] | None = None,
    due_before: datetime | None = None,
    limit: int = 1000,
) -> list[Head]:
    """Pending deliveries with no earlier pending delivery in their lane (optionally among ``ids``)."""
    query = select(Delivery.id, Delivery.attempts, Delivery.next_attempt_at).where(
        Delivery.status == "pending", ~_earlier_pending_in_lane()
    )
    if ids is not None:
        query = query.where(Delivery.id.in_(ids))
    if due_before is not None:
        query = query.where(Delivery.next_attempt_at <= due_before)
    rows = session.execute(query.order_by(Delivery.outbox_event_id).limit(limit)).all()
    return [Head(*row) for row in rows]


def is_lane_head(session: Session, delivery: WebhookDelivery) -> bool:
    return not session.scalar(
        select(
            exists().where(
                Delivery.subscription_id == delivery.subscription_id,
                Delivery.ticket_id == delivery.ticket_id,
                Delivery.status == "pending",
                Delivery.outbox_event_id < delivery.outbox_event_id,
            )
        )
    )


def next_in_lane(session: Session, delivery: WebhookDelivery) -> Head | None:
    """The lane's new head after ``delivery`` stopped being pending; None if the lane is empty."""
    if delivery.ticket_id is None:
        return None
    row = session.execute(
        select(Delivery.id, Delivery.attempts, Delivery.next_attempt_at)
        .where(
            Delivery.subscription_id == delivery.subscription_id,
            Delivery.ticket_id == delivery.ticket_id,
            Delivery.status == "pending",
        )
        .order_by(Delivery.outbox_event_id)
        .limit(1)
    ).first()
    return Head(*row) if row is not None else None


def disable(session: Session, subscription: WebhookSubscription, reason: str) -> int:
    """Turn a subscription off and fail its pending deliveries (a redelivery can revive them).

    Returns how many deliveries were failed. Flushes.
    """
    subscription.active = False
    subscription.disabled_reason = reason[:300]
    session.flush()
    result = session.execute(
        update(Delivery)
        .where(Delivery.subscription_id == subscription.id, Delivery.status == "pending")
        .values(status="failed", last_error=f"subscription disabled: {reason}"[:500], next_attempt_at=None)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)
