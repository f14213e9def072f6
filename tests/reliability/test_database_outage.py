"""PostgreSQL unreachable for 20 s while clients write tickets over HTTP.

The link to PostgreSQL goes through a TCP proxy that is cut (open connections reset, new ones
refused) and restored, as when the server is restarted or the network drops. During the
outage the API answers 503 problem+json with ``Retry-After``, never 500; once the link is back
the same running app serves writes again; and nothing is half-written: every ticket a client
got a 2xx for is complete, no other ticket exists, none was duplicated by a client's retry.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest
from flask import Flask

from factcheck.config import Settings
from factcheck.jobs.sweep import sweep
from tests.reliability.accounting import assert_collected_once, duplicates, idempotency_keys, ledger
from tests.reliability.faults import LiveServer, TcpProxy
from tests.support import UserFactory, run_jobs, wait_for

pytestmark = pytest.mark.slow

OUTAGE_SECONDS = 20.0
WRITERS = 2


@pytest.fixture()
def settings(settings: Settings, postgres_link: TcpProxy) -> Settings:
    return replace(
        settings, database_url=postgres_link.url_for(settings.sqlalchemy_url), worker_mode="in-process"
    )


@dataclass
class Answer:
    path: str
    sent: float
    at: float
    status: int
    content_type: str
    retry_after: str | None
    body: Any
    replayed: bool


@dataclass
class Writer:
    """Posts one new claim after another; a claim answered 503 is retried with the same Idempotency-Key."""

    base: str
    token: str
    number: int
    stop: threading.Event
    answers: list[Answer] = field(default_factory=list)
    accepted: dict[str, str] = field(default_factory=dict)
    """Idempotency-Key → ticket id, for every claim answered 2xx."""
    busy: bool = False
    """A post is on its way: the moment to cut the link."""

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=30) as http:
            sequence = 0
            while not self.stop.is_set():
                key = f"writer{self.number}-{sequence}"
                claim = f"Reservoir {self.number} held {sequence} million litres on day {sequence + 7}."
                body = {"claim": claim, "tags": ["outage", key]}
                while True:
                    sent, self.busy = time.monotonic(), True
                    response = http.post("/api/v1/tickets", json=body, headers={"Idempotency-Key": key})
                    answer, self.busy = _answer(response, sent), False
                    self.answers.append(answer)
                    if answer.status in (200, 201):
                        self.accepted[key] = answer.body["id"]
                        time.sleep(0.1)  # a steady trickle, not a flood: fewer tickets to collect
                        break
                    if answer.status != 503:
                        return  # anything else fails the test below
                    time.sleep(0.2)
                sequence += 1

    def successes_after(self, moment: float) -> int:
        return sum(1 for answer in self.answers if answer.status in (200, 201) and answer.at > moment)


def _answer(response: httpx.Response, sent: float) -> Answer:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return Answer(
        path=response.request.url.path,
        sent=sent,
        at=time.monotonic(),
        status=response.status_code,
        content_type=response.headers.get("Content-Type", ""),
        retry_after=response.headers.get("Retry-After"),
        body=body,
        replayed=response.headers.get("Idempotent-Replayed") == "true",
    )


@pytest.fixture()
def live(app: Flask) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


def test_postgresql_down_for_20_seconds_answers_503_and_recovers_with_nothing_half_written(
    app: Flask, users: UserFactory, live: LiveServer, postgres_link: TcpProxy
) -> None:
    token = users.token_for("checker")
    stop = threading.Event()
    writers = [Writer(live.base, token, number, stop) for number in range(WRITERS)]
    threads = [threading.Thread(target=writer.run) for writer in writers]
    for thread in threads:
        thread.start()
    reads: list[Answer] = []
    try:
        wait_for(
            lambda: sum(w.successes_after(0) for w in writers) >= 6 and any(w.busy for w in writers),
            30,
            interval=0.002,
            message="writes before, one of them on its way",
        )
        cut_at = time.monotonic()
        reset = postgres_link.cut()
        with httpx.Client(base_url=live.base, headers={"Authorization": f"Bearer {token}"}) as http:
            while time.monotonic() - cut_at < OUTAGE_SECONDS:
                for path in ("/readyz", "/api/v1/tickets"):
                    reads.append(_answer(http.get(path), time.monotonic()))
                time.sleep(0.5)
        postgres_link.restore()
        restored_at = time.monotonic()
        wait_for(
            lambda: all(w.successes_after(restored_at) >= 3 for w in writers), 30, message="writes after"
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    answers = [answer for writer in writers for answer in writer.answers]
    during = [a for a in answers + reads if cut_at < a.sent and a.at < restored_at]
    refused = [a for a in answers + reads if a.status == 503]
    assert {a.status for a in answers + reads} <= {200, 201, 503}, [
        a for a in answers + reads if a.status >= 300
    ]
    assert reset > 0, "the cut reset the app's pooled connections"
    assert len(during) > 20 and all(a.status == 503 for a in during), [a for a in during if a.status != 503]
    for answer in refused:
        assert answer.content_type == "application/problem+json", answer
        assert answer.body["status"] == 503 and answer.body["down"] == ["database"], answer
        if answer.path != "/readyz":
            assert answer.retry_after and int(answer.retry_after) > 0, answer

    accepted = {key: ticket_id for writer in writers for key, ticket_id in writer.accepted.items()}
    records = ledger(app)
    assert set(records) == set(accepted.values()), "exactly the tickets clients were told about exist"
    assert idempotency_keys(app) == accepted
    for key, ticket_id in accepted.items():
        record = records[ticket_id]
        assert record.demand == 1 and record.state == "submitted", (key, record)
        assert record.actions == {"create": 1} and record.outbox == {"ticket.created": 1}, (key, record)
        assert record.tags == sorted(["outage", key]), (key, record)

    repeated = duplicates(records)
    with app.app_context():
        sweep()  # enqueues collection for a ticket whose answer (and enqueue) the outage swallowed
    run_jobs(app)
    assert_collected_once(ledger(app), references=0)
    in_flight = sum(a.sent < cut_at < a.at for a in answers)
    back = min(a.at for a in answers if a.sent > restored_at and a.status in (200, 201)) - restored_at
    print(  # the figures for docs/reliability.md
        f"\nFIGURES database_outage: tickets={len(accepted)} requests={len(answers) + len(reads)} "
        f"http503={len(refused)} http5xx_other=0 writes_in_flight_at_cut={in_flight} reset_links={reset} "
        f"links_opened={postgres_link.links} "
        f"replayed={sum(a.replayed for a in answers)} outage_s={restored_at - cut_at:.1f} "
        f"first_write_after_s={back:.2f} duplicates={repeated}"
    )
