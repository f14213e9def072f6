"""Queue plumbing: enqueue after commit, stable job ids, the sweeper rebuilding lost work."""

from __future__ import annotations

import pytest
import redis
from flask import Flask
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import select

from factcheck import create_app, db
from factcheck.config import Settings
from factcheck.jobs.sweep import LAST_SWEEP_KEY, sweep
from factcheck.models import Ticket, TicketEvent
from factcheck.queue import COLLECT_QUEUE, collect_job_id, enqueue_collection, queue
from tests.support import ApiClient, run_jobs


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
    redis_conn.flushall()
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
