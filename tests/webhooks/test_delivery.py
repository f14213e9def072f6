"""Outbound deliveries to real local receivers: every event of a ticket's life, verified and in order."""

from __future__ import annotations

from typing import Any

from flask import Flask

from factcheck.models import EVENT_TYPES
from tests.support import ApiClient, UserFactory
from tests.webhooks.conftest import Subscribe
from tests.webhooks.helpers import all_settled, deliveries, drive, outbox
from tests.webhooks.receiver import Receiver, Reply, ticket_of


def _state(api: ApiClient, ticket_id: str) -> str:
    state: str = api.get(f"/api/v1/tickets/{ticket_id}").get_json()["state"]
    return state


def _pin_reference(api: ApiClient, ticket_id: str) -> None:
    added = api.post(f"/api/v1/tickets/{ticket_id}/references", json={"url": "https://stats.example/q4"})
    assert added.status_code == 201, added.get_json()
    ref_id = added.get_json()["id"]
    pinned = api.patch(f"/api/v1/tickets/{ticket_id}/references/{ref_id}", json={"pinned": True})
    assert pinned.status_code == 200, pinned.get_json()


def _act(api: ApiClient, ticket_id: str, action: str, body: dict[str, Any] | None = None) -> None:
    response = api.act(ticket_id, action, body)
    assert response.status_code == 200, (action, response.get_json())


def live_a_full_life(app: Flask, api: ApiClient, checker: ApiClient, claim: str) -> str:
    """Create → collect → accept → submit → approve → publish → reopen → correct → retract."""
    tid = api.create_ticket(claim)["id"]
    drive(app, lambda: _state(api, tid) == "triage", message="collection")
    _act(checker, tid, "accept")
    _pin_reference(checker, tid)
    _act(checker, tid, "submit", {"rating": "false", "summary": "Official data say otherwise."})
    _act(api, tid, "approve")
    _act(api, tid, "publish")
    _act(api, tid, "reopen", {"note": "New figures from the statistics office."})
    _act(checker, tid, "submit", {"rating": "mostly-false", "summary": "Closer, still wrong."})
    _act(api, tid, "approve")
    _act(api, tid, "publish")
    _act(api, tid, "retract", {"note": "Source withdrawn."})
    return tid


def test_every_event_of_a_full_ticket_life_arrives_verified_and_in_order(
    app: Flask, api: ApiClient, users: UserFactory, subscribe: Subscribe, receiver: Receiver
) -> None:
    """The first delivery fails once (500): later events of the ticket wait for it, none overtakes."""
    receiver.script.append(Reply(500, body=b"warming up"))
    subscription = subscribe(receiver, list(EVENT_TYPES))
    with Receiver() as publications:
        subscribe(publications, ["ticket.published", "ticket.corrected", "ticket.retracted"])
        checker = api.as_(users.token_for("checker"))
        tid = live_a_full_life(app, api, checker, "Unemployment fell to 3% in 2025.")
        drive(app, lambda: all_settled(app))

        events = outbox(app, tid)
        assert {e.event_type for e in events} == set(EVENT_TYPES), "the life covers every event type"
        got = receiver.accepted()
        assert all(item.verified for item in receiver.received), [i.error for i in receiver.received]
        assert [(i.webhook_id, i.type) for i in got] == [(e.event_id, e.event_type) for e in events]
        assert [i.payload["data"] for i in got] == [e.payload for e in events]
        versions = [ticket_of(i)["version"] for i in got]
        assert versions == sorted(versions)
        assert len(receiver.received) == len(events) + 1, "only the failed first delivery was sent twice"
        assert receiver.received[0].webhook_id == receiver.received[1].webhook_id

        wanted = [
            e for e in events if e.event_type in ("ticket.published", "ticket.corrected", "ticket.retracted")
        ]
        assert [(i.webhook_id, i.type) for i in publications.accepted()] == [
            (e.event_id, e.event_type) for e in wanted
        ]
        assert all(item.verified for item in publications.received)
    listed = api.get(f"/api/v1/webhooks/{subscription['id']}/deliveries")
    assert listed.status_code == 404, "deliveries are for admins: editors cannot even see the subscription"


def test_two_tickets_interleave_but_each_stays_in_order(
    app: Flask, api: ApiClient, subscribe: Subscribe, receiver: Receiver
) -> None:
    """A failing ticket's lane holds only that ticket: the other ticket's events keep flowing."""
    subscribe(receiver, ["ticket.created", "ticket.state_changed", "ticket.references_collected"])
    receiver.script.extend([Reply(503, headers={"Retry-After": "3"})])
    first = api.create_ticket("Claim one about 1,000 tonnes of grain.")["id"]
    drive(app, lambda: len(receiver.received) >= 1, message="the first attempt")
    second = api.create_ticket("Claim two about the price of bread.")["id"]
    drive(app, lambda: all_settled(app))

    for tid in (first, second):
        mine = [i for i in receiver.accepted() if ticket_of(i)["id"] == tid]
        assert [i.webhook_id for i in mine] == [e.event_id for e in outbox(app, tid)]
    order = [ticket_of(i)["id"] for i in receiver.accepted()]
    last = {tid: max(n for n, t in enumerate(order) if t == tid) for tid in (first, second)}
    assert last[second] < last[first], "the second ticket's events did not wait for the first's retry"


def test_a_subscription_gets_only_its_events_and_none_from_before_it_existed(
    app: Flask, api: ApiClient, subscribe: Subscribe, receiver: Receiver
) -> None:
    before = api.create_ticket("Said before anyone subscribed.")["id"]
    subscribe(receiver, ["ticket.created", "ticket.references_collected"])
    after = api.create_ticket("Said after the subscription.")["id"]
    drive(app, lambda: all_settled(app))

    got = {(ticket_of(i)["id"], i.type) for i in receiver.accepted()}
    assert got == {
        (before, "ticket.references_collected"),  # collected after the subscription existed
        (after, "ticket.created"),
        (after, "ticket.references_collected"),
    }
    assert len(receiver.received) == 3
    assert {d.event_type for d in deliveries(app)} == {"ticket.created", "ticket.references_collected"}


def test_the_delivery_body_is_the_documented_envelope(
    app: Flask, api: ApiClient, subscribe: Subscribe, receiver: Receiver
) -> None:
    subscribe(receiver, ["ticket.created"])
    ticket = api.create_ticket("The Eiffel Tower grows 15 cm in summer.")
    drive(app, lambda: receiver.accepted())

    item = receiver.accepted()[0]
    assert item.headers["content-type"] == "application/json"
    assert set(item.payload) == {"type", "timestamp", "data"}
    assert item.payload["type"] == "ticket.created"
    assert item.payload["timestamp"].endswith("Z")
    assert set(item.payload["data"]) == {"ticket"}
    assert ticket_of(item)["id"] == ticket["id"]
    assert ticket_of(item)["claim"] == ticket["claim"]
    assert ticket_of(item)["origin"] == {"channel": "api"}
    assert item.webhook_id.startswith("evt_")
