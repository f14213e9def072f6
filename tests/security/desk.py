"""A newsroom with one of everything, so that every route of the API resolves for a real request.

``Newsdesk`` holds a checker, an editor and an admin (each with an API token and a password)
and an integration (with its signing secret); on first use, a webhook subscription with a
delivery and a reference with a saved copy; and it makes fresh tickets in any workflow state on
demand, through the API as the people who would do it. Only collection, the service's own step,
is taken by the state machine directly (as the worker does) so that no test waits for a worker
per ticket.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import Table, select
from werkzeug.test import TestResponse

from factcheck import workflow
from factcheck.actors import SYSTEM
from factcheck.db import Base, unit_of_work
from factcheck.models import EVENT_TYPES, Ticket, User
from tests.references import servers
from tests.support import ApiClient, UserFactory, run_jobs
from tests.web.support import PASSWORD
from tests.webhooks.helpers import Sender

PEOPLE = ("checker", "editor", "admin")
RATING = "false"
HOOK_URL = "http://127.0.0.1:9/hook"
"""Allow-listed in the desk's settings; nothing listens on the discard port: deliveries fail fast."""
DESK_SETTINGS: dict[str, Any] = {
    "reference_sources": "library,factchecks,web",
    "outbound_allow_hosts": "127.0.0.1",
    "web_timeout": 2.0,
    "webhook_timeout": 1.0,
}
"""The web source fetches the desk's saved page from 127.0.0.1; deliveries give up fast."""
VOLATILE_COLUMNS = {("api_tokens", "last_used_at")}
"""Written by the authentication of any request, refused or not (once per five minutes)."""


@dataclass(frozen=True)
class Collected:
    subscription_id: str
    delivery_id: str
    archived_ticket: str
    archived_reference: str


def unique(text: str) -> str:
    """``text`` with a random tag: no two claims collide (a repeated claim adds demand instead)."""
    return f"{text} (case {uuid.uuid4().hex[:10]})"


