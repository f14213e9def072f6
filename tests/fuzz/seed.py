"""A small newsroom for the fuzzer to work in: real tickets in several states, references,
a publication, an article, an integration, a webhook subscription with delivered events.

Path parameters drawn at random almost always name nothing (404); the fuzzer swaps in these
real ids often enough to reach the code behind the lookups.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select

from factcheck import db
from factcheck.models import EVENT_TYPES, WebhookDelivery
from factcheck.workflow import ACTIONS
from tests.support import ApiClient, UserFactory, run_jobs
from tests.webhooks.receiver import Receiver

ARTICLE = (
    "The minister said on Tuesday that unemployment fell to 3% in 2025, the lowest rate in "
    "twenty years. She added that 40,000 new jobs were created in the north last year. "
    "Critics said the figures left out part-time work."
)


@dataclass
class Known:
    """Real values for each path parameter name of the OpenAPI document."""

    values: dict[str, list[str]] = field(default_factory=dict)
    hook_secrets: dict[str, str] = field(default_factory=dict)
    """Integration name → its ``whsec_`` secret, to sign fuzzed bodies sent to ``/hooks/v1/{name}``."""

    def add(self, name: str, value: Any) -> None:
        self.values.setdefault(name, []).append(str(value))


def seed_newsroom(app: Flask, admin: ApiClient, users: UserFactory, receiver: Receiver) -> Known:
    known = Known()
    known.values["action"] = list(ACTIONS)
    subscription = _created(admin.post("/api/v1/webhooks", json={"url": receiver.url, "events": EVENT_TYPES}))
    receiver.secret = subscription["secret"]
    known.add("subscription_id", subscription["id"])
    integration = _created(admin.post("/api/v1/integrations", json={"name": "fuzz-desk"}))
    known.add("integration", integration["name"])
    known.hook_secrets[integration["name"]] = integration["secret"]
    known.add("article_id", _created(admin.post("/api/v1/articles", json={"text": ARTICLE}))["id"])

    published, triage = _ticket(admin, "Unemployment fell to 3% in 2025."), _ticket(admin, "Ice melts.")
    run_jobs(app)
    checker = admin.as_(users.token_for("checker"))
    reviewer = admin.as_(users.token_for("editor"))
    _ok(checker.act(published, "accept"))
    reference = _created(
        checker.post(
            f"/api/v1/tickets/{published}/references",
            json={"url": "https://stats.example/q4", "title": "Labour survey", "stance": "refutes"},
        )
    )
    _ok(checker.patch(f"/api/v1/tickets/{published}/references/{reference['id']}", json={"pinned": True}))
    _ok(checker.act(published, "submit", {"rating": "false", "summary": "Official data show 4.1%."}))
    _ok(reviewer.act(published, "approve"))
    publication = _ok(admin.act(published, "publish"))["publication"]
    known.add("slug", urlsplit(publication["url"]).path.rsplit("/", 1)[-1])
    known.add("reference_id", reference["id"])
    for ticket_id in (published, triage, _ticket(admin, "A new claim stays submitted.")):
        known.add("ticket_id", ticket_id)
    _deliver(app, known)
    return known


def _ticket(api: ApiClient, claim: str) -> str:
    return str(_created(api.post("/api/v1/tickets", json={"claim": claim}))["id"])


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def _deliver(app: Flask, known: Known, timeout: float = 30.0) -> None:
    """Run the queued jobs until the subscription's deliveries exist, and remember their ids."""
    deadline = time.monotonic() + timeout
    while True:
        run_jobs(app)
        with app.app_context():
            ids = list(db.session().scalars(select(WebhookDelivery.id).order_by(WebhookDelivery.id)))
        if ids or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert ids, "no webhook delivery was created for the seeded events"
    for delivery_id in ids[:5]:
        known.add("delivery_id", delivery_id)
