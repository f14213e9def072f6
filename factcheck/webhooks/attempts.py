"""One delivery attempt: claim the delivery, sign and POST it, then record what came of it.

``claim`` and ``record`` each run in their own short transaction; ``send`` runs between
them with no database session open, so a slow receiver holds no connection or lock.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from factcheck.db import utcnow
from factcheck.models import DeliveryAttempt, OutboxEvent, WebhookDelivery
from factcheck.references.safe_http import BlockedDestination, SafeClient
from factcheck.tickets.representation import rfc3339
from factcheck.webhooks import outbound, signing, vault
from factcheck.webhooks.outbound import Head
from factcheck.webhooks.retries import DELIVERED, FAILED, GONE, RetryPolicy, classify, parse_retry_after

EXCERPT_CHARS = 1000
"""How much of a receiver's answer the log keeps."""


@dataclass(frozen=True)
class Prepared:
    """Everything needed to POST one attempt, read while the delivery was claimed."""

    delivery_id: str
    url: str
    secret: str
    message_id: str
    body: bytes


@dataclass(frozen=True)
class Result:
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    excerpt: str | None
    retry_after: float | None


@dataclass(frozen=True)
class FollowUp:
    """What to enqueue once the record is committed."""

    outcome: str
    retry: Head | None = None
    """The same delivery, at its next attempt."""
    handover: Head | None = None
    """The next delivery in the lane, now that this one is no longer pending."""


def envelope(event: OutboxEvent) -> bytes:
    """The body every attempt sends: ``{type, timestamp, data: {ticket}}``, compact UTF-8 JSON."""
    body = {"type": event.event_type, "timestamp": rfc3339(event.created_at), "data": event.payload}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def claim(session: Session, delivery_id: str, attempt: int, lease: timedelta) -> Prepared | str:
    """Lease attempt ``attempt`` of a delivery for this worker, or say why not (a short word).

    Refuses when the delivery is no longer pending, the attempt was already made (a stale
    or duplicate job), an earlier delivery in its lane is pending, or another worker holds
    the lease. Flushes.
    """
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return "missing"
    if delivery.status != "pending" or delivery.attempts != attempt:
        return "stale"
    subscription = delivery.subscription
    if not subscription.active:
        outbound.disable(session, subscription, subscription.disabled_reason or "disabled by an admin")
        return "disabled"
    if not outbound.is_lane_head(session, delivery):
        return "waiting"
    now = utcnow()
    leased = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == "pending",
            WebhookDelivery.attempts == attempt,
            or_(WebhookDelivery.leased_until.is_(None), WebhookDelivery.leased_until < now),
        )
        .values(leased_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    if getattr(leased, "rowcount", 0) != 1:
        return "leased"
    return Prepared(
        delivery_id=delivery.id,
        url=subscription.url,
        secret=vault.unseal(subscription.sealed_secret),
        message_id=delivery.event.event_id,
        body=envelope(delivery.event),
    )


def send(client: SafeClient, prepared: Prepared) -> Result:
    """Sign with a fresh timestamp and POST once; every failure becomes a Result, never an exception."""
    started_at = utcnow()
    headers = signing.sign(prepared.secret, prepared.message_id, started_at, prepared.body)
    headers["Content-Type"] = "application/json"
    clock = time.monotonic()
    status_code: int | None = None
    error = excerpt = None
    retry_after: float | None = None
    try:
        response = client.request(
            "POST",
            prepared.url,
            content=prepared.body,
            headers=headers,
            max_bytes=4 * EXCERPT_CHARS,
            truncate=True,
        )
        status_code = response.status_code
        # NUL is the one character PostgreSQL cannot store: a binary answer must not stop the log.
        excerpt = response.content.decode("utf-8", "replace").replace("\x00", "\ufffd")[:EXCERPT_CHARS]
        retry_after = parse_retry_after(response.headers.get("Retry-After"), utcnow())
    except BlockedDestination as exc:
        error = f"blocked: {exc}"
    except httpx.TimeoutException as exc:
        error = f"timeout ({type(exc).__name__})"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    duration_ms = int((time.monotonic() - clock) * 1000)
    return Result(started_at, duration_ms, status_code, error and error[:500], excerpt, retry_after)


def record(session: Session, delivery_id: str, result: Result, policy: RetryPolicy) -> FollowUp:
    """Log the attempt and move the delivery on: delivered, retry later, or failed. Flushes."""
    delivery = session.get(
        WebhookDelivery, delivery_id, populate_existing=True, with_for_update={"of": WebhookDelivery}
    )
    if delivery is None:
        return FollowUp(FAILED)
    was_pending = delivery.status == "pending"
    delivery.attempts += 1
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    delivery.leased_until = None
    outcome = classify(result.status_code)
    follow_up = FollowUp(outcome)
    if outcome == DELIVERED:
        _delivered(delivery)
    elif not was_pending:
        outcome = FAILED  # disabled or redelivered meanwhile: log only
    elif outcome == GONE:
        _fail(delivery)
        outbound.disable(session, delivery.subscription, "the receiver answered 410 Gone")
    else:
        follow_up = _retry_or_fail(session, delivery, result, policy)
        outcome = follow_up.outcome
    session.add(
        DeliveryAttempt(
            delivery_id=delivery.id,
            number=delivery.attempts,
            started_at=result.started_at,
            duration_ms=result.duration_ms,
            status_code=result.status_code,
            error=result.error,
            response_excerpt=result.excerpt,
            outcome=outcome,
        )
    )
    session.flush()
    if was_pending and delivery.status != "pending" and delivery.subscription.active:
        return FollowUp(outcome, handover=outbound.next_in_lane(session, delivery))
    return FollowUp(outcome, retry=follow_up.retry)


def _delivered(delivery: WebhookDelivery) -> None:
    delivery.status = "delivered"
    delivery.delivered_at = utcnow()
    delivery.next_attempt_at = None
    delivery.last_error = None
    if delivery.subscription.failing_since is not None:  # write the shared row only on a change
        delivery.subscription.failing_since = None


def _fail(delivery: WebhookDelivery, reason: str | None = None) -> None:
    delivery.status = "failed"
    delivery.next_attempt_at = None
    if reason:
        delivery.last_error = reason[:500]


def _retry_or_fail(
    session: Session, delivery: WebhookDelivery, result: Result, policy: RetryPolicy
) -> FollowUp:
    now = utcnow()
    subscription = delivery.subscription
    if subscription.failing_since is None:
        subscription.failing_since = now
    last = result.error or f"HTTP {result.status_code}"
    if now - subscription.failing_since >= policy.disable_after:
        _fail(delivery, f"gave up: {last}")
        since = rfc3339(subscription.failing_since)
        outbound.disable(session, subscription, f"every delivery has failed since {since}")
        return FollowUp(FAILED)
    at = policy.next_attempt_at(now, delivery.attempts, result.retry_after)
    if at > delivery.retry_until:
        _fail(delivery, f"gave up after {delivery.attempts} attempts; last: {last}")
        return FollowUp(FAILED)
    delivery.next_attempt_at = at
    return FollowUp("retry", retry=Head(delivery.id, delivery.attempts, at))
