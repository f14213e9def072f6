"""The webhook receiver is down for the first steps of the retry window, then comes up.

A subscription points at a port where nothing listens. Tickets are opened and collected by a
``factcheck worker``, producing their events; every delivery fails (connection refused) and is
retried with backoff by RQ's scheduler until each ticket's first delivery has failed twice.
Then the receiver starts: every event must arrive exactly once per ``webhook-id``, signed, and
each ticket's events in the order they happened. The receiver answers at once, far inside the
delivery timeout, so a delivered event is never sent again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask

from factcheck.config import Settings
from factcheck.models import EVENT_TYPES, WebhookDelivery
from tests.reliability.accounting import ledger
from tests.reliability.processes import start, stop
from tests.support import ApiClient, free_port, service_env, wait_for
from tests.webhooks.helpers import deliveries, outbox
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.slow

TICKETS = 5
RETRIES: dict[str, Any] = {"webhook_timeout": 5.0, "webhook_retry_base": 1.0, "webhook_retry_cap": 2.0}
"""Backoff of 1 to 2 s between attempts (not minutes), a timeout no answer comes near."""


@pytest.fixture()
def settings(settings: Settings) -> Settings:
    return replace(settings, **RETRIES)


def test_events_wait_out_a_receiver_that_is_down_and_arrive_once_each_in_order(
    app: Flask, api: ApiClient, admin_api: ApiClient, settings: Settings
) -> None:
    receiver = Receiver(port=free_port())  # not started: connections are refused
    subscription = admin_api.post("/api/v1/webhooks", json={"url": receiver.url, "events": list(EVENT_TYPES)})
    assert subscription.status_code == 201, subscription.get_json()
    receiver.secret = subscription.get_json()["secret"]
    tickets = [
        api.create_ticket(f"Lake {n} froze for {n + 20} days last winter.")["id"] for n in range(TICKETS)
    ]

    env = service_env(settings, outbound_allow_hosts="127.0.0.1", worker_mode="in-process", **RETRIES)
    worker = start(["worker"], env)
    try:
        wait_for(
            lambda: all_produced(app) and failed_twice(app) == TICKETS,
            60,
            message="every event produced and each ticket's first delivery refused twice",
        )
        refused = sum(d.attempts for d in deliveries(app))
        with receiver:
            wait_for(
                lambda: {d.status for d in deliveries(app)} == {"delivered"}, 60, message="every delivery"
            )
    finally:
        stop(worker)

    events = outbox(app)
    sent = deliveries(app)
    counts = Counter(item.webhook_id for item in receiver.received)
    assert len(sent) == len(events) and {d.status for d in sent} == {"delivered"}
    assert set(counts) == {d.event.event_id for d in sent}, "every event arrived"
    repeated = sum(n - 1 for n in counts.values())
    assert repeated == 0, f"delivered more than once: {[i for i, n in counts.items() if n > 1]}"
    assert all(item.verified for item in receiver.received)
    for ticket_id in tickets:
        happened = [row.event_type for row in events if row.ticket_id == ticket_id]
        arrived = [
            item.type for item in receiver.received if item.payload["data"]["ticket"]["id"] == ticket_id
        ]
        assert arrived == happened, ticket_id
    print(
        f"\nFIGURES webhook_receiver_down: tickets={TICKETS} events={len(events)} deliveries={len(sent)} "
        f"refused_attempts={refused} received={len(receiver.received)} duplicates={repeated} "
        f"max_attempts={max(d.attempts for d in sent)}"
    )


def all_produced(app: Flask) -> bool:
    """Every ticket collected, and a delivery made for every event."""
    states = {record.state for record in ledger(app).values()}
    return states == {"triage"} and len(deliveries(app)) == len(outbox(app))


def failed_twice(app: Flask) -> int:
    """Tickets whose first pending delivery has been refused at least twice."""
    heads: dict[str | None, WebhookDelivery] = {}
    for delivery in deliveries(app, status="pending"):
        heads.setdefault(delivery.ticket_id, delivery)
    return sum(head.attempts >= 2 for head in heads.values())
