"""Fetch limits against a real hostile server (``hostile.py``): an endless body (1 GiB offered),
a body trickling at one byte a second, a gzip bomb, a redirect loop and a text page with NUL
bytes, through each place the service fetches a URL someone typed: a ticket's page (the
collection job), an article URL (while the request waits) and a webhook receiver (the delivery
job).

Each fetch is aborted for the right reason within the bounds in the settings (bytes read and
redirects counted; durations are reported by the service, never asserted here), and other jobs
keep flowing meanwhile: a normal collection finishes, on a second worker, while the first worker
is still being trickled at. The NUL page is kept (without its NULs) instead of failing the job.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from factcheck.config import Settings
from factcheck.references.fetch import MAX_REDIRECTS
from factcheck.references.safe_http import SafeClient
from factcheck.webhooks.attempts import EXCERPT_CHARS
from factcheck.worker import warm_up
from tests.security.conftest import ModuleApps
from tests.security.desk import Newsdesk, unique
from tests.security.hostile import GIB, HostileServer
from tests.support import run_jobs, service_env, wait_for

ROOT = Path(__file__).resolve().parents[2]
ROUTES = ("endless", "trickle", "bomb", "loop")
SOCKET_BUFFERS = 16 << 20
"""What the server can hand to the kernel's socket buffers (both ends, loopback autotuning)
after the client has stopped reading: the slack between bytes sent and bytes read."""
ARTICLE_MAX_REDIRECTS = SafeClient.__init__.__kwdefaults__["max_redirects"]
"""Article URLs are fetched with the client's default redirect limit."""
LIMITS: dict[str, Any] = {
    "reference_sources": "library,factchecks,web",
    "outbound_allow_hosts": "127.0.0.1",
    "web_timeout": 7.0,  # how long the first worker is trickled at: the normal collection has that long
    "web_max_bytes": 1_000_000,
    "web_max_urls": 2,  # the source's own deadline (timeout times URLs, plus 1) stays clear of the fetch's
    "article_fetch_timeout": 2.0,
    "article_fetch_max_bytes": 1_000_000,
    "webhook_timeout": 1.0,
}


@pytest.fixture(scope="module")
def desk(module_apps: ModuleApps) -> Newsdesk:
    return Newsdesk(module_apps(**LIMITS))


@pytest.fixture(scope="module")
def settings(desk: Newsdesk) -> Settings:
    value: Settings = desk.app.extensions["factcheck.settings"]
    return value


@pytest.fixture()
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


def web_source(desk: Newsdesk, ticket: str) -> dict[str, Any]:
    body = desk.api("checker").get(f"/api/v1/tickets/{ticket}").get_json()
    web: dict[str, Any] = body["collection"]["sources"]["web"]
    return web


