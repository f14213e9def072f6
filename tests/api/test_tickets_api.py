"""The tickets API behaves as API.md says: intake, de-duplication, idempotency, lists, audit trail."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update
from werkzeug.test import TestResponse

from factcheck.db import utcnow
from factcheck.models import ApiToken
from tests.support import ApiClient, UserFactory, run_jobs

TICKETS = "/api/v1/tickets"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
TICKET_KEYS = {
    "id",
    "claim",
    "speaker",
    "claim_date",
    "source_url",
    "language",
    "tags",
    "state",
    "version",
    "priority",
    "demand",
    "checkworthiness",
    "origin",
    "assignee",
    "duplicate_of",
    "collection",
    "references_count",
    "matches",
    "verdict",
    "publication",
    "created_at",
    "updated_at",
    "links",
}
EVENT_KEYS = {"id", "at", "actor", "action", "from_state", "to_state", "data", "request_id", "job_id"}
"""API.md's event fields, and the ids of the request and the job behind the event."""


def on_postgresql(app: Flask) -> bool:
    return bool(app.extensions["factcheck.engine"].dialect.name == "postgresql")


def in_triage(api: ApiClient, app: Flask, claim: str, **fields: Any) -> dict[str, Any]:
    ticket = api.create_ticket(claim, **fields)
    run_jobs(app)
    body: dict[str, Any] = api.get(f"{TICKETS}/{ticket['id']}").get_json()
    assert body["state"] == "triage"
    return body


# --- creating ------------------------------------------------------------------------------------


def test_create_returns_201_with_the_full_ticket_representation(api: ApiClient) -> None:
    response = api.post(
        TICKETS,
        json={
            "claim": "  Unemployment fell to 3% last year.  ",
            "speaker": "A Minister",
            "claim_date": "2026-11-01",
            "source_url": "https://example.org/speech",
            "language": "en-GB",
            "tags": ["economy", "jobs", "economy"],
            "priority": 3,
            "external_id": "cms-123",
        },
    )
    assert response.status_code == 201, response.get_json()
    assert response.mimetype == "application/json"
    ticket = response.get_json()
    assert set(ticket) == TICKET_KEYS

    assert isinstance(ticket["id"], str) and ticket["id"]
    assert ticket["claim"] == "Unemployment fell to 3% last year."
    assert ticket["speaker"] == "A Minister"
    assert ticket["claim_date"] == "2026-11-01"
    assert ticket["source_url"] == "https://example.org/speech"
    assert ticket["language"] == "en-GB"
    assert ticket["tags"] == ["economy", "jobs"]
    assert ticket["state"] == "submitted"
    assert type(ticket["version"]) is int and ticket["version"] >= 1
    assert type(ticket["priority"]) is int and ticket["priority"] == 3
    assert type(ticket["demand"]) is int and ticket["demand"] == 1
    assert ticket["checkworthiness"] is None or isinstance(ticket["checkworthiness"], float)
    assert ticket["origin"] == {"channel": "api", "external_id": "cms-123"}
    assert ticket["assignee"] is None
    assert ticket["duplicate_of"] is None
    collection = ticket["collection"]
    assert set(collection) == {"status", "progress", "sources"}
    assert collection["status"] in {"queued", "running", "done", "failed"}
    assert isinstance(collection["progress"], int | float) and 0 <= collection["progress"] <= 1
    assert isinstance(collection["sources"], dict)
    assert type(ticket["references_count"]) is int and ticket["references_count"] == 0
    assert ticket["matches"] == []
    assert ticket["verdict"] is None
    assert ticket["publication"] is None
    assert RFC3339.match(ticket["created_at"]) and RFC3339.match(ticket["updated_at"])
    self_link = f"{TICKETS}/{ticket['id']}"
    assert ticket["links"] == {
        "self": self_link,
        "references": f"{self_link}/references",
        "events": f"{self_link}/events",
    }

    assert response.headers["Location"].endswith(self_link)
    assert response.headers["ETag"] == f'"v{ticket["version"]}"'
    assert api.get(self_link).get_json() == ticket


