"""A crash between the commit and the enqueue, 200 times: the sweeper finds every ticket.

Each submission runs in a forked child that dies (``os._exit``) the instant the database
commit returns, before anything reaches Redis: the ticket and its ``ticket.created`` event
are committed, the collection job and the webhook dispatch are never enqueued. One sweep
must then enqueue all 200 collections and fan out all 200 events, and every ticket must be
collected exactly once.

The 200 collections run on a worker in ``FACTCHECK_WORKER_MODE=in-process`` (no work-horse
fork per job): what is under test is intake and the sweeper, and forking this test process
for each of 200 jobs would take most of the suite's time budget.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import NoReturn

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from factcheck import db, queue
from factcheck.config import Settings
from factcheck.jobs.sweep import sweep
from factcheck.models import WebhookDelivery
from factcheck.worker import build_worker
from tests.reliability.accounting import assert_collected_once, duplicates, ledger
from tests.support import ApiClient, UserFactory

pytestmark = pytest.mark.slow

CRASHES = 200
AT_ONCE = 4
CRASHED = 75
"""Exit status of a child that died right after its commit."""


@pytest.fixture()
def settings(settings: Settings) -> Settings:
    return replace(settings, worker_mode="in-process")


def submit_and_die_after_commit(app: Flask, token: str, claim: str) -> NoReturn:
    """In a forked child: post the claim through the app and die as soon as a commit returns."""
    status = 1
    try:
        app.extensions["factcheck.engine"].dispose(close=False)  # the parent's pooled connections
        sessions = app.extensions["factcheck.sessionmaker"]
        event.listen(sessions, "after_commit", lambda _session: os._exit(CRASHED), insert=True)
        response = app.test_client().post(
            "/api/v1/tickets", json={"claim": claim}, headers={"Authorization": f"Bearer {token}"}
        )
        status = 10 + response.status_code // 100  # survived the request: the test fails on this
    finally:
        os._exit(status)


def crash_after_commits(app: Flask, token: str, claims: list[str]) -> list[int]:
    """Run each submission in a child of its own, ``AT_ONCE`` at a time; their exit statuses."""
    statuses: list[int] = []
    running: set[int] = set()
    for claim in claims:
        if len(running) >= AT_ONCE:
            statuses.append(_reap(running))
        pid = os.fork()
        if pid == 0:
            submit_and_die_after_commit(app, token, claim)
        running.add(pid)
    while running:
        statuses.append(_reap(running))
    return statuses


def _reap(running: set[int]) -> int:
    pid, wait_status = os.wait()
    running.discard(pid)
    return os.waitstatus_to_exitcode(wait_status)


def queued_jobs(app: Flask) -> set[str]:
    with app.app_context():
        return {job_id for name in queue.QUEUE_NAMES for job_id in queue.queue(name).job_ids}


def test_two_hundred_crashes_between_commit_and_enqueue_lose_nothing(
    app: Flask, users: UserFactory, admin_api: ApiClient
) -> None:
    subscription = admin_api.post(  # never called here: the deliveries it gets are what is counted
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hooks", "events": ["ticket.created"]}
    )
    assert subscription.status_code == 201, subscription.get_json()
    claims = [f"Bridge {n} carries {n * 7 + 1000} vehicles every day." for n in range(CRASHES)]
    token = users.token_for("checker")
    queued_before = queued_jobs(app)

    statuses = crash_after_commits(app, token, claims)

    assert statuses == [CRASHED] * CRASHES, "every child died right after its commit"
    records = ledger(app)
    assert sorted(record.claim for record in records.values()) == sorted(claims), "every commit is kept"
    assert all(r.state == "submitted" and r.outbox == {"ticket.created": 1} for r in records.values())
    assert queued_jobs(app) == queued_before, "no child reached Redis"
    with app.app_context():
        report = sweep()
    assert report.requeued == CRASHES and report.webhooks.dispatched == CRASHES
    with app.app_context():
        deliveries = db.session().scalar(select(func.count()).select_from(WebhookDelivery))
    assert deliveries == CRASHES, "one delivery per lost event"
    with app.app_context():
        again = sweep()
    assert (again.requeued, again.webhooks.dispatched) == (0, 0), "a second sweep finds every job queued"

    build_worker(app, [queue.COLLECT_QUEUE]).work(burst=True, logging_level="WARNING")

    records = ledger(app)
    repeated = duplicates(records)
    assert_collected_once(records, references=0)
    assert {r.collection_attempts for r in records.values()} == {1}
    print(
        f"\nFIGURES commit_then_crash: crashes={CRASHES} tickets={len(records)} requeued={report.requeued} "
        f"events_dispatched={report.webhooks.dispatched} collected_once={len(records)} duplicates={repeated}"
    )
