"""Multiprocess mode for real: two gunicorn workers and an RQ worker's work-horses write samples
to one ``PROMETHEUS_MULTIPROC_DIR``, one scrape adds them all up; every line they log is JSON
carrying its request id or job id."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck import queue
from factcheck.config import Settings
from tests.observability.samples import Samples
from tests.observability.services import Gunicorn, environment, json_lines, run_worker_burst
from tests.support import ApiClient, UserFactory, free_port
from tests.webhooks.receiver import Receiver, Reply

pytestmark = pytest.mark.slow

LATENCY = "factcheck_http_request_duration_seconds_count"
POSTS = {"route": "/api/v1/tickets", "method": "POST", "status": "2xx"}
LOG_KEYS = {"timestamp", "level", "logger", "message", "request_id", "job_id"}


@pytest.fixture()
def metrics_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    return directory


@pytest.fixture()
def web(settings: Settings, metrics_dir: Path, tmp_path: Path) -> Iterator[Gunicorn]:
    server = Gunicorn(environment(settings, metrics_dir), tmp_path / "gunicorn.log")
    try:
        yield server
    finally:
        server.stop()


def posts_per_file(metrics_dir: Path) -> dict[str, float]:
    """How many ticket POSTs each process's histogram file holds (files with none left out)."""
    counts = {
        path.name: Samples.of_file(path).value(LATENCY, **POSTS) for path in metrics_dir.glob("histogram_*")
    }
    return {name: count for name, count in counts.items() if count}


def post_while_another_connection_is_held(web: Gunicorn, token: str, label: str) -> None:
    """Two POSTs, the first held half-sent: a sync worker that took it is busy reading it, so the
    second is served by the other worker (unless the first was not yet accepted: then both are
    served by one worker, and the caller tries again)."""
    body = json.dumps({"claim": f"Held claim {label} about ferry timetables."}).encode()
    head = (
        f"POST /api/v1/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", web.port), timeout=30) as held:
        held.sendall(head)  # no blank line yet: the request is incomplete
        time.sleep(0.3)  # let a worker accept it (not an assertion: a miss only means another round)
        status, _headers, answer = web.request(
            "POST",
            "/api/v1/tickets",
            {"claim": f"Direct claim {label} about ferry timetables."},
            {"Authorization": f"Bearer {token}"},
        )
        assert status == 201, answer
        held.sendall(b"\r\n" + body)
        reply = b""
        while chunk := held.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 201"), reply[:200]


def test_requests_served_by_two_gunicorn_workers_add_up_in_one_scrape(
    web: Gunicorn, metrics_dir: Path, users: UserFactory
) -> None:
    token = users.token_for("editor")
    sent = 0
    for attempt in range(6):
        post_while_another_connection_is_held(web, token, str(attempt))
        sent += 2
        if len(posts_per_file(metrics_dir)) == 2:
            break

    served = posts_per_file(metrics_dir)
    assert len(served) == 2, served  # both workers served some
    assert sum(served.values()) == sent

    scraped = web.scrape()
    assert scraped.value(LATENCY, **POSTS) == sent
    assert scraped.value("factcheck_tickets", state="submitted") == sent
    assert scraped.value("factcheck_queue_jobs", queue="collect", status="queued") == sent