def test_create_with_only_a_claim_fills_documented_defaults(api: ApiClient) -> None:
    ticket = api.create_ticket("Bare claim.")
    assert ticket["speaker"] is None and ticket["claim_date"] is None and ticket["source_url"] is None
    assert ticket["language"] == "en"
    assert ticket["tags"] == []
    assert ticket["priority"] == 0
    assert ticket["origin"] == {"channel": "api"}


def test_claim_of_exactly_2000_chars_is_accepted(api: ApiClient) -> None:
    ticket = api.create_ticket("x" * 2000)
    assert len(ticket["claim"]) == 2000


def test_json_with_charset_parameter_is_accepted(api: ApiClient) -> None:
    response = api.post(
        TICKETS,
        data='{"claim": "Caf\u00e9 prices doubled."}'.encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["claim"] == "Caf\u00e9 prices doubled."


@pytest.mark.parametrize(
    "same_claim",
    [
        "The moon is made of cheese.",
        "the MOON is made of cheese",
        "  The   moon\tis made\nof cheese!!! ",
        "\u201cThe moon is made of cheese\u2026\u201d",
        "The moon is made of cheese?",
    ],
)
def test_same_open_claim_returns_200_with_the_same_ticket_and_more_demand(
    api: ApiClient, row_count: Callable[[str], int], same_claim: str
) -> None:
    first = api.create_ticket("The moon is made of cheese.")
    response = api.post(TICKETS, json={"claim": same_claim})
    assert response.status_code == 200, response.get_json()
    again = response.get_json()
    assert again["id"] == first["id"]
    assert again["demand"] == 2
    assert again["version"] > first["version"]
    assert response.headers["ETag"] == f'"v{again["version"]}"'
    assert row_count("tickets") == 1
    third = api.post(TICKETS, json={"claim": same_claim}).get_json()
    assert third["demand"] == 3


def test_different_claim_opens_a_different_ticket(api: ApiClient) -> None:
    first = api.create_ticket("The moon is made of cheese.")
    second = api.create_ticket("The moon is made of rock.")
    assert second["id"] != first["id"]
    assert second["demand"] == 1


def test_claims_of_nothing_but_punctuation_are_told_apart(api: ApiClient) -> None:
    first = api.create_ticket("???")
    assert api.create_ticket("!!!")["id"] != first["id"]
    again = api.post(TICKETS, json={"claim": " ??? "})
    assert (again.status_code, again.get_json()["id"]) == (200, first["id"])


def test_claim_of_a_rejected_ticket_opens_a_new_ticket(
    api: ApiClient, app: Flask, row_count: Callable[[str], int]
) -> None:
    claim = "Vaccines contain microchips."
    old = in_triage(api, app, claim)
    rejected = api.act(old["id"], "reject", {"reason": "Already debunked widely."})
    assert rejected.status_code == 200, rejected.get_json()
    assert rejected.get_json()["state"] == "rejected"

    response = api.post(TICKETS, json={"claim": claim.upper()})
    assert response.status_code == 201, response.get_json()
    new = response.get_json()
    assert new["id"] != old["id"]
    assert new["demand"] == 1
    assert new["state"] == "submitted"
    assert api.get(f"{TICKETS}/{old['id']}").get_json()["demand"] == 1
    assert row_count("tickets") == 2


def test_merge_moves_demand_and_the_merged_claim_then_opens_a_new_ticket(api: ApiClient, app: Flask) -> None:
    target = in_triage(api, app, "Inflation is 20 percent.")
    duplicate = in_triage(api, app, "Inflation is at twenty percent.")
    merged = api.act(duplicate["id"], "merge", {"duplicate_of": target["id"]})
    assert merged.status_code == 200, merged.get_json()
    assert merged.get_json()["duplicate_of"] == target["id"]
    assert api.get(f"{TICKETS}/{target['id']}").get_json()["demand"] == 2

    response = api.post(TICKETS, json={"claim": "Inflation is at twenty percent."})
    assert response.status_code == 201
    assert response.get_json()["id"] not in {target["id"], duplicate["id"]}


# --- Idempotency-Key -----------------------------------------------------------------------------


def test_idempotency_key_repeat_returns_the_first_response_and_creates_nothing(
    api: ApiClient, row_count: Callable[[str], int]
) -> None:
    body = {"claim": "Bridges are closing.", "tags": ["transport"]}
    headers = {"Idempotency-Key": "0f8c2b4e-retry-me"}
    first = api.post(TICKETS, json=body, headers=headers)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    counts = {table: row_count(table) for table in ("tickets", "ticket_events", "outbox_events")}

    for _ in range(3):
        repeat = api.post(TICKETS, json=body, headers=headers)
        assert repeat.status_code == 201
        assert repeat.headers["Idempotent-Replayed"] == "true"
        assert repeat.get_json() == first.get_json()
        assert repeat.headers["ETag"] == first.headers["ETag"]
    assert {table: row_count(table) for table in counts} == counts
    assert api.get(f"{TICKETS}/{first.get_json()['id']}").get_json()["demand"] == 1


def test_idempotency_key_replays_a_200_duplicate_response_too(api: ApiClient) -> None:
    original = api.create_ticket("Trains run late 90% of the time.")
    headers = {"Idempotency-Key": "dup-1"}
    first = api.post(TICKETS, json={"claim": "Trains run late 90% of the time."}, headers=headers)
    repeat = api.post(TICKETS, json={"claim": "Trains run late 90% of the time."}, headers=headers)
    assert first.status_code == repeat.status_code == 200
    assert repeat.get_json() == first.get_json()
    assert api.get(f"{TICKETS}/{original['id']}").get_json()["demand"] == 2


def test_idempotency_keys_are_per_user(api: ApiClient, users: UserFactory) -> None:
    other = api.as_(users.token_for("checker"))
    body = {"claim": "Schools close at noon."}
    headers = {"Idempotency-Key": "same-key"}
    mine = api.post(TICKETS, json=body, headers=headers)
    theirs = other.post(TICKETS, json=body, headers=headers)
    assert mine.status_code == 201
    assert theirs.status_code == 200
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.get_json()["demand"] == 2


def test_idempotency_key_repeat_of_an_action_does_not_act_twice(
    api: ApiClient, app: Flask, row_count: Callable[[str], int]
) -> None:
    ticket = in_triage(api, app, "Trees cause pollution.")
    headers = {"Idempotency-Key": "reject-once"}
    first = api.act(ticket["id"], "reject", {"reason": "Not checkable."}, headers=headers)
    assert first.status_code == 200, first.get_json()
    events = row_count("ticket_events")
    repeat = api.act(ticket["id"], "reject", {"reason": "Not checkable."}, headers=headers)
    assert repeat.status_code == 200
    assert repeat.headers["Idempotent-Replayed"] == "true"
    assert repeat.get_json() == first.get_json()
    assert row_count("ticket_events") == events
    assert api.act(ticket["id"], "reject", {"reason": "Not checkable."}).status_code == 409


# --- reading -------------------------------------------------------------------------------------


def test_get_with_matching_if_none_match_is_304(api: ApiClient) -> None:
    ticket = api.create_ticket("Cats outnumber people.")
    etag = api.get(f"{TICKETS}/{ticket['id']}").headers["ETag"]
    not_modified = api.get(f"{TICKETS}/{ticket['id']}", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.get_data() == b""

    api.post(TICKETS, json={"claim": "Cats outnumber people."})  # more demand: a new version
    changed = api.get(f"{TICKETS}/{ticket['id']}", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.get_json()["demand"] == 2


def _walk(api: ApiClient, limit: int, **filters: str) -> list[list[str]]:
    """Ids of every page of the list, following next_cursor to the end."""
    pages: list[list[str]] = []
    query: dict[str, Any] = {"limit": limit, **filters}
    while True:
        response = api.get(TICKETS, query_string=query)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert set(body) == {"items", "next_cursor"}
        pages.append([item["id"] for item in body["items"]])
        if body["next_cursor"] is None:
            return pages
        assert isinstance(body["next_cursor"], str)
        query = {**query, "cursor": body["next_cursor"]}
        assert len(pages) < 20, "pagination does not end"


def test_list_walks_all_pages_newest_first_without_duplicates(api: ApiClient) -> None:
    created = [api.create_ticket(f"Numbered claim {n}.")["id"] for n in range(7)]
    pages = _walk(api, limit=3)
    assert [len(page) for page in pages] == [3, 3, 1]
    walked = [ticket_id for page in pages for ticket_id in page]
    assert walked == list(reversed(created))


def test_list_page_exactly_full_ends_with_null_cursor(api: ApiClient) -> None:
    for n in range(6):
        api.create_ticket(f"Even claim {n}.")
    assert [len(page) for page in _walk(api, limit=3)] == [3, 3]


def test_list_defaults_to_50_items(api: ApiClient) -> None:
    for n in range(51):
        api.create_ticket(f"Bulk claim number {n}.")
    body = api.get(TICKETS).get_json()
    assert len(body["items"]) == 50
    assert body["next_cursor"] is not None
    assert len(api.get(TICKETS, query_string={"cursor": body["next_cursor"]}).get_json()["items"]) == 1


def test_list_items_use_the_ticket_representation(api: ApiClient) -> None:
    created = api.create_ticket("Representation check.")
    (item,) = api.get(TICKETS).get_json()["items"]
    assert set(item) == TICKET_KEYS
    assert item == api.get(f"{TICKETS}/{created['id']}").get_json()


def test_list_filters_by_state_assignee_q_and_tag(api: ApiClient, app: Flask, users: UserFactory) -> None:
    checker = users.create("checker")
    triaged = in_triage(api, app, "Triaged claim about schools.", tags=["education", "budget"])
    assigned = in_triage(api, app, "Assigned claim about 100 schools.", tags=["education"])
    accepted = api.act(assigned["id"], "accept", {"assignee": checker.email})
    assert accepted.status_code == 200, accepted.get_json()
    submitted = api.create_ticket("Submitted claim about 100% of the budget.", tags=["budget"])
    submitted_after = api.create_ticket("Another claim, about_underscores.")

    def ids(**query: str) -> list[str]:
        response = api.get(TICKETS, query_string=query)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert ids(state="triage") == [triaged["id"]]
    assert ids(state="researching") == [assigned["id"]]
    assert ids(state="submitted") == [submitted_after["id"], submitted["id"]]
    assert ids(state="published") == []
    assert ids(assignee=checker.email) == [assigned["id"]]
    assert ids(assignee=checker.email.upper()) == [assigned["id"]]
    assert ids(assignee=checker.id) == [assigned["id"]]
    assert ids(assignee="nobody@newsroom.test") == []
    assert ids(q="SCHOOLS") == [assigned["id"], triaged["id"]]
    assert ids(q="100%") == [submitted["id"]]  # % is literal, not a wildcard
    assert ids(q="about_") == [submitted_after["id"]]  # so is _
    assert ids(tag="budget") == [submitted["id"], triaged["id"]]
    assert ids(tag="education", state="triage") == [triaged["id"]]
    assert ids(tag="educ") == []
    assert ids(q="schools", tag="budget") == [triaged["id"]]


def test_list_filters_apply_across_pages(api: ApiClient) -> None:
    tagged = []
    for n in range(8):
        ticket = api.create_ticket(f"Paged claim {n}.", tags=["even"] if n % 2 == 0 else [])
        if n % 2 == 0:
            tagged.append(ticket["id"])
    pages = _walk(api, limit=3, tag="even")
    assert [len(page) for page in pages] == [3, 1]
    assert [ticket_id for page in pages for ticket_id in page] == list(reversed(tagged))


def test_events_list_the_audit_trail_oldest_first(api: ApiClient, app: Flask, users: UserFactory) -> None:
    editor = users.create("editor")
    api = api.as_(users.token_of(editor))
    ticket = in_triage(api, app, "Audit trail claim.")
    api.post(TICKETS, json={"claim": "audit trail claim"})
    accepted = api.act(ticket["id"], "accept", {})
    assert accepted.status_code == 200, accepted.get_json()

    response = api.get(f"{TICKETS}/{ticket['id']}/events")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"items"}
    events = body["items"]
    for event in events:
        assert set(event) == EVENT_KEYS
        assert RFC3339.match(event["at"])
        assert isinstance(event["data"], dict)
        assert isinstance(event["actor"], str)
    assert [event["action"] for event in events] == [
        "create",
        "start_collection",
        "finish_collection",
        "demand",
        "accept",
    ]
    assert [(event["from_state"], event["to_state"]) for event in events] == [
        (None, "submitted"),
        ("submitted", "collecting"),
        ("collecting", "triage"),
        ("triage", "triage"),
        ("triage", "researching"),
    ]
    assert [event["actor"] for event in events] == [
        editor.email,
        "system",
        "system",
        editor.email,
        editor.email,
    ]
    ids = [event["id"] for event in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert [event["at"] for event in events] == sorted(event["at"] for event in events)
    assert events[0]["data"] == {"channel": "api"}
    assert events[3]["data"] == {"demand": 2}


def test_events_of_one_ticket_exclude_other_tickets(api: ApiClient) -> None:
    first = api.create_ticket("First claim.")
    api.create_ticket("Second claim.")
    events = api.get(f"{TICKETS}/{first['id']}/events").get_json()["items"]
    assert [event["action"] for event in events] == ["create"]


# --- concurrency ---------------------------------------------------------------------------------


def _concurrently(
    app: Flask, token: str, requests: list[tuple[dict[str, Any], dict[str, str]]]
) -> list[TestResponse]:
    """Send each (json body, headers) POST /tickets from its own thread and test client, all at once."""
    # A token's first use in five minutes writes its last_used_at; that row lock would queue the
    # requests one behind another instead of letting them race, so mark the token as just used.
    with app.extensions["factcheck.engine"].begin() as connection:
        connection.execute(update(ApiToken).values(last_used_at=utcnow()))
    barrier = threading.Barrier(len(requests))
    responses: list[TestResponse | BaseException | None] = [None] * len(requests)

    def send(index: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        client = app.test_client()
        barrier.wait(timeout=30)
        try:
            responses[index] = client.post(
                TICKETS, json=body, headers={"Authorization": f"Bearer {token}", **headers}
            )
        except BaseException as exc:  # reported by the assertion below, not lost in the thread
            responses[index] = exc

    threads = [
        threading.Thread(target=send, args=(index, body, headers))
        for index, (body, headers) in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    assert all(isinstance(response, TestResponse) for response in responses), responses
    return [response for response in responses if isinstance(response, TestResponse)]


def test_concurrent_identical_posts_create_one_ticket_with_all_the_demand(
    api: ApiClient, app: Flask, row_count: Callable[[str], int]
) -> None:
    responses = _concurrently(app, api.token, [({"claim": "Twenty people said this."}, {})] * 20)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 19 + [201], [r.get_data(as_text=True)[:300] for r in responses]
    assert len({response.get_json()["id"] for response in responses}) == 1
    assert row_count("tickets") == 1
    assert row_count("ticket_events") == 20  # one create, nineteen demand
    assert row_count("outbox_events") == 1  # ticket.created, once
    ticket = api.get(responses[0].headers["Location"]).get_json()
    assert ticket["demand"] == 20
    demands = sorted(response.get_json()["demand"] for response in responses)
    assert demands == list(range(1, 21))


def test_concurrent_posts_with_different_idempotency_keys_each_count(
    api: ApiClient, app: Flask, row_count: Callable[[str], int]
) -> None:
    requests = [({"claim": "Ten keys, one claim."}, {"Idempotency-Key": f"key-{n}"}) for n in range(10)]
    responses = _concurrently(app, api.token, requests)
    assert sorted(response.status_code for response in responses) == [200] * 9 + [201]
    assert len({response.get_json()["id"] for response in responses}) == 1
    assert row_count("tickets") == 1
    assert row_count("idempotency_records") == 10
    ticket_id = responses[0].get_json()["id"]
    assert api.get(f"{TICKETS}/{ticket_id}").get_json()["demand"] == 10
    # each key now replays its own first response
    for (body, headers), response in zip(requests, responses, strict=True):
        replay = api.post(TICKETS, json=body, headers=headers)
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.status_code == response.status_code
        assert replay.get_json() == response.get_json()


def test_concurrent_posts_with_different_keys_and_claims_create_one_ticket_each(
    api: ApiClient, app: Flask, row_count: Callable[[str], int]
) -> None:
    requests = [({"claim": f"Distinct claim {n}."}, {"Idempotency-Key": f"distinct-{n}"}) for n in range(10)]
    responses = _concurrently(app, api.token, requests)
    assert [response.status_code for response in responses] == [201] * 10
    assert len({response.get_json()["id"] for response in responses}) == 10
    assert row_count("tickets") == 10


def test_concurrent_posts_with_the_same_idempotency_key_act_once(
    api: ApiClient, app: Flask, row_count: Callable[[str], int]
) -> None:
    requests = [({"claim": "One key, many retries."}, {"Idempotency-Key": "retry-storm"})] * 10
    responses = _concurrently(app, api.token, requests)
    assert [response.status_code for response in responses] == [201] * 10
    assert len({response.get_json()["id"] for response in responses}) == 1
    assert sum("Idempotent-Replayed" in response.headers for response in responses) == 9
    assert row_count("tickets") == 1
    assert row_count("idempotency_records") == 1
    assert row_count("ticket_events") == 1
    assert row_count("outbox_events") == 1
    ticket_id = responses[0].get_json()["id"]
    assert api.get(f"{TICKETS}/{ticket_id}").get_json()["demand"] == 1


def test_repeated_posts_count_demand_one_by_one(api: ApiClient, row_count: Callable[[str], int]) -> None:
    """The de-duplication the concurrent tests check, without contention: demand rises by one each time."""
    responses = [api.post(TICKETS, json={"claim": "Said twenty times."}) for _ in range(20)]
    assert [response.status_code for response in responses] == [201] + [200] * 19
    assert [response.get_json()["demand"] for response in responses] == list(range(1, 21))
    assert row_count("tickets") == 1


def test_claim_date_round_trips_as_iso_date(api: ApiClient) -> None:
    ticket = api.create_ticket("Dated claim.", claim_date="2024-02-29")
    assert date.fromisoformat(ticket["claim_date"]) == date(2024, 2, 29)


def test_events_show_the_request_and_the_job_behind_them(api: ApiClient, app: Flask) -> None:
    created = api.post(
        TICKETS, json={"claim": "Exports doubled in 2025."}, headers={"X-Request-ID": "req-abc.123"}
    )
    assert created.headers["X-Request-ID"] == "req-abc.123"
    run_jobs(app)
    events = api.get(f"{TICKETS}/{created.get_json()['id']}/events").get_json()["items"]
    by_action = {event["action"]: event for event in events}
    assert by_action["create"]["request_id"] == "req-abc.123"
    assert by_action["create"]["job_id"] is None
    ticket_id = created.get_json()["id"]
    assert by_action["finish_collection"]["job_id"] == f"collect-{ticket_id}"
    assert by_action["finish_collection"]["request_id"] == "req-abc.123", "the job carries the request id"
