"""Retries against a real receiver: down, 500, timeout, 302, 429 + Retry-After, then up; 410; giving up."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from factcheck import db
from factcheck.db import utcnow
from factcheck.models import WebhookDelivery, WebhookSubscription
from factcheck.webhooks import attempts, transport
from tests.support import ApiClient, free_port
from tests.webhooks.conftest import Subscribe
from tests.webhooks.helpers import all_settled, attempts_of, deliveries, drive, outbox
from tests.webhooks.receiver import Receiver, Reply


def _delivery_api(admin: ApiClient, subscription_id: str, delivery_id: str) -> dict[str, Any]:
    response = admin.get(f"/api/v1/webhooks/{subscription_id}/deliveries/{delivery_id}")
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def test_down_500_timeout_302_429_then_up_retries_on_schedule_with_one_webhook_id(
    app: Flask, api: ApiClient, admin: ApiClient, subscribe: Subscribe
) -> None:
    receiver = Receiver(port=free_port())  # not started: connection refused
    receiver.script.extend(
        [
            Reply(500, body=b"boom"),
            Reply(200, delay=1.6),  # answers after the 1 s timeout
            Reply(302, headers={"Location": f"http://127.0.0.1:{receiver.port}/elsewhere"}),
            Reply(429, headers={"Retry-After": "2"}, body=b"slow down"),
            Reply(200, body=b"thanks"),
        ]
    )
    subscription = subscribe(receiver, ["ticket.created"])
    api.create_ticket("Bananas are berries and strawberries are not.")
    drive(app, lambda: deliveries(app) and deliveries(app)[0].attempts == 1, message="the refused attempt")
    with receiver:
        drive(app, lambda: all_settled(app), timeout=60)

    (delivery,) = deliveries(app)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 6, 200)
    log = attempts_of(app, delivery.id)
    assert [(a.status_code, a.outcome) for a in log] == [
        (None, "retry"),
        (500, "retry"),
        (None, "retry"),
        (302, "retry"),
        (429, "retry"),
        (200, "delivered"),
    ]
    assert "ConnectError" in (log[0].error or "")
    assert "timeout" in (log[2].error or "") and 1000 <= log[2].duration_ms < 1600
    assert log[1].response_excerpt == "boom" and log[5].response_excerpt == "thanks"
    gaps = [(b.started_at - a.started_at).total_seconds() for a, b in itertools.pairwise(log)]
    assert all(gap >= 0.5 for gap in gaps), gaps  # backoff: at least half the 1 s base
    assert gaps[4] >= 1.9, f"Retry-After: 2 honoured, got {gaps[4]}"

    (event,) = [e for e in outbox(app) if e.event_type == "ticket.created"]
    assert {item.webhook_id for item in receiver.received} == {event.event_id}
    assert all(item.verified for item in receiver.received), [i.error for i in receiver.received]
    stamps = [int(item.headers["webhook-timestamp"]) for item in receiver.received]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps), "a fresh timestamp per attempt"
    assert [item.path for item in receiver.received] == ["/hooks"] * 5, "the 302 was not followed"

    body = _delivery_api(admin, subscription["id"], delivery.id)
    assert [a["status_code"] for a in body["attempt_log"]] == [None, 500, None, 302, 429, 200]
    assert body["event_id"] == event.event_id
    listed = admin.get(f"/api/v1/webhooks/{subscription['id']}/deliveries").get_json()["items"]
    assert [(d["id"], d["status"], d["attempts"], d["last_status_code"]) for d in listed] == [
        (delivery.id, "delivered", 6, 200)
    ]
    health = admin.get(f"/api/v1/webhooks/{subscription['id']}").get_json()
    assert (health["health"], health["failing_since"]) == ("ok", None), "a success clears the flag"


@pytest.fixture()
def long_retry_cap(app: Flask) -> None:
    """Retry-After up to two minutes is honoured as given."""
    from dataclasses import replace

    app.extensions["factcheck.settings"] = replace(
        app.extensions["factcheck.settings"], webhook_retry_cap=120.0
    )


def test_pending_retry_shows_next_attempt_and_failing_subscription(
    app: Flask,
    api: ApiClient,
    admin: ApiClient,
    subscribe: Subscribe,
    receiver: Receiver,
    long_retry_cap: None,
) -> None:
    receiver.default = Reply(503, headers={"Retry-After": "60"})
    subscription = subscribe(receiver, ["ticket.created"])
    api.create_ticket("The Great Wall is visible from the Moon.")
    drive(app, lambda: receiver.received, message="one attempt")

    (item,) = admin.get(f"/api/v1/webhooks/{subscription['id']}/deliveries").get_json()["items"]
    assert (item["status"], item["attempts"], item["last_status_code"]) == ("pending", 1, 503)
    assert item["next_attempt_at"] is not None and item["next_attempt_at"].endswith("Z")
    flagged = admin.get(f"/api/v1/webhooks/{subscription['id']}").get_json()
    assert flagged["health"] == "failing" and flagged["failing_since"] is not None
    with app.app_context():
        delivery = db.session().get(WebhookDelivery, item["id"])
        assert delivery is not None and delivery.next_attempt_at is not None
        wait = (delivery.next_attempt_at - utcnow()).total_seconds()
    assert 55 < wait <= 61, "Retry-After: 60 is honoured as given (below webhook_retry_cap)"


def test_410_disables_the_subscription_and_a_redelivery_after_re_enabling_succeeds(
    app: Flask, api: ApiClient, admin: ApiClient, subscribe: Subscribe, receiver: Receiver
) -> None:
    receiver.script.append(Reply(410, body=b"gone"))
    subscription = subscribe(receiver, ["ticket.created", "ticket.state_changed"])
    api.create_ticket("Goldfish have a three-second memory.")
    drive(app, lambda: all_settled(app))

    rows = deliveries(app)
    assert [d.status for d in rows] == ["failed"] * len(rows) and len(rows) >= 2
    assert len(receiver.received) == 1, "the later deliveries were failed, not sent"
    flagged = admin.get(f"/api/v1/webhooks/{subscription['id']}").get_json()
    assert (flagged["active"], flagged["health"]) == (False, "disabled")
    assert "410" in flagged["disabled_reason"]
    assert attempts_of(app, rows[0].id)[0].outcome == "gone"

    url = f"/api/v1/webhooks/{subscription['id']}/deliveries/{rows[0].id}/redeliver"
    assert admin.post(url, json={}).status_code == 409, "no redelivery while the subscription is disabled"
    enabled = admin.patch(f"/api/v1/webhooks/{subscription['id']}", json={"active": True})
    assert enabled.get_json()["health"] == "ok" and enabled.get_json()["disabled_reason"] is None
    for row in rows:
        redelivered = admin.post(
            f"/api/v1/webhooks/{subscription['id']}/deliveries/{row.id}/redeliver", json={}
        )
        assert redelivered.status_code == 202, redelivered.get_json()
        assert redelivered.get_json()["status"] == "pending"
    drive(app, lambda: all_settled(app))

    assert [d.status for d in deliveries(app)] == ["delivered"] * len(rows)
    events = outbox(app)
    got = [item.webhook_id for item in receiver.accepted()]
    assert got == [e.event_id for e in events if e.event_id in got], "redelivered in lane order"
    assert set(got) == {
        e.event_id for e in events if e.event_type in ("ticket.created", "ticket.state_changed")
    }
    assert receiver.received[0].webhook_id == receiver.received[1].webhook_id, "same webhook-id again"


def test_a_subscription_failing_for_days_is_disabled_and_flagged(
    app: Flask, api: ApiClient, admin: ApiClient, subscribe: Subscribe, receiver: Receiver
) -> None:
    receiver.default = Reply(500)
    subscription = subscribe(receiver, ["ticket.created"])
    with app.app_context(), db.unit_of_work() as session:
        row = session.get(WebhookSubscription, subscription["id"])
        assert row is not None
        row.failing_since = utcnow() - timedelta(days=6)
    api.create_ticket("Lightning never strikes the same place twice.")
    drive(app, lambda: all_settled(app))

    flagged = admin.get(f"/api/v1/webhooks/{subscription['id']}").get_json()
    assert (flagged["active"], flagged["health"]) == (False, "disabled")
    assert "failed since" in flagged["disabled_reason"]
    (delivery,) = deliveries(app)
    assert (delivery.status, delivery.attempts) == ("failed", 1)


def test_a_delivery_is_given_up_when_its_retry_window_closes(
    app: Flask, api: ApiClient, subscribe: Subscribe, receiver: Receiver
) -> None:
    receiver.default = Reply(502)
    subscribe(receiver, ["ticket.created"])
    api.create_ticket("Humans use only 10% of their brains.")
    drive(app, lambda: len(receiver.received) >= 2, message="two attempts")
    with app.app_context(), db.unit_of_work() as session:
        (delivery,) = session.scalars(select(WebhookDelivery)).all()
        delivery.retry_until = utcnow()  # as if 48 hours had passed
    drive(app, lambda: all_settled(app))

    (delivery,) = deliveries(app)
    assert delivery.status == "failed"
    assert "gave up after" in (delivery.last_error or "")
    assert attempts_of(app, delivery.id)[-1].outcome == "failed"


def test_stale_and_duplicate_jobs_never_send_twice(
    app: Flask, api: ApiClient, subscribe: Subscribe, receiver: Receiver
) -> None:
    subscribe(receiver, ["ticket.created"])
    api.create_ticket("Bulls are enraged by the colour red.")
    drive(app, lambda: all_settled(app))
    (delivery,) = deliveries(app)
    with app.app_context():
        # The job of attempt 0 again (a sweeper that raced the worker), and a forged later attempt.
        assert transport.enqueue_delivery(delivery.id, 0)
        assert transport.enqueue_delivery(delivery.id, 5)
    drive(app, lambda: True)
    assert len(receiver.received) == 1


def test_a_leased_delivery_cannot_be_claimed_by_a_second_worker(
    app: Flask, api: ApiClient, subscribe: Subscribe, receiver: Receiver
) -> None:
    subscribe(receiver, ["ticket.created"])
    with app.app_context():
        from factcheck.webhooks import outbound
        from factcheck.webhooks.retries import RetryPolicy

        api.create_ticket("Chameleons change colour to match their surroundings.")
        with db.unit_of_work() as session:
            outbound.fan_out(session, RetryPolicy.from_settings(app.extensions["factcheck.settings"]))
        (delivery,) = deliveries(app)
        with db.unit_of_work() as session:
            first = attempts.claim(session, delivery.id, 0, timedelta(seconds=30))
        with db.unit_of_work() as session:
            second = attempts.claim(session, delivery.id, 0, timedelta(seconds=30))
    assert isinstance(first, attempts.Prepared)
    assert second == "leased"
