"""Request ids: taken from a sane ``X-Request-ID`` or generated, echoed on every answer (problem+json
too), and stored on the audit events the request writes; jobs stamp their own id on theirs."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from factcheck import queue
from factcheck.db import unit_of_work
from factcheck.models import TicketEvent
from tests.support import ApiClient, run_jobs

GENERATED = re.compile(r"[0-9a-f]{32}")


def events_of(app: Flask, ticket_id: str) -> list[TicketEvent]:
    with app.app_context(), unit_of_work() as session:
        return list(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)))


def test_a_sane_request_id_is_echoed_and_stored_on_the_audit_event(app: Flask, api: ApiClient) -> None:
    response = api.post(
        "/api/v1/tickets",
        json={"claim": "Tram fares doubled in 2024."},
        headers={"X-Request-ID": "edge-7f3a.91"},
    )

    assert response.status_code == 201
    assert response.headers["X-Request-ID"] == "edge-7f3a.91"
    [created] = events_of(app, response.get_json()["id"])
    assert (created.action, created.request_id, created.job_id) == ("create", "edge-7f3a.91", None)


def test_without_a_request_id_each_answer_gets_a_new_one(client: FlaskClient) -> None:
    first, second = client.get("/healthz"), client.get("/healthz")

    assert GENERATED.fullmatch(first.headers["X-Request-ID"])
    assert GENERATED.fullmatch(second.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize(
    "evil",
    [
        "a" * 129,
        "abc\ndef",
        "abc\r\nSet-Cookie: session=stolen",
        '"quoted"',
        "it's",
        "two words",
        "semi;colon",
        "comma,separated",
        "<script>",
        "",
        "-starts-with-a-dash",
        "caf\u00e9",
    ],
)
def test_an_unfit_request_id_is_replaced_by_a_generated_one(app: Flask, api: ApiClient, evil: str) -> None:
    # Through the WSGI environ: the test client's own header checks would refuse some of these.
    response = api.post(
        "/api/v1/tickets",
        json={"claim": "Bus lanes cut commutes by half."},
        environ_base={"HTTP_X_REQUEST_ID": evil},
    )

    assert response.status_code == 201
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])
    [created] = events_of(app, response.get_json()["id"])
    assert created.request_id == response.headers["X-Request-ID"]


def test_the_longest_accepted_request_id_is_kept_whole(api: ApiClient) -> None:
    longest = "r" * 128

    response = api.get("/api/v1/tickets", headers={"X-Request-ID": longest})

    assert response.headers["X-Request-ID"] == longest


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/tickets", 401),  # no token
        ("GET", "/no/such/page", 404),
        ("DELETE", "/healthz", 400),  # refused by the CSRF check, another before_request hook
    ],
)
def test_problem_answers_carry_the_request_id(
    client: FlaskClient, method: str, path: str, status: int
) -> None:
    response = client.open(path, method=method, headers={"X-Request-ID": "probe-1"})

    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.headers["X-Request-ID"] == "probe-1"


def test_events_written_by_a_job_carry_its_job_id(app: Flask, api: ApiClient) -> None:
    ticket = api.create_ticket("Night buses run every ten minutes.")

    run_jobs(app)

    by_action = {event.action: event for event in events_of(app, ticket["id"])}
    assert by_action["create"].job_id is None
    for action in ("start_collection", "finish_collection"):
        assert by_action[action].job_id == f"collect-{ticket['id']}", action


def test_a_request_id_in_the_job_meta_is_stored_on_the_events_the_job_writes(
    app: Flask, api: ApiClient
) -> None:
    ticket = api.create_ticket("Cycle lanes doubled since 2020.")
    with app.app_context():
        job = queue.fetch_job(queue.collect_job_id(ticket["id"]))
        job.meta["request_id"] = "intake-42"  # what an enqueue inside a request puts there
        job.save_meta()

    run_jobs(app)

    by_action = {event.action: event for event in events_of(app, ticket["id"])}
    assert by_action["finish_collection"].request_id == "intake-42"
    assert by_action["finish_collection"].job_id == f"collect-{ticket['id']}"


def test_an_unfit_request_id_in_the_job_meta_is_ignored(app: Flask, api: ApiClient) -> None:
    ticket = api.create_ticket("Ferry tickets are free on Sundays.")
    with app.app_context():
        job = queue.fetch_job(queue.collect_job_id(ticket["id"]))
        job.meta["request_id"] = "bad\nid"
        job.save_meta()

    run_jobs(app)

    by_action = {event.action: event for event in events_of(app, ticket["id"])}
    assert by_action["finish_collection"].request_id is None