def test_hostile_pages_are_aborted_within_bounds_while_other_collections_complete(
    desk: Newsdesk, settings: Settings, hostile: HostileServer
) -> None:
    tickets = {
        route: desk.api("editor").create_ticket(unique(f"Page {route}"), source_url=hostile.url(route))["id"]
        for route in ("endless", "bomb", "loop", "nul", "trickle")  # the queue's order: the trickle last
    }
    env = service_env(settings, **{name: value for name, value in LIMITS.items() if name != "web_max_urls"})
    env["FACTCHECK_WEB_MAX_URLS"] = str(LIMITS["web_max_urls"])
    worker = subprocess.Popen(
        [sys.executable, "-m", "factcheck", "worker", "--burst", "--queue", "collect"], cwd=ROOT, env=env
    )
    try:
        wait_for(hostile.trickle_started.is_set, timeout=60, message="the first worker to reach the trickle")
        normal = desk.api("editor").create_ticket(unique("Unemployment fell to 3% in 2025"))["id"]
        warm_up(desk.app)
        run_jobs(desk.app)  # a second worker, while the first is held by the trickle

        assert hostile.trickling == 1, "the trickle was still being served when the normal collection ended"
        finished = desk.api("checker").get(f"/api/v1/tickets/{normal}").get_json()
        assert finished["state"] == "triage" and finished["collection"]["status"] == "done"
        assert worker.wait(timeout=60) == 0
    finally:
        worker.kill()
        worker.wait()

    outcomes = {route: web_source(desk, ticket) for route, ticket in tickets.items()}
    refused = {route: outcome["status"] for route, outcome in outcomes.items() if route != "nul"}
    assert refused == dict.fromkeys(refused, "error")
    assert outcomes["nul"] == {"status": "ok", "count": 1}, "kept, without the NULs"
    limit = settings.web_max_bytes
    assert f"ResponseTooLarge: the response is larger than {limit} bytes" in outcomes["endless"]["error"]
    assert hostile.bytes_sent["endless"] <= limit + SOCKET_BUFFERS < GIB
    assert f"ResponseTooLarge: the response is larger than {limit} bytes" in outcomes["bomb"]["error"]
    assert "TooManyRedirects" in outcomes["loop"]["error"]
    assert hostile.requests["loop"] == MAX_REDIRECTS + 1
    assert "ReadTimeout: the response took longer than the total timeout" in outcomes["trickle"]["error"]
    assert hostile.bytes_sent["trickle"] <= settings.web_timeout + 2  # one byte a second


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        ("endless", "too large"),
        ("trickle", "ReadTimeout: the response took longer than the total timeout"),
        ("bomb", "too large"),
        ("loop", "TooManyRedirects"),
        ("nul", None),
    ],
)
def test_a_hostile_article_url_is_refused_within_bounds(
    desk: Newsdesk, settings: Settings, hostile: HostileServer, route: str, reason: str | None
) -> None:
    before = desk.fingerprint()

    response = desk.api("checker").post("/api/v1/articles", json={"url": hostile.url(route)})

    if reason is None:  # readable text once the NULs are dropped
        assert response.status_code == 201, response.get_json()
        assert "\\u0000" not in response.get_data(as_text=True)
        return
    assert response.status_code == 502, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert reason in response.get_json()["detail"]
    assert desk.fingerprint() == before
    bounds = {
        "endless": hostile.bytes_sent["endless"] <= settings.article_fetch_max_bytes + SOCKET_BUFFERS,
        "trickle": hostile.bytes_sent["trickle"] <= settings.article_fetch_timeout + 2,
        "bomb": hostile.requests["bomb"] == 1,
        "loop": hostile.requests["loop"] == ARTICLE_MAX_REDIRECTS + 1,
    }
    assert bounds[route]


def test_hostile_webhook_receivers_are_cut_off_within_bounds(
    desk: Newsdesk, settings: Settings, hostile: HostileServer
) -> None:
    admin = desk.api("admin")
    subscriptions = {}
    for route in ROUTES:
        created = admin.post(
            "/api/v1/webhooks", json={"url": hostile.url(route), "events": ["ticket.created"]}
        )
        assert created.status_code == 201, created.get_json()
        subscriptions[route] = created.get_json()["id"]
    desk.ticket("submitted")  # its ticket.created goes to every receiver

    run_jobs(desk.app)

    attempts = {route: _first_attempt(desk, subscription) for route, subscription in subscriptions.items()}
    assert attempts["trickle"]["error"] == "timeout (ReadTimeout)"
    assert hostile.bytes_sent["trickle"] <= settings.webhook_timeout + 2
    for route in ("endless", "bomb"):  # answered 200: only an excerpt of the answer is read and kept
        assert attempts[route]["status_code"] == 200 and attempts[route]["outcome"] == "delivered"
        assert len(attempts[route]["response_excerpt"]) <= EXCERPT_CHARS
    assert hostile.bytes_sent["endless"] <= 4 * EXCERPT_CHARS + SOCKET_BUFFERS
    assert attempts["loop"]["status_code"] == 302, "redirects are never followed for deliveries"
    assert hostile.requests["loop"] == 1


def _first_attempt(desk: Newsdesk, subscription: str) -> dict[str, Any]:
    admin = desk.api("admin")
    deliveries = admin.get(f"/api/v1/webhooks/{subscription}/deliveries").get_json()["items"]
    assert len(deliveries) == 1
    detail = admin.get(f"/api/v1/webhooks/{subscription}/deliveries/{deliveries[0]['id']}").get_json()
    first: dict[str, Any] = detail["attempt_log"][0]
    return first
