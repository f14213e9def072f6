"""Fixtures for publication tests: a newsroom that walks tickets to publication, and apps with
other settings (sharing the test database and Redis)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck import create_app
from factcheck.config import Settings
from tests.support import ApiClient, UserFactory, run_jobs

STANDARD_EVIDENCE = (
    {
        "url": "https://stats.example/unemployment-q4",
        "title": "Quarterly labour force survey",
        "passage": "Unemployment stood at 4.1% in the fourth quarter.",
        "stance": "refutes",
    },
    {"url": "https://news.example/interview", "title": "Interview transcript", "stance": "context"},
)


class Newsroom:
    """A checker researches, a second editor approves, the editor of ``api`` publishes."""

    def __init__(self, app: Flask, api: ApiClient, users: UserFactory) -> None:
        self.app = app
        self.editor = api
        self.checker = api.as_(users.token_for("checker"))
        self.reviewer = api.as_(users.token_for("editor"))

    def in_triage(self, claim: str, **fields: Any) -> str:
        ticket = self.editor.create_ticket(claim, **fields)
        run_jobs(self.app)
        return str(ticket["id"])

    def add_evidence(self, tid: str, evidence: tuple[dict[str, Any], ...] = STANDARD_EVIDENCE) -> list[str]:
        ids = []
        for item in evidence:
            added = self.checker.post(f"/api/v1/tickets/{tid}/references", json=item)
            assert added.status_code == 201, added.get_json()
            ref_id = added.get_json()["id"]
            pinned = self.checker.patch(f"/api/v1/tickets/{tid}/references/{ref_id}", json={"pinned": True})
            assert pinned.status_code == 200, pinned.get_json()
            ids.append(ref_id)
        return ids

    def submitted(
        self, claim: str, rating: str = "false", summary: str = "Official data show 4.1%.", **fields: Any
    ) -> str:
        tid = self.in_triage(claim, **fields)
        assert self.checker.act(tid, "accept").status_code == 200
        self.add_evidence(tid)
        submitted = self.checker.act(tid, "submit", {"rating": rating, "summary": summary})
        assert submitted.status_code == 200, submitted.get_json()
        return tid

    def approve_and_publish(self, tid: str, **publish: Any) -> dict[str, Any]:
        approved = self.reviewer.act(tid, "approve")
        assert approved.status_code == 200, approved.get_json()
        published = self.editor.act(tid, "publish", publish)
        assert published.status_code == 200, published.get_json()
        body: dict[str, Any] = published.get_json()
        return body

    def publish(
        self,
        claim: str = "Unemployment fell to 3% in 2025.",
        rating: str = "false",
        summary: str = "Official data show 4.1%.",
        **fields: Any,
    ) -> dict[str, Any]:
        return self.approve_and_publish(self.submitted(claim, rating, summary, **fields))

    def republish(self, tid: str, rating: str, summary: str, note: str, **publish: Any) -> dict[str, Any]:
        reopened = self.editor.act(tid, "reopen", {"note": note})
        assert reopened.status_code == 200, reopened.get_json()
        submitted = self.checker.act(tid, "submit", {"rating": rating, "summary": summary})
        assert submitted.status_code == 200, submitted.get_json()
        return self.approve_and_publish(tid, **publish)


@pytest.fixture()
def newsroom(app: Flask, api: ApiClient, users: UserFactory) -> Newsroom:
    return Newsroom(app, api, users)


@pytest.fixture()
def public(client: FlaskClient) -> FlaskClient:
    """An anonymous client: a reader, a crawler or a feed reader."""
    return client


@pytest.fixture()
def app_with(settings: Settings, app: Flask) -> Iterator[Callable[..., Flask]]:
    """Build another app on the same database and Redis with some settings changed.

    Depends on ``app`` so that its teardown empties the database afterwards.
    """
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        other = create_app(dataclasses.replace(settings, **overrides))
        other.config["TESTING"] = True
        made.append(other)
        return other

    yield make
    for other in made:
        other.extensions["factcheck.engine"].dispose()
