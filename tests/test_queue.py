"""Queue plumbing: enqueue after commit, stable job ids, the sweeper rebuilding lost work."""

from __future__ import annotations

import os

import pytest
import redis
from flask import Flask
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import select

from factcheck import create_app, db
from factcheck.config import Settings
from factcheck.jobs.sweep import LAST_SWEEP_KEY, sweep
from factcheck.models import Ticket, TicketEvent
from factcheck.queue import COLLECT_QUEUE, collect_job_id, enqueue_collection, queue
from tests.support import ApiClient, run_jobs

FORKS: list[int] = []
os.register_at_fork(before=lambda: FORKS.append(os.getpid()))


def states(app: Flask) -> dict[str, int]:
    with app.app_context():
        rows = db.session().scalars(select(Ticket.state)).all()
    return {state: rows.count(state) for state in set(rows)}


def test_creating_a_ticket_enqueues_one_job_with_a_stable_id(
    api: ApiClient, app: Flask, redis_conn: redis.Redis
) -> None:
    tid = api.create_ticket()["id"]
    job = Job.fetch(collect_job_id(tid), connection=redis_conn, serializer=JSONSerializer)
    assert job.args == [tid], "JSON-serialised: the ticket id only"
    with app.app_context():
        assert enqueue_collection(tid) is False, "a second enqueue of the same ticket is refused"
        assert queue(COLLECT_QUEUE).count == 1


def test_collection_job_is_idempotent(api: ApiClient, app: Flask) -> None:
    tid = api.create_ticket()["id"]
    run_jobs(app)
    from factcheck.jobs.collect import collect_references

    with app.app_context():
        assert collect_references(tid) == "already-collected"
        events = db.session().scalars(select(TicketEvent.action).where(TicketEvent.ticket_id == tid)).all()
    assert events == ["create", "start_collection", "finish_collection"]


def test_sweeper_rebuilds_the_queue_after_redis_loses_everything(
    api: ApiClient, app: Flask, redis_conn: redis.Redis
) -> None:
    for number in range(100):
        api.create_ticket(f"Claim number {number} about 1,000 tonnes of grain.")
    redis_conn.flushdb()  # everything this suite has in Redis (FLUSHALL would reach other databases)
    assert states(app) == {"submitted": 100}
    with app.app_context():
        report = sweep()
    assert report.requeued == 100
    run_jobs(app)
    assert states(app) == {"triage": 100}
    assert redis_conn.get(LAST_SWEEP_KEY) is not None


def test_sweeper_leaves_queued_jobs_alone(api: ApiClient, app: Flask) -> None:
    api.create_ticket()
    with app.app_context():
        report = sweep()
    assert (report.examined, report.requeued) == (1, 0)


def test_sweeper_requeues_a_failed_job_and_gives_up_after_the_attempt_limit(
    api: ApiClient, app: Flask, redis_conn: redis.Redis, settings: Settings
) -> None:
    tid = api.create_ticket()["id"]
    Job.fetch(collect_job_id(tid), connection=redis_conn).delete()
    with app.app_context(), db.unit_of_work() as session:
        ticket = session.get(Ticket, tid)
        assert ticket is not None
        ticket.collection_attempts = settings.collect_max_attempts
    with app.app_context():
        report = sweep()
    assert report.gave_up == 1
    body = api.get(f"/api/v1/tickets/{tid}").get_json()
    assert (body["state"], body["collection"]["status"]) == ("triage", "failed")


def test_ticket_is_kept_when_redis_is_down_and_the_sweeper_enqueues_it_later(
    settings: Settings, users: object, app: Flask
) -> None:
    from dataclasses import replace

    from tests.support import UserFactory

    broken = create_app(replace(settings, redis_url="redis://127.0.0.1:1/0"))
    token = UserFactory(broken).token_for("editor")
    response = ApiClient(broken.test_client(), token).post(
        "/api/v1/tickets", json={"claim": "Kept despite Redis."}
    )
    assert response.status_code == 201
    ready = broken.test_client().get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["down"] == ["redis"]
    broken.extensions["factcheck.engine"].dispose()
    with app.app_context():
        assert sweep().requeued == 1
    run_jobs(app)
    assert states(app) == {"triage": 1}


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_endpoints_answer_when_everything_is_up(client: object, path: str) -> None:
    response = client.get(path)  # type: ignore[attr-defined]
    assert response.status_code == 200


