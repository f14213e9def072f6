"""The sweeper: re-enqueue what the database says is unfinished and has no live job.

Redis may lose everything (restart, FLUSHALL, eviction) and workers may die mid-job; the
database still knows which tickets wait for collection, so one sweep rebuilds the queue.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta

import redis
from flask import current_app
from rq.exceptions import NoSuchJobError
from rq.job import JobStatus
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from factcheck import db, queue
from factcheck.config import Settings
from factcheck.db import utcnow
from factcheck.jobs.collect import give_up_collection
from factcheck.jobs.deliver import WebhookSweep, sweep_webhooks
from factcheck.models import Ticket

log = logging.getLogger(__name__)
LAST_SWEEP_KEY = "factcheck:sweeper:last_success"
_LIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


@dataclass
class SweepReport:
    examined: int = 0
    requeued: int = 0
    gave_up: int = 0
    deferred: int = 0
    """Tickets left waiting in the database because the collection queue is full."""
    webhooks: WebhookSweep = field(default_factory=WebhookSweep)


def sweep() -> SweepReport:
    """One pass over unfinished collections and webhook deliveries. Records the time of the last success."""
    settings: Settings = current_app.extensions["factcheck.settings"]
    conn = queue.connection()
    cutoff = utcnow() - timedelta(seconds=settings.sweep_grace)
    with db.unit_of_work() as session:
        pending = session.execute(
            select(Ticket.id, Ticket.collection_attempts)
            .where(Ticket.collection_status.in_(("queued", "running")), Ticket.updated_at <= cutoff)
            .order_by(Ticket.created_at, Ticket.id)  # oldest first, when the queue has little room
        ).all()
    report = SweepReport(examined=len(pending))
    room = settings.collect_queue_limit - queue.collect_backlog(conn, fresh=True)
    for index, (ticket_id, attempts) in enumerate(pending):
        if room <= 0:
            report.deferred = len(pending) - index
            break
        if _job_is_alive(conn, ticket_id, settings):
            continue
        if attempts >= settings.collect_max_attempts:
            give_up_collection(ticket_id, attempts)
            report.gave_up += 1
        elif queue.enqueue_collection(ticket_id, conn, within_limit=False):
            report.requeued += 1
            room -= 1
    if not report.deferred:
        conn.delete(queue.DEFERRED_KEY)
    report.webhooks = sweep_webhooks(conn)
    conn.set(LAST_SWEEP_KEY, utcnow().isoformat())
    if report.requeued or report.gave_up or report.webhooks.dispatched or report.webhooks.requeued:
        log.info("sweep: %s", report)
    return report


def refill_due() -> bool:
    """True when tickets wait in the database for room in the collection queue and half of it is free."""
    settings: Settings = current_app.extensions["factcheck.settings"]
    conn = queue.connection()
    if not conn.exists(queue.DEFERRED_KEY):
        return False
    return queue.collect_backlog(conn, fresh=True) <= settings.collect_queue_limit // 2


def _job_is_alive(conn: redis.Redis, ticket_id: str, settings: Settings) -> bool:
    """True if a job for the ticket is waiting, or running with a fresh heartbeat.

    A dead job (failed, or started by a worker that stopped beating) is deleted so that a
    new one can be enqueued under the same stable id.
    """
    try:
        job = queue.fetch_job(queue.collect_job_id(ticket_id), conn)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status == JobStatus.SCHEDULED:
        # A retry whose time is long past: the scheduler that held it died (its lock outlives it).
        registry = ScheduledJobRegistry(queue.COLLECT_QUEUE, connection=conn, serializer=queue.SERIALIZER)
        stale = timedelta(seconds=settings.job_stale_after)
        with contextlib.suppress(NoSuchJobError):
            if utcnow() - registry.get_scheduled_time(job) < stale:
                return True
    elif status in _LIVE:
        return True
    beat = job.last_heartbeat or job.started_at
    fresh = beat is not None and utcnow() - beat < timedelta(seconds=settings.job_stale_after)
    if status == JobStatus.STARTED and fresh:
        return True
    job.delete()
    return False
