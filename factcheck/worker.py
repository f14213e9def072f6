"""The RQ worker that runs factcheck jobs inside a Flask app context."""

from __future__ import annotations

from typing import Any

from flask import Flask
from rq import Queue, Worker
from rq.job import Job

from factcheck import db, queue
from factcheck.config import Settings


class AppWorker(Worker):
    """An RQ worker whose work-horse runs each job inside ``app.app_context()``."""

    app: Flask

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        # The horse is a fork: drop the parent's pooled connections without closing them.
        self.app.extensions["factcheck.engine"].dispose(close=False)
        with self.app.app_context():
            super().main_work_horse(job, queue)


def build_worker(app: Flask, **kwargs: Any) -> AppWorker:
    settings: Settings = app.extensions["factcheck.settings"]
    with app.app_context():
        conn = queue.connection()
        queues = [queue.queue(name, conn) for name in queue.QUEUE_NAMES]
    worker = AppWorker(
        queues,
        connection=conn,
        worker_ttl=settings.worker_ttl,
        job_monitoring_interval=settings.job_monitoring_interval,
        maintenance_interval=settings.maintenance_interval,
        **kwargs,
    )
    worker.app = app
    return worker


def run_worker(app: Flask, burst: bool = False) -> bool:
    """Work until stopped (or, with ``burst``, until the queues are empty)."""
    with app.app_context():
        db.engine()  # fail fast on a broken database URL before taking jobs
    worker = build_worker(app)
    return bool(worker.work(burst=burst, with_scheduler=True, logging_level="INFO"))
