"""Webhook jobs: fan outbox rows out to subscriptions, deliver one attempt, and the sweeper's pass.

Each job commits before it enqueues what follows (the next attempt through RQ's
scheduler, or the next delivery in the lane). The database is the source of truth:
``sweep_webhooks`` rebuilds every lost job from it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import redis
from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError

from factcheck import db
from factcheck.config import Settings
from factcheck.db import utcnow
from factcheck.observability import metrics
from factcheck.references import safe_http
from factcheck.webhooks import attempts, outbound, transport
from factcheck.webhooks.outbound import Head
from factcheck.webhooks.retries import RetryPolicy

log = logging.getLogger(__name__)


def _settings() -> Settings:
    settings: Settings = current_app.extensions["factcheck.settings"]
    return settings


def dispatch_outbox() -> int:
    """Turn every undispatched outbox row into deliveries and enqueue the lane heads among them."""
    transport.dispatch_started()
    return _fan_out(older_than=None)


def _fan_out(older_than: timedelta | None) -> int:
    policy = RetryPolicy.from_settings(_settings())
    total = 0
    while True:
        try:
            with db.unit_of_work() as session:
                cutoff = utcnow() - older_than if older_than is not None else None
                batch = outbound.fan_out(session, policy, older_than=cutoff)
        except (IntegrityError, OperationalError) as exc:
            # A concurrent pass (SQLite has no row locks) took these rows first.
            log.info("webhook fan-out lost a race (%s); the other pass delivers", type(exc).__name__)
            return total
        if not batch.events:
            return total
        total += len(batch.deliveries)
        if batch.deliveries:
            with db.unit_of_work() as session:
                heads = outbound.lane_heads(session, ids=batch.deliveries)
            _enqueue(heads)


def deliver(delivery_id: str, attempt: int) -> str:
    """Make attempt number ``attempt`` (0-based) of a delivery; returns what happened, in a word."""
    settings = _settings()
    lease = timedelta(seconds=2 * settings.webhook_timeout + 30)
    with db.unit_of_work() as session:
        prepared = attempts.claim(session, delivery_id, attempt, lease)
    if isinstance(prepared, str):
        metrics.count_webhook_outcome(prepared)  # counts "disabled"; stale, waiting, leased are no-ops
        return prepared
    with safe_http.SafeClient(safe_http.current_policy(), timeout=settings.webhook_timeout) as client:
        result = attempts.send(client, prepared)
    with db.unit_of_work() as session:
        follow_up = attempts.record(session, delivery_id, result, RetryPolicy.from_settings(settings))
    metrics.count_webhook_outcome(follow_up.outcome)
    if follow_up.retry is not None:
        _enqueue([follow_up.retry])
    if follow_up.handover is not None:
        _enqueue([follow_up.handover])
    return follow_up.outcome


def _enqueue(heads: list[Head], conn: redis.Redis | None = None) -> int:
    return sum(
        transport.enqueue_delivery(head.delivery_id, head.attempts, head.next_attempt_at, conn=conn)
        for head in heads
    )


@dataclass
class WebhookSweep:
    dispatched: int = 0
    """Deliveries created from outbox rows no dispatch job had picked up."""
    requeued: int = 0
    """Due deliveries whose job was lost (Redis restarted or flushed, worker died)."""


def sweep_webhooks(conn: redis.Redis) -> WebhookSweep:
    """The sweeper's webhook pass: dispatch forgotten outbox rows, re-enqueue lost delivery jobs."""
    settings = _settings()
    report = WebhookSweep(dispatched=_fan_out(older_than=timedelta(seconds=settings.sweep_grace)))
    stale_after = timedelta(seconds=settings.job_stale_after)
    with db.unit_of_work() as session:
        due = outbound.lane_heads(session, due_before=utcnow() - timedelta(seconds=settings.sweep_grace))
    for head in due:
        job_id = transport.delivery_job_id(head.delivery_id, head.attempts)
        if transport.job_is_alive(conn, job_id, stale_after):
            continue
        if transport.enqueue_delivery(head.delivery_id, head.attempts, conn=conn):
            report.requeued += 1
    return report
