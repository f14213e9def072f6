"""The RQ worker that runs factcheck jobs inside a Flask app context."""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

import redis
from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker, Worker
from rq.executions import Execution
from rq.job import Job
from rq.serializers import Serializer
from rq.timeouts import BaseDeathPenalty
from rq.utils import now
from rq.worker import BaseWorker
from sqlalchemy.exc import OperationalError

from factcheck import db, queue
from factcheck.config import Settings
from factcheck.observability import context, metrics

log = logging.getLogger(__name__)


def bind_job(job: Job) -> None:
    """Log lines and audit events from now on carry the job's id, and the id of the request
    that queued it when the job's meta names one."""
    context.bind(request=context.sane_request_id(job.meta.get("request_id")), job=job.id)


class JobBindingQueue(Queue):
    """Binds a job's ids the moment it is dequeued, so that RQ's own "dequeued" line has them."""

    @classmethod
    def dequeue_any(
        cls,
        queues: Iterable[Queue],
        timeout: int | None,
        connection: Redis,
        job_class: type[Job] | None = None,
        serializer: Serializer | str | None = None,
        death_penalty_class: type[BaseDeathPenalty] | None = None,
    ) -> tuple[Job, Queue] | None:
        found = super().dequeue_any(queues, timeout, connection, job_class, serializer, death_penalty_class)
        if found is not None:
            bind_job(found[0])
        return found


class _TimedJobs(BaseWorker):
    """What both kinds of worker share: the Flask app, and each job timed in
    ``factcheck_job_duration_seconds``."""

    app: Flask

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        started = time.perf_counter()
        succeeded = super().perform_job(job, queue, execution)
        metrics.observe_job(job.func_name, succeeded, time.perf_counter() - started)
        return succeeded


class AppWorker(_TimedJobs, Worker):
    """An RQ worker whose work-horse runs each job inside ``app.app_context()``, under the job's
    ids (logs, audit events)."""

    def execute_job(self, job: Job, queue: Queue) -> None:
        bind_job(job)
        try:
            super().execute_job(job, queue)
        finally:
            context.clear()

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        metrics.enter_work_horse(os.getppid())
        # The horse is a fork: drop the parent's pooled connections without closing them.
        self.app.extensions["factcheck.engine"].dispose(close=False)
        with self.app.app_context():
            super().main_work_horse(job, queue)


class InProcessWorker(_TimedJobs, SimpleWorker):
    """Runs each job in the worker process itself (``FACTCHECK_WORKER_MODE=in-process``): no fork,
    so database connections, compiled statements and imports stay warm from job to job.

    With no work-horse, nobody else beats the job's heartbeat while it runs; a thread does, so
    the sweeper never takes a long job for a dead one.
    """

    def execute_job(self, job: Job, queue: Queue) -> None:
        done = threading.Event()
        beating = threading.Thread(target=self._beat, args=(job, done), daemon=True, name="job-heartbeat")
        bind_job(job)
        beating.start()
        try:
            with self.app.app_context():
                super().execute_job(job, queue)
        finally:
            done.set()
            beating.join(timeout=5)
            context.clear()

    def _beat(self, job: Job, done: threading.Event) -> None:
        while not done.wait(self.job_monitoring_interval):
            try:
                job.heartbeat(now(), self.get_heartbeat_ttl(job))
            except redis.RedisError as exc:
                log.warning("could not beat the heartbeat of %s (%s)", job.id, exc)


def build_worker(
    app: Flask, queue_names: Sequence[str] = queue.QUEUE_NAMES, **kwargs: Any
) -> AppWorker | InProcessWorker:
    """A worker for ``queue_names`` (default: every factcheck queue), JSON-serialised jobs, of the
    kind ``FACTCHECK_WORKER_MODE`` names."""
    settings: Settings = app.extensions["factcheck.settings"]
    worker_class = InProcessWorker if settings.worker_mode == "in-process" else AppWorker
    with app.app_context():
        conn = queue.connection()
        queues = [JobBindingQueue(name, connection=conn, serializer=queue.SERIALIZER) for name in queue_names]
    worker = worker_class(
        queues,
        connection=conn,
        worker_ttl=settings.worker_ttl,
        job_monitoring_interval=settings.job_monitoring_interval,
        maintenance_interval=settings.maintenance_interval,
        serializer=queue.SERIALIZER,
        queue_class=JobBindingQueue,
        **kwargs,
    )
    worker.app = app
    return worker


JOB_MODULES = ("factcheck.jobs.collect", "factcheck.jobs.deliver")
"""Imported by the worker before it forks: every work-horse inherits them instead of importing
them again (with trafilatura, lxml and the stemmers, that import is most of a short job)."""


def warm_up(app: Flask) -> None:
    """Import the job code and the enabled reference sources, configure the ORM mappers and
    initialise the database dialect, once, in the parent."""
    from sqlalchemy.orm import configure_mappers

    from factcheck.references import registry

    for name in JOB_MODULES:
        importlib.import_module(name)
    registry.enabled_sources(app.extensions["factcheck.settings"])
    configure_mappers()
    with app.app_context():
        engine = db.engine()
        try:
            with engine.connect():  # the dialect's first-connect set-up, done once for every horse
                pass
        except OperationalError as exc:  # the database may come up later; jobs retry meanwhile
            log.warning("database not reachable at worker start (%s)", exc)
        engine.dispose()


def run_worker(app: Flask, burst: bool = False, queue_names: Sequence[str] = queue.QUEUE_NAMES) -> bool:
    """Work until stopped (or, with ``burst``, until the queues are empty)."""
    unknown = set(queue_names) - set(queue.QUEUE_NAMES)
    if unknown:
        raise ValueError(
            f"unknown queue {', '.join(sorted(unknown))}; the queues are {', '.join(queue.QUEUE_NAMES)}"
        )
    warm_up(app)
    worker = build_worker(app, queue_names)
    return bool(worker.work(burst=burst, with_scheduler=True, logging_level="INFO"))
