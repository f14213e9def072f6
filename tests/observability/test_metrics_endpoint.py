"""``/metrics`` in one process (no ``PROMETHEUS_MULTIPROC_DIR``): scraped after real traffic, parsed
as Prometheus parses it; and who may read it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck import create_app
from factcheck.config import Settings
from tests.observability.samples import Samples, scrape
from tests.support import ApiClient, run_jobs

LATENCY = "factcheck_http_request_duration_seconds_count"
ONE_TICKET = "/api/v1/tickets/<string:ticket_id>"


def test_http_latency_is_labelled_by_route_method_and_status_class(
    client: FlaskClient, api: ApiClient
) -> None:
    before = scrape(client)
    tickets = [api.create_ticket(f"Claim number {n} about rents.") for n in range(2)]
    for ticket in tickets:
        assert api.get(f"/api/v1/tickets/{ticket['id']}").status_code == 200
    assert api.get("/api/v1/tickets/no-such-ticket").status_code == 404
    assert client.get("/no/such/page").status_code == 404

    after = scrape(client)

    def delta(**labels: str) -> float:
        return after.value(LATENCY, **labels) - before.value(LATENCY, **labels)

    assert delta(route="/api/v1/tickets", method="POST", status="2xx") == 2
    assert delta(route=ONE_TICKET, method="GET", status="2xx") == 2
    assert delta(route=ONE_TICKET, method="GET", status="4xx") == 1
    assert delta(route="unmatched", method="GET", status="4xx") == 1
    routes = after.label_values(LATENCY, "route")
    assert not any(
        ticket["id"] in route for ticket in tickets for route in routes
    )  # bounded: rules, not paths


def test_unknown_methods_share_one_label(client: FlaskClient) -> None:
    before = scrape(client)

    assert client.open("/healthz", method="BREW").status_code == 405  # no rule matched the method

    after = scrape(client)
    unknown = {"route": "unmatched", "method": "other", "status": "4xx"}
    assert after.value(LATENCY, **unknown) - before.value(LATENCY, **unknown) == 1
    assert "BREW" not in after.label_values(LATENCY, "method")


def test_tickets_by_state_and_queue_depths_are_read_at_scrape_time(
    app: Flask, client: FlaskClient, api: ApiClient
) -> None:
    for n in range(3):
        api.create_ticket(f"Parking fines rose {n + 10}% last year.")

    queued = scrape(client)

    assert queued.value("factcheck_tickets", state="submitted") == 3
    assert queued.value("factcheck_tickets", state="triage") == 0
    assert queued.value("factcheck_queue_jobs", queue="collect", status="queued") == 3
    assert queued.value("factcheck_metrics_database_up") == 1
    assert queued.value("factcheck_metrics_redis_up") == 1

    run_jobs(app)
    collected = scrape(client)

    assert collected.value("factcheck_tickets", state="submitted") == 0
    assert collected.value("factcheck_tickets", state="triage") == 3
    assert collected.value("factcheck_queue_jobs", queue="collect", status="queued") == 0
    assert collected.label_values("factcheck_tickets", "state") >= {"submitted", "published", "retracted"}


def test_time_in_state_is_observed_when_a_committed_action_leaves_the_state(
    app: Flask, client: FlaskClient, api: ApiClient
) -> None:
    ticket = api.create_ticket("The harbour bridge is the longest in Europe.")
    run_jobs(app)  # to triage (in a work-horse: its samples stay there without a multiprocess dir)
    count = "factcheck_ticket_time_in_state_seconds_count"
    before = scrape(client)

    assert api.act(ticket["id"], "accept").status_code == 200
    assert api.act(ticket["id"], "accept").status_code == 409  # no longer in triage: nothing to observe
    assert api.act(ticket["id"], "submit", {"rating": "false"}).status_code == 422  # refused: no state left

    after = scrape(client)
    assert after.value(count, state="triage") - before.value(count, state="triage") == 1
    assert after.value(count, state="researching") == before.value(count, state="researching")
    waited = after.value("factcheck_ticket_time_in_state_seconds_sum", state="triage") - before.value(
        "factcheck_ticket_time_in_state_seconds_sum", state="triage"
    )
    assert waited >= 0


def test_scraping_without_redis_still_answers_and_says_so(settings: Settings, migrated: str) -> None:
    broken = create_app(replace(settings, redis_url="redis://127.0.0.1:1/0"))

    samples = scrape(broken.test_client())

    assert samples.value("factcheck_metrics_redis_up") == 0
    assert samples.value("factcheck_metrics_database_up") == 1
    assert not [s for s in samples.samples if s.name == "factcheck_queue_jobs"]
    broken.extensions["factcheck.engine"].dispose()


@pytest.mark.parametrize(
    ("address", "status"),
    [
        ("127.0.0.1", 200),
        ("::1", 200),
        ("10.20.30.40", 200),
        ("172.18.0.5", 200),  # a container network
        ("192.168.1.9", 200),
        ("::ffff:192.168.1.9", 200),
        ("fd12:3456::7", 200),
        ("8.8.8.8", 403),
        ("172.32.0.1", 403),  # just past 172.16.0.0/12
        ("100.64.0.1", 403),  # carrier-grade NAT: shared, not ours
        ("2606:4700::1111", 403),
        ("::ffff:8.8.8.8", 403),
        ("", 403),
        ("not-an-address", 403),
    ],
)
def test_without_a_token_only_internal_addresses_may_scrape(
    client: FlaskClient, address: str, status: int
) -> None:
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})

    assert response.status_code == status
    if status != 200:
        assert response.mimetype == "application/problem+json"


@pytest.fixture()
def guarded(settings: Settings) -> FlaskClient:
    return create_app(replace(settings, metrics_token="s3cret-scrape-token")).test_client()


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        ("Bearer s3cret-scrape-token", 200),
        (None, 401),
        ("Bearer wrong", 401),
        ("Bearer s3cret-scrape-token-and-more", 401),
        ("s3cret-scrape-token", 401),
        ("Bearer s3cret-scrape-tok\u00e9n", 401),
    ],
)
def test_with_a_token_it_is_required_from_every_address(
    guarded: FlaskClient, authorization: str | None, status: int
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}

    from_loopback = guarded.get("/metrics", headers=headers)
    from_outside = guarded.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": "8.8.4.4"})

    assert from_loopback.status_code == from_outside.status_code == status
    if status == 401:
        assert from_loopback.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_exposition_parses_and_has_every_family(client: FlaskClient) -> None:
    samples = scrape(client)
    names = {sample.name for sample in samples.samples}

    for family in (
        "factcheck_http_request_duration_seconds_bucket",
        "factcheck_tickets",
        "factcheck_queue_jobs",
    ):
        assert family in names
    assert isinstance(samples, Samples)
