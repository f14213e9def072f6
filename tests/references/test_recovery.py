"""Collection survives crashes: a killed worker, Redis losing everything, the same job twice.

Each ends with every ticket in triage, exactly one ``finish_collection`` transition per ticket
and one set of references (no URL or content twice).
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import select

from factcheck import db, queue
from factcheck.config import Settings
from factcheck.jobs.collect import collect_references
from factcheck.jobs.sweep import sweep
from factcheck.models import Reference, Ticket, TicketEvent
from tests.references.conftest import add_library
from tests.reliability.processes import children, is_alive, start, stop
from tests.support import ApiClient, run_jobs, service_env, wait_for

pytestmark = pytest.mark.slow


def collected(app: Flask) -> dict[str, Any]:
    """Per ticket: state, number of finish_collection events, references and distinct keys."""
    with app.app_context():
        session = db.session()
        finishes = Counter(
            session.scalars(select(TicketEvent.ticket_id).where(TicketEvent.action == "finish_collection"))
        )
        result = {}
        for ticket in session.scalars(select(Ticket)):
            refs = session.scalars(select(Reference).where(Reference.ticket_id == ticket.id)).all()
            result[ticket.id] = {
                "state": ticket.state,
                "finishes": finishes[ticket.id],
                "references": len(refs),
                "distinct": len({(r.url, r.content_sha256) for r in refs}),
            }
    return result


def assert_each_collected_once(app: Flask, expected_references: int) -> None:
    for ticket_id, summary in collected(app).items():
        assert summary == {
            "state": "triage",
            "finishes": 1,
            "references": expected_references,
            "distinct": expected_references,
        }, ticket_id


def test_a_worker_killed_mid_collection_is_recovered_and_progress_was_visible(
    api: ApiClient, app: Flask, settings: Settings
) -> None:
    add_library(app)
    worker = start(["worker"], service_env(settings, fault_collect_delay=60))
    processes = [worker]
    try:
        tid = api.create_ticket("Greenland lost 532 billion tonnes of ice in 2019.")["id"]
        wait_for(lambda: collected(app)[tid]["state"] == "collecting", 30, message="the job to start")
        with app.app_context():
            wait_for(lambda: queue.fetch_job(queue.collect_job_id(tid)).meta.get("progress") == 0.1, 10)
        assert api.get(f"/api/v1/tickets/{tid}").get_json()["collection"]["progress"] == 0.1
        horses = children(worker.pid)
        for pid in horses:
            os.kill(pid, signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        wait_for(lambda: not any(is_alive(pid) for pid in horses), 10, message="the horse to die")
        healthy = service_env(settings, sweep_interval=1)
        processes += [start(["worker"], healthy), start(["sweeper"], healthy)]
        wait_for(lambda: collected(app)[tid]["state"] == "triage", 60, message="recovery")
    finally:
        for process in processes:
            stop(process)
    assert_each_collected_once(app, expected_references=2)


def test_redis_flushed_mid_burst_loses_no_ticket(
    api: ApiClient, app: Flask, settings: Settings, redis_conn: redis.Redis
) -> None:
    add_library(app)
    ids = [api.create_ticket(f"Greenland lost {n} billion tonnes of ice in 2019.")["id"] for n in range(12)]
    worker = start(["worker", "--burst"], service_env(settings, fault_collect_delay=0.3))
    try:
        wait_for(
            lambda: sum(s["state"] == "triage" for s in collected(app).values()) >= 3, 60, message="progress"
        )
        redis_conn.flushdb()
        worker.wait(timeout=60)
    finally:
        stop(worker)
    with app.app_context():
        report = sweep()
    assert report.requeued == sum(s["state"] != "triage" for s in collected(app).values()) > 0
    run_jobs(app)
    assert set(collected(app)) == set(ids)
    assert_each_collected_once(app, expected_references=2)


def test_the_same_job_run_twice_at_once_finishes_once(api: ApiClient, app: Flask, make_app: Any) -> None:
    add_library(app)
    tid = api.create_ticket("Greenland lost 532 billion tonnes of ice in 2019.")["id"]
    slow = make_app(fault_collect_delay=1.0)
    results: list[str] = []

    def run() -> None:
        with slow.app_context():
            results.append(collect_references(tid))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["already-collected", "done"]
    assert_each_collected_once(app, expected_references=2)
    with app.app_context():
        attempts = db.session().scalar(select(Ticket.collection_attempts).where(Ticket.id == tid))
    assert attempts == 2, "both runs started; only one finished"
