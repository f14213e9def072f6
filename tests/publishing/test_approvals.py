"""Four-eyes review with a configurable number of approvals (``FACTCHECK_REQUIRED_APPROVALS``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from factcheck.config import Settings, SettingsError
from factcheck.models import OutboxEvent
from tests.publishing.conftest import Newsroom
from tests.support import ApiClient, UserFactory


@pytest.fixture()
def two_needed(app_with: Callable[..., Flask]) -> Flask:
    return app_with(required_approvals=2)


def _on(app: Flask, client: ApiClient) -> ApiClient:
    return ApiClient(app.test_client(), client.token)


def test_one_approval_is_enough_by_default(newsroom: Newsroom) -> None:
    tid = newsroom.submitted("Exports rose 9%.")
    assert newsroom.reviewer.act(tid, "approve").get_json()["state"] == "approved"


def test_with_two_required_the_ticket_waits_for_a_second_distinct_editor(
    newsroom: Newsroom, two_needed: Flask, users: UserFactory
) -> None:
    tid = newsroom.submitted("Exports rose 9%.")
    first, second = _on(two_needed, newsroom.reviewer), _on(two_needed, newsroom.editor)
    researcher = _on(two_needed, newsroom.checker)

    once = first.act(tid, "approve")
    assert once.status_code == 200 and once.get_json()["state"] == "in_review"
    again = first.act(tid, "approve")
    assert again.status_code == 403 and "already approved" in again.get_json()["detail"]
    assert researcher.act(tid, "approve").status_code == 403
    approved = second.act(tid, "approve").get_json()
    assert approved["state"] == "approved"
    assert approved["version"] > once.get_json()["version"], "every approval is a new version"

    events = [
        e for e in first.get(f"/api/v1/tickets/{tid}/events").get_json()["items"] if e["action"] == "approve"
    ]
    assert [(e["data"], e["to_state"]) for e in events] == [
        ({"approvals": 1, "required": 2}, "in_review"),
        ({"approvals": 2, "required": 2}, "approved"),
    ]
    with two_needed.app_context():
        from factcheck import db

        changes = db.session().scalars(
            select(OutboxEvent.payload).where(
                OutboxEvent.ticket_id == tid, OutboxEvent.event_type == "ticket.state_changed"
            )
        )
        states = [payload["ticket"]["state"] for payload in changes]
    assert states.count("approved") == 1 and states.count("in_review") == 1, "a held approval emits nothing"


def test_requesting_changes_starts_the_count_again(newsroom: Newsroom, two_needed: Flask) -> None:
    tid = newsroom.submitted("Exports rose 9%.")
    first, second = _on(two_needed, newsroom.reviewer), _on(two_needed, newsroom.editor)
    researcher = _on(two_needed, newsroom.checker)
    assert first.act(tid, "approve").get_json()["state"] == "in_review"
    assert (
        second.act(tid, "request_changes", {"note": "Cite customs data."}).get_json()["state"]
        == "researching"
    )
    assert (
        researcher.act(tid, "submit", {"rating": "false", "summary": "Customs data: 6%."}).status_code == 200
    )
    assert first.act(tid, "approve").get_json()["state"] == "in_review", (
        "the earlier approval no longer counts"
    )
    assert second.act(tid, "approve").get_json()["state"] == "approved"
    assert second.act(tid, "publish").get_json()["state"] == "published"


def test_the_methodology_page_states_the_number_of_approvals(two_needed: Flask) -> None:
    html = two_needed.test_client().get("/fact-checks/methodology").data.decode()
    assert "2 editors, none of whom\nresearched the claim" in html


@pytest.mark.parametrize("raw", ["0", "-1", "two"])
def test_required_approvals_must_be_a_positive_number(raw: str) -> None:
    with pytest.raises(SettingsError, match="FACTCHECK_REQUIRED_APPROVALS"):
        Settings.from_env({"FACTCHECK_REQUIRED_APPROVALS": raw})


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("FACTCHECK_PUBLIC_RATE_LIMIT", "lots"),
        ("FACTCHECK_BASE_URL", "checks.example.org"),
        ("FACTCHECK_ORGANISATION_URL", "javascript:alert(1)"),
        ("FACTCHECK_ORGANISATION_LOGO", "/logo.png"),
    ],
)
def test_publishing_settings_fail_fast(variable: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: raw})
