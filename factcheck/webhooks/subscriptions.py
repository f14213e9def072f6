"""Outbound subscriptions: create, change, list deliveries, redeliver. Functions flush, never commit."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from factcheck.actors import Actor
from factcheck.db import utcnow
from factcheck.models import DeliveryAttempt, WebhookDelivery, WebhookSubscription
from factcheck.references.safe_http import BlockedDestination, OutboundPolicy
from factcheck.tickets.representation import rfc3339
from factcheck.webhooks import signing, vault
from factcheck.webhooks.outbound import Head, is_lane_head
from factcheck.webhooks.retries import RetryPolicy


class SubscriptionInactive(Exception):
    """A redelivery was asked for on a disabled subscription."""


def url_problem(url: str, policy: OutboundPolicy) -> str | None:
    """Why ``url`` can never be delivered to, as far as is known without DNS; None if it may be.

    Host names are checked when each delivery connects (their addresses may change).
    """
    try:
        parsed = httpx.URL(url)
        policy.check_url(parsed)
    except (httpx.InvalidURL, BlockedDestination) as exc:
        return str(exc)
    try:
        address = ipaddress.ip_address(parsed.host)
    except ValueError:
        return None
    try:
        policy.check(parsed.host, address)
    except BlockedDestination as exc:
        return f"{exc}; an admin can allow it with FACTCHECK_OUTBOUND_ALLOW_HOSTS"
    return None


def create(
    session: Session, url: str, events: Sequence[str], actor: Actor
) -> tuple[WebhookSubscription, str]:
    """Add an active subscription; returns it and its ``whsec_`` secret (shown once)."""
    secret = signing.generate_secret()
    subscription = WebhookSubscription(
        url=url,
        events=list(dict.fromkeys(events)),
        sealed_secret=vault.seal(secret),
        active=True,
        created_by_id=actor.user_id,
    )
    session.add(subscription)
    session.flush()
    return subscription, secret


def update(session: Session, subscription: WebhookSubscription, changes: dict[str, Any]) -> None:
    """Apply ``url``, ``events`` and/or ``active``; re-enabling clears the failure flags."""
    if "url" in changes:
        subscription.url = changes["url"]
    if "events" in changes:
        subscription.events = list(dict.fromkeys(changes["events"]))
    if "active" in changes and changes["active"] != subscription.active:
        subscription.active = changes["active"]
        if subscription.active:
            subscription.disabled_reason = None
            subscription.failing_since = None
        else:
            subscription.disabled_reason = "disabled by an admin"
    subscription.updated_at = utcnow()
    session.flush()


def subscription_dict(subscription: WebhookSubscription) -> dict[str, Any]:
    """The API representation (never the secret): the failure flags show a receiver in trouble."""
    if not subscription.active:
        health = "disabled"
    elif subscription.failing_since is not None:
        health = "failing"
    else:
        health = "ok"
    return {
        "id": subscription.id,
        "url": subscription.url,
        "events": list(subscription.events),
        "active": subscription.active,
        "health": health,
        "disabled_reason": subscription.disabled_reason,
        "failing_since": rfc3339(subscription.failing_since),
        "created_at": rfc3339(subscription.created_at),
        "updated_at": rfc3339(subscription.updated_at),
    }


@dataclass(frozen=True)
class DeliveryPage:
    items: list[WebhookDelivery]
    next_cursor: str | None


def list_deliveries(
    session: Session, subscription_id: str, limit: int, cursor: str | None, status: str | None = None
) -> DeliveryPage:
    """Newest first, keyset-paginated on ``(created_at, id)``; the cursor is the last item's id."""
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if cursor is not None:
        last = session.get(WebhookDelivery, cursor)
        if last is None or last.subscription_id != subscription_id:
            raise ValueError("unknown cursor")
        query = query.where(_before(WebhookDelivery, last.created_at, last.id))
    query = query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit + 1)
    rows = list(session.scalars(query))
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return DeliveryPage(rows[:limit], next_cursor)


def delivery_dict(delivery: WebhookDelivery, attempts: list[DeliveryAttempt] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": delivery.id,
        "event": delivery.event_type,
        "event_id": delivery.event.event_id,
        "ticket_id": delivery.ticket_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "next_attempt_at": rfc3339(delivery.next_attempt_at),
        "created_at": rfc3339(delivery.created_at),
        "delivered_at": rfc3339(delivery.delivered_at),
    }
    if attempts is not None:
        body["attempt_log"] = [
            {
                "number": attempt.number,
                "at": rfc3339(attempt.started_at),
                "status_code": attempt.status_code,
                "duration_ms": attempt.duration_ms,
                "error": attempt.error,
                "outcome": attempt.outcome,
                "response_excerpt": attempt.response_excerpt,
            }
            for attempt in attempts
        ]
    return body


def attempt_log(session: Session, delivery_id: str) -> list[DeliveryAttempt]:
    return list(
        session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == delivery_id)
            .order_by(DeliveryAttempt.number)
        )
    )


def redeliver(session: Session, delivery: WebhookDelivery, policy: RetryPolicy) -> Head | None:
    """Send a delivery again now, with the same ``webhook-id`` and a fresh retry window.

    Returns what to enqueue after commit, or None when an earlier delivery in its lane is
    pending (it will hand over). Raises SubscriptionInactive on a disabled subscription.
    """
    if not delivery.subscription.active:
        raise SubscriptionInactive("enable the subscription before redelivering")
    now = utcnow()
    delivery.status = "pending"
    delivery.next_attempt_at = now
    delivery.retry_until = now + policy.window
    delivery.delivered_at = None
    session.flush()
    if not is_lane_head(session, delivery):
        return None
    return Head(delivery.id, delivery.attempts, now)


def list_subscriptions(
    session: Session, limit: int, cursor: str | None
) -> tuple[list[WebhookSubscription], str | None]:
    """Oldest first, keyset-paginated on ``(created_at, id)``; the cursor is the last item's id."""
    query = select(WebhookSubscription)
    if cursor is not None:
        last = session.get(WebhookSubscription, cursor)
        if last is None:
            raise ValueError("unknown cursor")
        query = query.where(
            ~_before(WebhookSubscription, last.created_at, last.id), WebhookSubscription.id != last.id
        )
    query = query.order_by(WebhookSubscription.created_at, WebhookSubscription.id).limit(limit + 1)
    rows = list(session.scalars(query))
    return rows[:limit], rows[limit - 1].id if len(rows) > limit else None


def _before(
    model: type[WebhookDelivery] | type[WebhookSubscription], created_at: datetime, ident: str
) -> ColumnElement[bool]:
    """Rows ordered before ``(created_at, ident)`` in ``(created_at, id)`` order (keyset pagination)."""
    return or_(model.created_at < created_at, and_(model.created_at == created_at, model.id < ident))
