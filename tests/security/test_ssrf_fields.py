"""The SSRF battery (``tests/references/test_ssrf.py``) against every field that takes a URL.

Every battery URL is sent through every URL field of the API (found in the OpenAPI document;
each must be classified below), then a real worker runs everything that was queued: the
collection of each ticket (the ``web`` source fetches ``source_url``) and the delivery of each
webhook. A canary listening on every loopback address must see zero connections, and each URL
is refused: by the API at once with a 4xx, or by the worker, which records why.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from factcheck.worker import warm_up
from tests.references import servers
from tests.references.test_ssrf import BATTERY
from tests.security.conftest import ModuleApps
from tests.security.desk import Newsdesk, unique
from tests.security.intended_access import TICKET, WEBHOOK
from tests.support import run_jobs, service_env
from tests.webhooks.helpers import Sender

FETCHED_NOW = "fetched while the request waits"
FETCHED_BY_WORKER = "fetched by the collection job (the ticket's source_url)"
DELIVERED_TO = "webhook deliveries are POSTed to it"
KEPT_AS_TEXT = "stored and shown as a link, never fetched by the service"
ARTICLE = "The minister said unemployment fell to 3% in 2025 and that wages rose by 40% since 2020."

URL_FIELDS: dict[tuple[str, str, str], str] = {
    ("POST", "/api/v1/tickets", "source_url"): FETCHED_BY_WORKER,
    ("POST", "/api/v1/articles", "url"): FETCHED_NOW,
    ("POST", "/api/v1/articles", "source_url"): FETCHED_BY_WORKER,  # becomes its tickets' source_url
    ("POST", "/hooks/v1/{integration}", "data.source_url"): FETCHED_BY_WORKER,
    ("POST", "/api/v1/webhooks", "url"): DELIVERED_TO,
    ("PATCH", WEBHOOK, "url"): DELIVERED_TO,
    ("POST", TICKET + "/references", "url"): KEPT_AS_TEXT,
    ("POST", "/api/v1/library/documents", "url"): KEPT_AS_TEXT,
    ("POST", "/api/v1/library/documents:batch", "documents.url"): KEPT_AS_TEXT,
}
CLOSED: dict[str, Any] = {
    "outbound_allow_hosts": "",  # no allow-list: only public addresses, as in a default installation
    "reference_sources": "web",  # the source that fetches, alone
    "web_timeout": 2.0,
    "web_max_urls": 1,
    "webhook_timeout": 1.0,
}
ROOT = Path(__file__).resolve().parents[2]
REFUSALS = ("resolves to", "only http and https", "cannot resolve", "not a valid URL", "Unix sockets")
"""How the SSRF-safe client words a refused destination."""


@dataclass
class Sent:
    """What one battery URL sent through one field came to."""

    url: str
    status: int
    problem: dict[str, Any] | None = None
    tickets: list[str] = field(default_factory=list)
    subscription: str | None = None


@pytest.fixture(scope="module")
def canary() -> Iterator[servers.Canary]:
    with servers.Canary() as listener:
        yield listener


@pytest.fixture(scope="module")
def desk(module_apps: ModuleApps) -> Newsdesk:
    return Newsdesk(module_apps(**CLOSED))


def url_fields(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    """``(method, path, field)`` of every request-body field that takes a URL (nested as ``a.b``)."""

    def resolved(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return resolved(schema["items"]) if "items" in schema else schema

    def walk(schema: dict[str, Any], prefix: str) -> Iterator[str]:
        for name, spec in resolved(schema).get("properties", {}).items():
            inner = resolved(spec)
            if inner.get("format") in ("url", "uri") or "url" in name.lower():
                yield prefix + name
            if "properties" in inner:
                yield from walk(inner, f"{prefix}{name}.")

    found = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = (
                operation.get("requestBody", {}).get("content", {}) if isinstance(operation, dict) else {}
            )
            if "application/json" in content:
                found |= {
                    (method.upper(), path, name) for name in walk(content["application/json"]["schema"], "")
                }
    return found


def test_every_url_field_of_the_openapi_document_is_classified(desk: Newsdesk) -> None:
    document = desk.client.get("/api/v1/openapi.json").get_json()

    assert url_fields(document) - set(URL_FIELDS) == set()


def _send(desk: Newsdesk, key: tuple[str, str, str], url: str, n: int, ticket: str) -> Sent:
    _method, path, name = key
    admin = desk.api("admin")
    if name == "data.source_url":
        sender = Sender(desk.client, desk.integration, desk.integration_secret)
        response = sender.send(
            {"type": "claim.submitted", "data": {"claim": unique(ARTICLE), "source_url": url}}
        )
    elif path == WEBHOOK:
        target = _public_subscription(desk)
        response = admin.patch(path.format(subscription_id=target), json={"url": url})
        if response.status_code >= 400:  # it keeps its public URL: no delivery should go there
            assert admin.patch(path.format(subscription_id=target), json={"active": False}).status_code == 200
    else:
        body: dict[str, Any] = {
            "/api/v1/tickets": {"claim": unique(ARTICLE), "source_url": url},
            "/api/v1/articles": {"text": unique(ARTICLE), "source_url": url}
            if name == "source_url"
            else {"url": url},
            "/api/v1/webhooks": {"url": url, "events": ["ticket.created"]},
            TICKET + "/references": {"url": url},
            "/api/v1/library/documents": {"title": f"Document {n}", "text": "Some text.", "url": url},
            "/api/v1/library/documents:batch": {
                "documents": [{"title": f"Batch {n}", "text": "Some text.", "url": url}]
            },
        }[path]
        response = admin.post(path.format(ticket_id=ticket), json=body)
    answer = response.get_json() or {}
    sent = Sent(url, response.status_code, answer if response.status_code >= 400 else None)
    if response.status_code < 400:
        if "tickets" in answer:
            sent.tickets = [t["id"] for t in answer["tickets"]]
        elif "claims" in answer:
            sent.tickets = [c["ticket_id"] for c in answer["claims"] if c.get("ticket_id")]
        elif path == "/api/v1/tickets":
            sent.tickets = [answer["id"]]
        elif path.startswith("/api/v1/webhooks"):
            sent.subscription = answer["id"]
    return sent


def _public_subscription(desk: Newsdesk) -> str:
    created = desk.api("admin").post(
        "/api/v1/webhooks", json={"url": "https://hooks.example/in", "events": ["ticket.created"]}
    )
    assert created.status_code == 201, created.get_json()
    return str(created.get_json()["id"])


@pytest.fixture(scope="module")
def outcomes(desk: Newsdesk, canary: servers.Canary) -> dict[tuple[str, str, str], list[Sent]]:
    """Every battery URL through every field, then a worker runs all that was queued."""
    urls = [template.format(port=canary.port) for template in BATTERY]
    ticket = desk.ticket("triage")
    sent = {key: [_send(desk, key, url, n, ticket) for n, url in enumerate(urls)] for key in URL_FIELDS}
    desk.ticket("submitted")  # one more ticket.created for every subscription that was accepted
    settings = desk.app.extensions["factcheck.settings"]
    second = subprocess.Popen(  # two workers share the queues: the battery queues some fifty jobs
        [sys.executable, "-m", "factcheck", "worker", "--burst"],
        cwd=ROOT,
        env=service_env(settings, **CLOSED),
    )
    try:
        warm_up(desk.app)  # as `factcheck worker` does: work-horses inherit the imports
        run_jobs(desk.app)
        assert second.wait(timeout=120) == 0
    finally:
        second.kill()
        second.wait()
    return sent


def _refused(text: str | None) -> bool:
    return bool(text) and any(reason in str(text) for reason in REFUSALS)


@pytest.mark.parametrize("key", list(URL_FIELDS), ids=[" ".join(key) for key in URL_FIELDS])
def test_every_battery_url_is_refused_and_the_canary_hears_nothing(
    desk: Newsdesk,
    outcomes: dict[tuple[str, str, str], list[Sent]],
    canary: servers.Canary,
    key: tuple[str, str, str],
) -> None:
    use = URL_FIELDS[key]
    for sent in outcomes[key]:
        if sent.status >= 400:
            assert 400 <= sent.status < 500, (sent.url, sent.status, sent.problem)
            assert sent.problem and sent.problem["status"] == sent.status
            continue
        assert use != FETCHED_NOW, f"{sent.url} was fetched"
        if use == FETCHED_BY_WORKER:
            assert sent.tickets, sent.url
            for ticket in sent.tickets:
                web = (
                    desk.api("checker")
                    .get(f"/api/v1/tickets/{ticket}")
                    .get_json()["collection"]["sources"]["web"]
                )
                assert web["status"] == "error" and _refused(web.get("error")), (sent.url, web)
        elif use == DELIVERED_TO:
            assert sent.subscription, sent.url
            assert _refused(_last_delivery_error(desk, sent.subscription)), sent.url
    assert canary.connections == 0


def _last_delivery_error(desk: Newsdesk, subscription: str) -> str | None:
    admin = desk.api("admin")
    deliveries = admin.get(f"/api/v1/webhooks/{subscription}/deliveries").get_json()["items"]
    assert deliveries, "the event was fanned out to the subscription"
    detail = admin.get(f"/api/v1/webhooks/{subscription}/deliveries/{deliveries[0]['id']}").get_json()
    return str(json.dumps(detail))
