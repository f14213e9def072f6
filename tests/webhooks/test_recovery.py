"""The database is the source of truth: the sweeper rebuilds webhook work that Redis lost."""

from __future__ import annotations

from collections import Counter

import redis
from flask import Flask

from factcheck.jobs.deliver import dispatch_outbox
from factcheck.jobs.sweep import sweep
from tests.support import ApiClient
from tests.webhooks.conftest import Subscribe
from tests.webhooks.helpers import all_settled, deliveries, drive, outbox
from tests.webhooks.receiver import Receiver


def _exactly_once(receiver: Receiver, app: Flask) -> None:
    counts = Counter(item.webhook_id for item in receiver.received)
    wanted = {d.event.event_id for d in deliveries(app)}
    assert set(counts) == wanted and set(counts.values()) == {1}, counts
    assert all(item.verified for item in receiver.received)


def test_outbox_rows_whose_dispatch_job_was_lost_are_dispatched_by_the_sweeper(
    app: Flask, api: ApiClient, subscribe: Subscribe, receiver: Receiver, redis_conn: redis.Redis
) -> None:
    subscribe(receiver, ["ticket.created"])
    for number in range(10):
        api.create_ticket(f"Claim {number}: the river froze in July.")
    redis_conn.flushdb()  # loses the dispatch job (and the collection jobs)
    assert all(row.dispatched_at is None for row in outbox(app))

    with app.app_context():
        report = sweep()
    assert (report.webhooks.dispatched, report.webhooks.requeued) == (10, 0)
    drive(app, lambda: all_settled(app))
    assert len(receiver.accepted()) == 10
    _exactly_once(receiver, app)


def test_deliveries_whose_jobs_were_lost_are_re_enqueued_once(
    app: Flask, api: ApiClient, subscribe: Subscribe, receiver: Receiver, redis_conn: redis.Redis
) -> None:
    subscribe(receiver, ["ticket.created"])
    for number in range(10):
        api.create_ticket(f"Claim {number}: wolves were seen in Paris.")
    with app.app_context():
        assert dispatch_outbox() == 10  # deliveries exist and their jobs are queued
    redis_conn.flushdb()

    with app.app_context():
        first = sweep()
        second = sweep()
    assert (first.webhooks.dispatched, first.webhooks.requeued) == (0, 10)
    assert second.webhooks.requeued == 0, "a queued job is left alone"
    drive(app, lambda: all_settled(app))
    assert len(receiver.accepted()) == 10
    _exactly_once(receiver, app)


def test_a_lost_scheduled_retry_is_re_enqueued_once_due(
    app: Flask, api: ApiClient, subscribe: Subscribe, receiver: Receiver, redis_conn: redis.Redis
) -> None:
    from tests.webhooks.receiver import Reply

    receiver.script.append(Reply(500))
    subscribe(receiver, ["ticket.created"])
    api.create_ticket("Glass is a slow-flowing liquid.")
    drive(app, lambda: receiver.received, message="the failed attempt")
    (delivery,) = deliveries(app)
    assert delivery.status == "pending" and delivery.next_attempt_at is not None
    redis_conn.flushdb()  # the scheduled retry is gone

    def swept_and_delivered() -> bool:
        with app.app_context():
            sweep()
        return all_settled(app)

    drive(app, swept_and_delivered, message="the sweeper to re-enqueue the retry")
    assert [i.reply.status for i in receiver.received] == [500, 204]
    assert receiver.received[0].webhook_id == receiver.received[1].webhook_id
