"""The state machine: the table, role guards, four-eyes, versions, journal and compare-and-set."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from factcheck import workflow
from factcheck.models import OutboxEvent, Publication, TicketEvent
from tests.support import ApiClient, UserFactory, run_jobs


def in_triage(api: ApiClient, app: Flask, claim: str = "Unemployment fell to 3% in 2025.") -> dict[str, Any]:
    ticket = api.create_ticket(claim)
    run_jobs(app)
    body = api.get(f"/api/v1/tickets/{ticket['id']}").get_json()
    assert body["state"] == "triage"
    return body


def pin_reference(api: ApiClient, ticket_id: str) -> None:
    added = api.post(f"/api/v1/tickets/{ticket_id}/references", json={"url": "https://stats.example/q4"})
    assert added.status_code == 201, added.get_json()
    pinned = api.patch(
        f"/api/v1/tickets/{ticket_id}/references/{added.get_json()['id']}", json={"pinned": True}
    )
    assert pinned.status_code == 200


def in_review(api: ApiClient, app: Flask, rating: str = "false") -> dict[str, Any]:
    ticket = in_triage(api, app)
    assert api.act(ticket["id"], "accept").status_code == 200
    pin_reference(api, ticket["id"])
    submitted = api.act(ticket["id"], "submit", {"rating": rating, "summary": "Official data show 4.1%."})
    assert submitted.status_code == 200, submitted.get_json()
    return submitted.get_json()


def count(app: Flask, model: Any, **where: Any) -> int:
    with app.app_context():
        from factcheck import db

        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session().scalar(query) or 0


def test_every_state_is_reachable_and_closed_states_only_reopen() -> None:
    targets = {t.target for t in workflow.TRANSITIONS.values() if t.target}
    assert targets | {"submitted"} == set(workflow.STATES)
    for state in workflow.CLOSED_STATES:
        assert {a for (s, a) in workflow.TRANSITIONS if s == state} == {"reopen"}
    assert all(source in workflow.STATES for source, _ in workflow.TRANSITIONS)


def test_ticket_reaches_triage_after_collection_with_journal(api: ApiClient, app: Flask) -> None:
    ticket = in_triage(api, app)
    events = api.get(f"/api/v1/tickets/{ticket['id']}/events").get_json()["items"]
    assert [(e["action"], e["from_state"], e["to_state"]) for e in events] == [
        ("create", None, "submitted"),
        ("start_collection", "submitted", "collecting"),
        ("finish_collection", "collecting", "triage"),
    ]
    assert ticket["collection"]["status"] == "done"
    types = [row.event_type for row in _outbox(app, ticket["id"])]
    assert types == [
        "ticket.created",
        "ticket.state_changed",
        "ticket.state_changed",
        "ticket.references_collected",
    ]


def _outbox(app: Flask, ticket_id: str) -> list[OutboxEvent]:
    with app.app_context():
        from factcheck import db

        return list(
            db.session().scalars(
                select(OutboxEvent).where(OutboxEvent.ticket_id == ticket_id).order_by(OutboxEvent.id)
            )
        )


def test_full_life_publishes_corrects_and_retracts_as_versions(
    api: ApiClient, app: Flask, users: UserFactory
) -> None:
    checker = api.as_(users.token_for("checker"))
    ticket = in_triage(api, app)
    tid = ticket["id"]
    assert checker.act(tid, "accept").get_json()["state"] == "researching"
    pin_reference(checker, tid)
    assert (
        checker.act(tid, "submit", {"rating": "false", "summary": "No."}).get_json()["state"] == "in_review"
    )
    assert api.act(tid, "approve").get_json()["state"] == "approved"
    published = api.act(tid, "publish").get_json()
    assert published["state"] == "published"
    assert published["publication"]["version"] == 1 and published["publication"]["kind"] == "initial"

    reopened = api.act(tid, "reopen", {"note": "New figures from the statistics office."}).get_json()
    assert reopened["state"] == "researching"
    assert reopened["publication"]["version"] == 1, "the publication stays live while under review"
    assert checker.act(tid, "submit", {"rating": "mostly-false", "summary": "Close."}).status_code == 200
    assert api.act(tid, "approve").status_code == 200
    corrected = api.act(tid, "publish").get_json()
    assert corrected["publication"] | {"published_at": None} == {
        "version": 2,
        "kind": "correction",
        "url": published["publication"]["url"],
        "published_at": None,
    }

    retracted = api.act(tid, "retract", {"note": "Source withdrawn."}).get_json()
    assert retracted["state"] == "retracted"
    with app.app_context():
        from factcheck import db

        versions = (
            db.session()
            .scalars(select(Publication).where(Publication.ticket_id == tid).order_by(Publication.version))
            .all()
        )
        assert [(p.version, p.kind, p.rating, p.previous_rating) for p in versions] == [
            (1, "initial", "false", None),
            (2, "correction", "mostly-false", "false"),
            (3, "retraction", None, "mostly-false"),
        ]
        assert versions[1].note == "New figures from the statistics office."
    assert api.act(tid, "reopen", {"note": "Re-examining."}).get_json()["state"] == "triage"
    types = [row.event_type for row in _outbox(app, tid)]
    assert types.count("ticket.published") == 1
    assert types.count("ticket.corrected") == 1
    assert types.count("ticket.retracted") == 1


def test_republishing_with_the_same_rating_is_an_update(
    api: ApiClient, app: Flask, users: UserFactory
) -> None:
    checker = api.as_(users.token_for("checker"))
    tid = in_triage(api, app)["id"]
    checker.act(tid, "accept")
    pin_reference(checker, tid)
    checker.act(tid, "submit", {"rating": "false", "summary": "No."})
    api.act(tid, "approve")
    api.act(tid, "publish")
    api.act(tid, "reopen", {"note": "Added a source."})
    checker.act(tid, "submit", {"rating": "false", "summary": "Still no."})
    api.act(tid, "approve")
    assert api.act(tid, "publish").get_json()["publication"]["kind"] == "update"


@pytest.mark.parametrize(
    ("action", "body", "role", "status"),
    [
        ("accept", {}, "checker", 200),
        ("reject", {"reason": "Opinion, not a claim."}, "checker", 403),
        ("reject", {"reason": "Opinion, not a claim."}, "editor", 200),
        ("merge", None, "checker", 403),
        ("recollect", {}, "checker", 200),
        ("accept", {}, "admin", 200),
    ],
)
def test_triage_actions_by_role(
    api: ApiClient,
    app: Flask,
    users: UserFactory,
    action: str,
    body: dict[str, Any] | None,
    role: str,
    status: int,
) -> None:
    tid = in_triage(api, app)["id"]
    if body is None:
        body = {"duplicate_of": in_triage(api, app, "A different claim about 12 ships.")["id"]}
    events_before = count(app, TicketEvent, ticket_id=tid)
    response = api.as_(users.token_for(role)).act(tid, action, body)
    assert response.status_code == status, response.get_json()
    if status == 403:
        assert response.mimetype == "application/problem+json"
        assert count(app, TicketEvent, ticket_id=tid) == events_before, "a refused action writes nothing"


@pytest.mark.parametrize(
    ("action", "body"),
    [("approve", {}), ("request_changes", {"note": "Cite the source."})],
)
def test_checkers_cannot_review(
    api: ApiClient, app: Flask, users: UserFactory, action: str, body: dict[str, Any]
) -> None:
    tid = in_review(api, app)["id"]
    response = api.as_(users.token_for("checker")).act(tid, action, body)
    assert response.status_code == 403


def test_researcher_cannot_approve_own_verdict(api: ApiClient, app: Flask, users: UserFactory) -> None:
    tid = in_review(api, app)["id"]
    refused = api.act(tid, "approve")
    assert refused.status_code == 403
    assert "four-eyes" in refused.get_json()["detail"]
    assert api.as_(users.token_for("editor")).act(tid, "approve").get_json()["state"] == "approved"


def test_submit_needs_rating_summary_and_a_pinned_reference(api: ApiClient, app: Flask) -> None:
    tid = in_triage(api, app)["id"]
    api.act(tid, "accept")
    response = api.act(tid, "submit", {})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"rating", "summary", "references"}
    assert api.act(tid, "submit", {"rating": "very-false", "summary": "x"}).status_code == 422
    draft = api.put(f"/api/v1/tickets/{tid}/verdict", json={"rating": "false", "summary": "It is false."})
    assert draft.status_code == 200 and draft.get_json()["verdict"]["rating_label"] == "False"
    assert set(api.act(tid, "submit").get_json()["errors"]) == {"references"}
    pin_reference(api, tid)
    assert api.act(tid, "submit").get_json()["state"] == "in_review"


def test_request_changes_needs_a_note_and_returns_to_research(
    api: ApiClient, app: Flask, users: UserFactory
) -> None:
    tid = in_review(api, app)["id"]
    other = api.as_(users.token_for("editor"))
    assert other.act(tid, "request_changes", {}).status_code == 422
    assert (
        other.act(tid, "request_changes", {"note": "Cite the source."}).get_json()["state"] == "researching"
    )


def test_invalid_action_lists_what_is_allowed(api: ApiClient, app: Flask, users: UserFactory) -> None:
    tid = in_triage(api, app)["id"]
    response = api.act(tid, "publish")
    assert response.status_code == 409
    assert response.get_json()["allowed"] == ["accept", "merge", "recollect", "reject"]
    checker_view = api.as_(users.token_for("checker")).act(tid, "approve").get_json()
    assert checker_view["allowed"] == ["accept", "recollect"]


def test_system_actions_are_not_open_to_people(api: ApiClient, app: Flask) -> None:
    tid = api.create_ticket()["id"]
    assert api.act(tid, "start_collection").status_code == 404


def test_checker_may_assign_only_themselves(api: ApiClient, app: Flask, users: UserFactory) -> None:
    tid = in_triage(api, app)["id"]
    someone = users.create("checker")
    checker = api.as_(users.token_for("checker"))
    assert checker.act(tid, "accept", {"assignee": someone.id}).status_code == 403
    accepted = api.act(tid, "accept", {"assignee": someone.email})
    assert accepted.get_json()["assignee"]["id"] == someone.id


def test_only_assignee_or_editor_submits(api: ApiClient, app: Flask, users: UserFactory) -> None:
    tid = in_triage(api, app)["id"]
    owner = users.create("checker")
    api.act(tid, "accept", {"assignee": owner.id})
    pin_reference(api, tid)
    stranger = api.as_(users.token_for("checker"))
    response = stranger.act(tid, "submit", {"rating": "false", "summary": "No."})
    assert response.status_code == 403


def test_if_match_guards_against_stale_writes(api: ApiClient, app: Flask) -> None:
    ticket = in_triage(api, app)
    etag = api.get(f"/api/v1/tickets/{ticket['id']}").headers["ETag"]
    assert etag == f'"v{ticket["version"]}"'
    stale = api.act(ticket["id"], "accept", headers={"If-Match": f'"v{ticket["version"] - 1}"'})
    assert stale.status_code == 412
    fresh = api.act(ticket["id"], "accept", headers={"If-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] == f'"v{fresh.get_json()["version"]}"'


def test_merge_adds_demand_to_the_surviving_ticket(api: ApiClient, app: Flask) -> None:
    target = in_triage(api, app, "Ten thousand ships sailed in 2024.")
    duplicate = in_triage(api, app, "10,000 ships sailed in 2024.")
    merged = api.act(duplicate["id"], "merge", {"duplicate_of": target["id"]}).get_json()
    assert merged["state"] == "merged" and merged["duplicate_of"] == target["id"]
    assert api.get(f"/api/v1/tickets/{target['id']}").get_json()["demand"] == 2
    assert api.act(target["id"], "merge", {"duplicate_of": target["id"]}).status_code == 422


def test_a_rejected_claim_can_be_submitted_again_and_reopen_does_not_duplicate(
    api: ApiClient, app: Flask
) -> None:
    first = in_triage(api, app)
    api.act(first["id"], "reject", {"reason": "Not checkable."})
    second = api.create_ticket(first["claim"])
    assert second["id"] != first["id"]
    reopened = api.act(first["id"], "reopen", {"note": "Checkable after all."}).get_json()
    assert reopened["state"] == "triage"
    third = api.post("/api/v1/tickets", json={"claim": first["claim"]})
    assert third.status_code == 200 and third.get_json()["id"] == second["id"]


def test_recollect_keeps_the_state_and_collects_again(api: ApiClient, app: Flask) -> None:
    tid = in_triage(api, app)["id"]
    api.act(tid, "accept")
    again = api.act(tid, "recollect").get_json()
    assert again["state"] == "researching" and again["collection"]["status"] == "queued"
    run_jobs(app)
    done = api.get(f"/api/v1/tickets/{tid}").get_json()
    assert done["state"] == "researching" and done["collection"]["status"] == "done"


def test_concurrent_actions_produce_exactly_one_transition(
    api: ApiClient, app: Flask, users: UserFactory
) -> None:
    tid = in_triage(api, app)["id"]
    tokens = [users.token_for("checker") for _ in range(8)]
    barrier = threading.Barrier(len(tokens))
    statuses: list[int] = []

    def accept(token: str) -> None:
        client = ApiClient(app.test_client(), token)
        barrier.wait()
        statuses.append(client.act(tid, "accept").status_code)

    threads = [threading.Thread(target=accept, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * (len(tokens) - 1)
    assert count(app, TicketEvent, ticket_id=tid, action="accept") == 1


def test_an_action_refuses_fields_of_other_actions_and_changes_nothing(api: ApiClient, app: Flask) -> None:
    from factcheck.workflow import ACTION_FIELDS, ACTIONS

    assert set(ACTION_FIELDS) == set(ACTIONS), "every action says which fields it takes"
    tid = api.create_ticket("Fields of one action only.")["id"]
    run_jobs(app)
    before = api.get(f"/api/v1/tickets/{tid}").get_json()

    refused = api.act(tid, "accept", {"note": "not an accept field", "reason": "nor this"})

    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert set(refused.get_json()["errors"]) == {"note", "reason"}
    assert api.get(f"/api/v1/tickets/{tid}").get_json() == before
    assert api.act(tid, "accept", {}).status_code == 200