def test_work_horses_add_to_the_same_scrape_and_every_log_line_is_json_with_its_ids(
    web: Gunicorn, metrics_dir: Path, settings: Settings, users: UserFactory, app: Flask, client: FlaskClient
) -> None:
    admin = ApiClient(client, users.token_for("admin"))
    editor = {"Authorization": f"Bearer {users.token_for('editor')}"}
    with (
        Receiver() as accepting,
        Receiver(script=[Reply(410)]) as gone,
        Receiver(script=[Reply(500), Reply(500)]) as failing,
    ):
        for receiver in (accepting, gone, failing):
            answer = admin.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["ticket.created"]})
            assert answer.status_code == 201, answer.get_json()
            receiver.secret = answer.get_json()["secret"]
        ticket_ids = []
        for n in (1, 2):
            status, headers, body = web.request(
                "POST",
                "/api/v1/tickets",
                {"claim": f"Harbour fees rose {n}0% in 2025."},
                {**editor, "X-Request-ID": f"obs-{n}"},
            )
            assert status == 201, body
            assert headers["X-Request-ID"] == f"obs-{n}"
            ticket_ids.append(json.loads(body)["id"])

        with app.app_context():  # a job that fails: ``deliver`` without its attempt number
            queue.queue(queue.WEBHOOK_QUEUE).enqueue("factcheck.jobs.deliver.deliver", "no-such-delivery")
        worker_output = run_worker_burst(
            environment(
                settings,
                metrics_dir,
                webhook_retry_base=120,
                reference_sources="library,factchecks,wikipedia",
                wikipedia_api_url=f"http://127.0.0.1:{free_port()}/w/api.php",  # nothing listens: an error
            )
        )

    scraped = web.scrape()
    jobs = "factcheck_job_duration_seconds_count"
    assert scraped.value(jobs, job="collect_references", outcome="succeeded") == 2
    assert scraped.value(jobs, job="dispatch_outbox", outcome="succeeded") >= 1
    assert scraped.value(jobs, job="deliver", outcome="failed") == 1
    sources = "factcheck_reference_source_duration_seconds_count"
    for source in ("library", "factchecks"):
        assert (
            scraped.value(sources, source=source) == scraped.value(sources, source=source, status="ok") == 2
        )
        assert scraped.value("factcheck_reference_source_failures_total", source=source) == 0
    assert scraped.value(sources, source="wikipedia", status="error") == 2
    assert scraped.value("factcheck_reference_source_failures_total", source="wikipedia") == 2
    in_state = "factcheck_ticket_time_in_state_seconds_count"
    assert scraped.value(in_state, state="submitted") == scraped.value(in_state, state="collecting") == 2
    assert scraped.value("factcheck_tickets", state="triage") == 2
    assert scraped.value("factcheck_queue_jobs", queue="collect", status="queued") == 0
    deliveries = "factcheck_webhook_deliveries_total"
    assert scraped.value(deliveries, outcome="delivered") == 2
    assert scraped.value(deliveries, outcome="retried") == 2  # 500: the next attempt waits two minutes
    assert (
        scraped.value(deliveries, outcome="gone") == 1
    )  # 410: the subscription (and its other delivery) ends
    assert scraped.value(LATENCY, **POSTS) == 2

    # Every job ran in a work-horse of one worker: they all reused one file per metric type.
    horse_files = sorted(path.name.split("_")[0] for path in metrics_dir.glob("*-horse.db"))
    assert horse_files == ["counter", "histogram"], sorted(p.name for p in metrics_dir.iterdir())

    _assert_worker_lines_carry_job_ids(json_lines(worker_output), ticket_ids)
    _assert_gunicorn_lines_carry_request_ids(json_lines(web.stop()))


def _assert_worker_lines_carry_job_ids(lines: list[dict[str, object]], ticket_ids: list[str]) -> None:
    assert lines and all(line.keys() >= LOG_KEYS for line in lines)
    for ticket_id in ticket_ids:
        job_id = f"collect-{ticket_id}"
        naming = [line for line in lines if job_id in str(line["message"])]
        assert len(naming) >= 2, naming  # RQ's "dequeued" and "Job OK" lines at least
        assert all(line["job_id"] == job_id for line in naming), naming
    assert any(line["logger"] == "rq.worker" and line["job_id"] for line in lines)
    started = [line for line in lines if "started with PID" in str(line["message"])]
    assert started and started[0]["job_id"] is None  # outside a job


def _assert_gunicorn_lines_carry_request_ids(lines: list[dict[str, object]]) -> None:
    assert lines and all(line.keys() >= LOG_KEYS for line in lines)
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    for request_id in ("obs-1", "obs-2"):
        [line] = [line for line in access if line["request_id"] == request_id]
        assert "POST /api/v1/tickets" in str(line["message"])
    assert all(line["request_id"] for line in access)  # generated when the client sent none
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    assert not [line for line in lines if line["level"] in ("ERROR", "CRITICAL")]  # child_exit hook included