def test_readyz_names_the_database_when_it_is_down(settings: Settings, tmp_path: object) -> None:
    from dataclasses import replace

    broken = create_app(replace(settings, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"))
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["down"] == ["database"]


def test_a_full_collection_queue_keeps_new_tickets_in_the_database_until_the_sweeper_has_room(
    settings: Settings, redis_conn: redis.Redis
) -> None:
    from dataclasses import replace

    from factcheck.jobs.sweep import refill_due
    from factcheck.queue import DEFERRED_KEY
    from tests.support import UserFactory

    app = create_app(replace(settings, collect_queue_limit=5))
    api = ApiClient(app.test_client(), UserFactory(app).token_for("editor"))
    ids = [
        api.create_ticket(f"Surge claim {number}: 40% of the grain was lost.")["id"] for number in range(12)
    ]

    assert redis_conn.llen(f"rq:queue:{COLLECT_QUEUE}") == 5, "the queue holds the limit, no more"
    assert states(app) == {"submitted": 12}, "every claim is stored, none refused"
    assert redis_conn.exists(DEFERRED_KEY)
    with app.app_context():
        assert refill_due() is False, "no room yet: the queue is full"
        assert queue(COLLECT_QUEUE).count == 5

    run_jobs(app)  # the workers drain the queue
    assert states(app) == {"triage": 5, "submitted": 7}
    with app.app_context():
        assert refill_due() is True
        report = sweep()
    assert (report.requeued, report.deferred) == (5, 2), "the oldest first, up to the limit"
    run_jobs(app)
    with app.app_context():
        report = sweep()
    assert (report.requeued, report.deferred) == (2, 0)
    assert not redis_conn.exists(DEFERRED_KEY)
    run_jobs(app)
    assert states(app) == {"triage": 12}
    with app.app_context():
        first_collected = (
            db.session()
            .scalars(
                select(TicketEvent.ticket_id)
                .where(TicketEvent.action == "finish_collection")
                .order_by(TicketEvent.id)
            )
            .all()
        )
    assert first_collected == ids, "collected in the order the claims arrived"
    app.extensions["factcheck.engine"].dispose()


def test_an_in_process_worker_runs_jobs_without_forking_and_beats_their_heartbeat(
    settings: Settings, redis_conn: redis.Redis
) -> None:
    import threading
    from dataclasses import replace

    from factcheck.worker import InProcessWorker, build_worker
    from tests.support import UserFactory

    app = create_app(replace(settings, worker_mode="in-process", fault_collect_delay=3.5))
    api = ApiClient(app.test_client(), UserFactory(app).token_for("editor"))
    tid = api.create_ticket("Grain exports rose by 12% in 2024.")["id"]
    worker = build_worker(app)
    assert isinstance(worker, InProcessWorker)
    beats: list[float] = []  # seconds between the job's start and each heartbeat seen
    stop = threading.Event()

    def watch() -> None:  # RQ needs the main thread (signals): watch from this one
        while not stop.wait(0.1):
            try:
                job = Job.fetch(collect_job_id(tid), connection=redis_conn, serializer=JSONSerializer)
            except NoSuchJobError:  # done: finished jobs are not kept (result_ttl=0)
                return
            if job.started_at is not None and job.last_heartbeat is not None:
                beats.append((job.last_heartbeat - job.started_at).total_seconds())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    forks_before = len(FORKS)
    try:
        worker.work(burst=True, logging_level="WARNING")
    finally:
        stop.set()
        watcher.join(timeout=5)
    assert len(FORKS) == forks_before, "the job ran in the worker process: no work-horse was forked"
    assert max(beats, default=0) >= 1, f"a heartbeat beaten while the job ran: {beats}"
    assert states(app) == {"triage": 1}
    app.extensions["factcheck.engine"].dispose()
