"""The Redis side of webhooks: job ids, enqueue helpers and job liveness.

Every helper here runs after a commit and never raises on a Redis failure: the database
says what is unfinished, and the sweeper enqueues it again if a job never makes it.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

import redis
from flask import current_app
from redis.client import Pipeline
from rq import Queue
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import JobStatus
from rq.registry import ScheduledJobRegistry

from factcheck import queue, redis_batch
from factcheck.config import Settings
from factcheck.db import utcnow

log = logging.getLogger(__name__)

DISPATCH_FUNCTION = "factcheck.jobs.deliver.dispatch_outbox"
DELIVER_FUNCTION = "factcheck.jobs.deliver.deliver"
DISPATCH_REQUESTED = "factcheck:webhooks:dispatch-requested"
"""Set while a fan-out pass is queued and has not started reading the outbox."""
DISPATCH_REQUEST_TTL = 120
"""Seconds after which a flag whose pass was lost stops holding back new passes."""
FAILURE_TTL = 7 * 24 * 3600
_WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
_DEAD = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED}


def delivery_job_id(delivery_id: str, attempt: int) -> str:
    """Stable per attempt: a duplicate enqueue of the same attempt is refused by Redis."""
    return f"deliver-{delivery_id}-{attempt}"


def enqueue_dispatch(conn: redis.Redis | None = None) -> None:
    """Make sure a fan-out pass starts after the caller's commit: one Redis round trip mostly,
    or none of its own inside a ``queue.batched()`` block.

    The flag is set with ``NX`` by the caller that enqueues a pass, and cleared by that pass
    before it reads the outbox (``dispatch_started``). So a caller that finds the flag set knows
    a pass has not read yet and will see the rows it has just committed; a caller that sets it
    enqueues a new pass. A flag whose pass was lost expires; the sweeper covers the gap.
    """
    try:
        connection = conn or queue.connection()
        batch = redis_batch.current(connection)
        if batch is not None:
            batch.send(_set_dispatch_flag, lambda reply: _pass_if_flag_set(connection, reply))
        else:
            _pass_if_flag_set(connection, _set_dispatch_flag(connection))
    except redis.RedisError as exc:
        log.warning("could not enqueue the webhook dispatch (%s); the sweeper will do it", exc)


def _set_dispatch_flag(client: redis.Redis | Pipeline) -> Any:
    return client.set(DISPATCH_REQUESTED, "1", nx=True, ex=DISPATCH_REQUEST_TTL)


def _pass_if_flag_set(connection: redis.Redis, flag_set: Any) -> None:
    """Enqueue a fan-out pass if this caller set the flag (``flag_set``: the reply of the SET)."""
    if isinstance(flag_set, redis.RedisError):
        log.warning("could not enqueue the webhook dispatch (%s); the sweeper will do it", flag_set)
        return
    if not flag_set:
        return
    try:
        queue.queue(queue.WEBHOOK_QUEUE, connection).enqueue(
            DISPATCH_FUNCTION, job_timeout=300, result_ttl=0, failure_ttl=FAILURE_TTL
        )
    except redis.RedisError as exc:
        with contextlib.suppress(redis.RedisError):
            connection.delete(DISPATCH_REQUESTED)
        log.warning("could not enqueue the webhook dispatch (%s); the sweeper will do it", exc)


def dispatch_started(conn: redis.Redis | None = None) -> None:
    """Called by a fan-out pass before it reads: later commits must request a pass of their own."""
    try:
        (conn or queue.connection()).delete(DISPATCH_REQUESTED)
    except redis.RedisError as exc:
        log.warning("could not clear the dispatch flag (%s); it expires by itself", exc)


def enqueue_delivery(
    delivery_id: str,
    attempt: int,
    at: datetime | None = None,
    *,
    conn: redis.Redis | None = None,
    replace_scheduled: bool = False,
) -> bool:
    """Queue attempt number ``attempt`` of a delivery, now or at ``at`` (RQ's scheduler).

    Returns False if that attempt's job already exists or Redis is unreachable.
    ``replace_scheduled`` moves an attempt scheduled for later to now (a manual redelivery).
    """
    settings: Settings = current_app.extensions["factcheck.settings"]
    job_id = delivery_job_id(delivery_id, attempt)
    when = at if at is not None and at > utcnow() else None
    try:
        webhooks = queue.queue(queue.WEBHOOK_QUEUE, conn)
        timeout = int(settings.webhook_timeout) + 30
        if _enqueue_unique(webhooks, job_id, DELIVER_FUNCTION, (delivery_id, attempt), timeout, when):
            return True
        if replace_scheduled and _status(webhooks.connection, job_id) == JobStatus.SCHEDULED:
            _delete(webhooks.connection, job_id)
            return _enqueue_unique(webhooks, job_id, DELIVER_FUNCTION, (delivery_id, attempt), timeout, when)
    except redis.RedisError as exc:
        log.warning("could not enqueue delivery %s (%s); the sweeper will retry", delivery_id, exc)
    return False


def _enqueue_unique(
    webhooks: Queue,
    job_id: str,
    function: str,
    args: tuple[object, ...],
    job_timeout: int,
    at: datetime | None = None,
) -> bool:
    """Enqueue under ``job_id`` unless a live job has it; a dead job's id is freed first."""
    for _ in range(2):
        options = {
            "job_id": job_id,
            "unique": True,
            "job_timeout": job_timeout,
            "result_ttl": 0,
            "failure_ttl": FAILURE_TTL,
        }
        try:
            if at is None:
                webhooks.enqueue(function, *args, **options)
            else:
                webhooks.enqueue_at(at, function, *args, **options)
            return True
        except DuplicateJobError:
            if _status(webhooks.connection, job_id) not in _DEAD:
                return False
            _delete(webhooks.connection, job_id)
    return False


def _status(conn: redis.Redis, job_id: str) -> JobStatus | None:
    try:
        return queue.fetch_job(job_id, conn).get_status(refresh=False)
    except NoSuchJobError:
        return None


def _delete(conn: redis.Redis, job_id: str) -> None:
    with contextlib.suppress(NoSuchJobError):
        queue.fetch_job(job_id, conn).delete()


def job_is_alive(conn: redis.Redis, job_id: str, stale_after: timedelta) -> bool:
    """True if the job waits to run, or runs with a fresh heartbeat; a dead job is deleted.

    A scheduled job long past its time counts as dead: the scheduler holding it has died.
    """
    try:
        job = queue.fetch_job(job_id, conn)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status == JobStatus.SCHEDULED:
        registry = ScheduledJobRegistry(queue.WEBHOOK_QUEUE, connection=conn, serializer=queue.SERIALIZER)
        with contextlib.suppress(NoSuchJobError):
            if utcnow() - registry.get_scheduled_time(job) < stale_after:
                return True
    elif status in _WAITING:
        return True
    beat = job.last_heartbeat or job.started_at
    if status == JobStatus.STARTED and beat is not None and utcnow() - beat < stale_after:
        return True
    job.delete()
    return False
