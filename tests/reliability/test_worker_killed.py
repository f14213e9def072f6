"""50 tickets mid-collection when the worker and its work-horse are SIGKILLed.

A ``factcheck worker`` collects references for 50 queued tickets from a deliberately slow
local web server, so that a work-horse is always in the middle of a fetch. Then the worker's
process group and its work-horse are SIGKILLed with no warning: one ticket is left
``collecting`` under a job nobody runs, the rest wait in the queue. A new worker and
``factcheck sweeper`` must bring every ticket to triage with exactly one set of references.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from factcheck.config import Settings
from tests.references.conftest import add_library
from tests.references.servers import Handler, LocalServer
from tests.reliability.accounting import assert_collected_once, duplicates, ledger
from tests.reliability.processes import children, is_alive, start, stop
from tests.support import ApiClient, service_env, wait_for

pytestmark = pytest.mark.slow

TICKETS = 50
SOURCES = "library,web"
REFERENCES = 3
"""Two library passages and the ticket's own page."""


class SlowPages:
    """Pages answered after ``delay`` seconds; counts the requests being answered."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.in_flight = 0
        self._lock = threading.Lock()

    def __call__(self, handler: Handler) -> None:
        with self._lock:
            self.in_flight += 1
        try:
            started = time.monotonic()
            while time.monotonic() - started < self.delay:  # re-read: the test may hold a page longer
                time.sleep(0.02)
            number = handler.query.get("n", "0")
            text = (  # plain text: the page's cost is its wait, not HTML extraction
                f"Ice report {number}. Greenland lost {number} billion tonnes of ice in 2019, "
                f"according to report {number} of the polar survey."
            )
            handler.send_answer(200, text.encode(), "text/plain; charset=utf-8")
        finally:
            with self._lock:
                self.in_flight -= 1


@pytest.fixture()
def pages() -> Iterator[tuple[SlowPages, LocalServer]]:
    slow = SlowPages(delay=0.5)
    with LocalServer({"/page": slow}) as server:
        yield slow, server


def states(app: Flask) -> dict[str, str]:
    return {ticket_id: record.state for ticket_id, record in ledger(app).items()}


def test_fifty_tickets_survive_their_worker_and_work_horse_being_killed(
    api: ApiClient, app: Flask, settings: Settings, pages: tuple[SlowPages, LocalServer]
) -> None:
    slow, server = pages
    add_library(app)
    ids = [
        api.create_ticket(
            f"Greenland lost {n} billion tonnes of ice in 2019.", source_url=f"{server.base}/page?n={n}"
        )["id"]
        for n in range(TICKETS)
    ]
    env: dict[str, Any] = {
        "reference_sources": SOURCES,
        "outbound_allow_hosts": "127.0.0.1",
        "web_timeout": 10,
    }
    worker = start(["worker"], service_env(settings, **env))
    processes = [worker]
    try:
        wait_for(
            lambda: (
                list(states(app).values()).count("triage") >= 3 and slow.in_flight and children(worker.pid)
            ),
            60,
            message="a work-horse in the middle of a fetch",
        )
        slow.delay = 3600.0  # the page being fetched now is never answered before the kill
        horses = children(worker.pid)
        for pid in horses:
            os.kill(pid, signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        wait_for(lambda: not any(is_alive(pid) for pid in horses), 10, message="the work-horse to die")
        at_kill = states(app)
        slow.delay = 0.0

        # The replacement runs jobs in its own process (no fork each): it only has to be quick.
        healthy = service_env(settings, sweep_interval=1, worker_mode="in-process", **env)
        processes += [start(["worker"], healthy), start(["sweeper"], healthy)]
        wait_for(lambda: set(states(app).values()) == {"triage"}, 120, message="every ticket in triage")
    finally:
        for process in processes:
            stop(process)

    stuck = [ticket_id for ticket_id, state in at_kill.items() if state == "collecting"]
    assert len(stuck) == 1, f"the killed horse left its ticket collecting: {at_kill}"
    records = ledger(app)
    assert set(records) == set(ids)
    repeated = duplicates(records)
    assert_collected_once(records, references=REFERENCES)
    assert records[stuck[0]].collection_attempts == 2, "the killed run, then one that finished"
    done = list(at_kill.values()).count("triage")
    print(
        f"\nFIGURES worker_killed: tickets={TICKETS} done_before_kill={done} collecting_at_kill={len(stuck)} "
        f"queued_at_kill={TICKETS - done - len(stuck)} worker_children_killed={len(horses)} "
        f"references_each={REFERENCES} duplicates={repeated}"
    )