class Newsdesk:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()
        factory = UserFactory(app)
        self.people: dict[str, User] = {role: factory.create(role, PASSWORD) for role in PEOPLE}
        self.tokens = {role: factory.token_of(user) for role, user in self.people.items()}
        self.integration, self.integration_secret = self._integration()

    @functools.cached_property
    def collected(self) -> Collected:
        """A subscription with one delivery, and a reference with a saved copy: made on first use,
        by a real worker (it fetches a page from 127.0.0.1 and delivers to 127.0.0.1, which the
        settings must allow: ``DESK_SETTINGS``)."""
        subscription = self.subscription(events=["ticket.created"])
        with servers.serving({"/article": servers.article}) as page:
            claim = unique("Greenland lost 532 billion tonnes of ice in 2019")
            ticket = self.api("editor").create_ticket(claim, source_url=f"{page.base}/article")["id"]
            run_jobs(self.app)  # collects that ticket (fetching the page) and fans out its ticket.created
        references = self.api("checker").get(f"/api/v1/tickets/{ticket}/references").get_json()["items"]
        deliveries = self.api("admin").get(f"/api/v1/webhooks/{subscription}/deliveries").get_json()["items"]
        saved = [item["id"] for item in references if item["content_sha256"]]
        assert saved and deliveries, "the worker saved the page and fanned out the event"
        return Collected(subscription, deliveries[0]["id"], ticket, saved[0])

    @property
    def subscription_id(self) -> str:
        return self.collected.subscription_id

    @property
    def delivery_id(self) -> str:
        return self.collected.delivery_id

    @property
    def archived_ticket(self) -> str:
        return self.collected.archived_ticket

    @property
    def archived_reference(self) -> str:
        return self.collected.archived_reference

    # --- credentials -----------------------------------------------------------------------------

    def api(self, role: str) -> ApiClient:
        return ApiClient(self.client, self.tokens[role])

    def headers(self, role: str, body: bytes) -> dict[str, str]:
        """What ``role`` sends: a person's bearer token, or the integration's secret used every way
        it could be (as a bearer token and as a Standard Webhooks signature over ``body``)."""
        if role == "anonymous":
            return {}
        if role == "integration":
            signed = Sender(self.client, self.integration, self.integration_secret).headers(body)
            return {**signed, "Authorization": f"Bearer {self.integration_secret}"}
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def call(self, role: str, method: str, path: str, body: Any = None) -> TestResponse:
        """One request as ``role``; ``body`` (if any) is sent as JSON."""
        data = b"" if body is None else json.dumps(body).encode()
        headers = self.headers(role, data)
        if body is not None:
            headers["Content-Type"] = "application/json"
        return self.client.open(path, method=method, data=data, headers=headers)

    def _integration(self) -> tuple[str, str]:
        name = f"tipline-{uuid.uuid4().hex[:8]}"
        created = self.api("admin").post("/api/v1/integrations", json={"name": name})
        assert created.status_code == 201, created.get_json()
        return name, created.get_json()["secret"]

    # --- objects ---------------------------------------------------------------------------------

    def subscription(self, events: list[str] | None = None) -> str:
        body = {"url": HOOK_URL, "events": events or list(EVENT_TYPES)}
        created = self.api("admin").post("/api/v1/webhooks", json=body)
        assert created.status_code == 201, created.get_json()
        return str(created.get_json()["id"])

    def ticket(self, state: str = "triage", **fields: Any) -> str:
        """A fresh ticket in ``state``, taken there through the API by the people who would."""
        claim = fields.pop("claim", None) or unique("Unemployment fell to 3% in 2025")
        ticket_id = str(self.api("editor").create_ticket(claim, **fields)["id"])
        if state == "submitted":
            return ticket_id
        self._collected(ticket_id)
        steps = ["triage", "researching", "in_review", "approved", "published"]
        for step in steps[1 : steps.index(state) + 1]:
            self._advance(ticket_id, step)
        return ticket_id

    def reference(self, ticket_id: str, pinned: bool = False) -> str:
        added = self.api("checker").post(
            f"/api/v1/tickets/{ticket_id}/references",
            json={"url": "https://stats.example/labour-force", "title": "Labour force survey"},
        )
        assert added.status_code == 201, added.get_json()
        reference_id = str(added.get_json()["id"])
        if pinned:
            path = f"/api/v1/tickets/{ticket_id}/references/{reference_id}"
            assert self.api("checker").patch(path, json={"pinned": True}).status_code == 200
        return reference_id

    def article(self) -> str:
        text = unique("The minister said unemployment fell to 3% in 2025. Critics disagreed.")
        created = self.api("checker").post("/api/v1/articles", json={"text": text})
        assert created.status_code == 201, created.get_json()
        return str(created.get_json()["id"])

    def slug(self, ticket_id: str) -> str:
        ticket = self.api("checker").get(f"/api/v1/tickets/{ticket_id}").get_json()
        return str(ticket["publication"]["url"].rsplit("/", 1)[1])

    def _collected(self, ticket_id: str) -> None:
        """What the collection job does to the ticket's state (its sources have nothing to add here)."""
        with self.app.app_context(), unit_of_work() as session:
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            workflow.perform(session, ticket, "start_collection", SYSTEM)
            workflow.perform(session, ticket, "finish_collection", SYSTEM, {"status": "done"})

    def _advance(self, ticket_id: str, state: str) -> None:
        checker, editor = self.api("checker"), self.api("editor")
        if state == "researching":
            answer = checker.act(ticket_id, "accept")
        elif state == "in_review":
            self.reference(ticket_id, pinned=True)
            answer = checker.act(ticket_id, "submit", {"rating": RATING, "summary": "Official data: 4.1%."})
        elif state == "approved":
            answer = editor.act(ticket_id, "approve")
        else:
            answer = editor.act(ticket_id, "publish")
        assert answer.status_code == 200, (state, answer.get_json())

    # --- what the database holds -----------------------------------------------------------------

    def fingerprint(self) -> str:
        """A digest of every row of every table: equal before and after means nothing changed."""
        digest = hashlib.sha256()
        with self.app.app_context(), unit_of_work() as session:
            for table in Base.metadata.sorted_tables:
                digest.update(table.name.encode())
                for row in sorted(repr(tuple(r)) for r in session.execute(select(*_stable(table)))):
                    digest.update(row.encode())
        return digest.hexdigest()


def _stable(table: Table) -> list[Any]:
    return [column for column in table.columns if (table.name, column.name) not in VOLATILE_COLUMNS]
