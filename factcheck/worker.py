"""The RQ worker that runs factcheck jobs inside a Flask app context."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from typing import Any

from flask import Flask
from rq import Queue, Worker
from rq.job import Job
from sqlalchemy.exc import OperationalError

from factcheck import db, queue
from factcheck.config import Settings

log = logging.getLogger(__name__)


class AppWorker(Worker):
    """An RQ worker whose work-horse runs each job inside ``app.app_context()``."""

    app: Flask

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        # The horse is a fork: drop the parent's pooled connections without closing them.
        self.app.extensions["factcheck.engine"].dispose(close=False)
        with self.app.app_context():
            super().main_work_horse(job, queue)


def build_worker(app: Flask, queue_names: Sequence[str] = queue.QUEUE_NAMES, **kwargs: Any) -> AppWorker:
    """A worker for ``queue_names`` (default: every factcheck queue), JSON-serialised jobs."""
    settings: Settings = app.extensions["factcheck.settings"]
    with app.app_context():
        conn = queue.connection()
        queues = [queue.queue(name, conn) for name in queue_names]
    worker = AppWorker(
        queues,
        connection=conn,
        worker_ttl=settings.worker_ttl,
        job_monitoring_interval=settings.job_monitoring_interval,
        maintenance_interval=settings.maintenance_interval,
        serializer=queue.SERIALIZER,
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
