"""Redis emptied (FLUSHALL), then killed and restarted empty, while clients post tickets.

The whole service runs as ``factcheck up`` does it on a laptop (gunicorn, one worker and the
sweeper, supervised), on a redis-server of the test's own. A client posts tickets over HTTP
throughout; mid-burst Redis is flushed, then SIGKILLed and, ten posts later, started again
with nothing in it. The database is the source of truth, so every post is accepted (201) even
while Redis is down; the worker, if Redis vanished under a running job, exits and is restarted
by the supervisor (as by compose's ``restart: unless-stopped``); and the sweeper re-enqueues what
Redis lost. Every accepted ticket reaches triage through exactly one collection run.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import pytest
from flask import Flask

from factcheck.config import Settings
from tests.reliability.accounting import assert_collected_once, duplicates, ledger
from tests.reliability.faults import RedisServer
from tests.reliability.processes import start, stop
from tests.support import UserFactory, free_port, service_env, wait_for

pytestmark = pytest.mark.slow

TICKETS = 40


@pytest.fixture()
def settings(settings: Settings, own_redis: RedisServer) -> Settings:
    return replace(settings, redis_url=own_redis.url)


@dataclass
class Poster:
    """Posts ``TICKETS`` new claims one after another and keeps every answer."""

    base: str
    token: str
    answers: list[tuple[int, str, object]] = field(default_factory=list)
    """(status, content type, body) per post; status 0 when no answer came."""

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=30) as http:
            for number in range(TICKETS):
                claim = f"Wind farm {number} produced {number + 40} gigawatt hours in 2024."
                try:
                    response = http.post("/api/v1/tickets", json={"claim": claim})
                except httpx.HTTPError as exc:
                    self.answers.append((0, "", repr(exc)))
                    continue
                kind = response.headers.get("Content-Type", "")
                body = response.json() if "json" in kind else response.text
                self.answers.append((response.status_code, kind, body))
                time.sleep(0.05)

    def accepted(self) -> set[str]:
        return {
            str(body["id"])
            for status, _type, body in self.answers
            if status == 201 and isinstance(body, dict)
        }


def ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def test_redis_flushed_then_restarted_mid_burst_loses_and_duplicates_nothing(
    app: Flask, settings: Settings, users: UserFactory, own_redis: RedisServer, tmp_path: Path
) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    poster = Poster(base, users.token_for("checker"))
    client = threading.Thread(target=poster.run)
    log = tmp_path / "up.log"
    env = service_env(settings, web_concurrency=1, sweep_interval=1, log_format="text")
    with log.open("wb") as output:
        up = start(["up", "--port", base.rsplit(":", 1)[1]], env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: ready(base), 60, message="factcheck up to be ready")
        client.start()
        wait_for(lambda: len(poster.answers) >= 10, 30, message="posts before the flush")
        own_redis.client().flushall()
        flushed_at = len(poster.answers)
        wait_for(lambda: len(poster.answers) >= flushed_at + 8, 30, message="posts after the flush")
        own_redis.kill()
        killed_at, down_since = len(poster.answers), time.monotonic()
        wait_for(lambda: len(poster.answers) >= killed_at + 10, 30, message="posts while Redis is down")
        restarted_at, down_for = len(poster.answers), time.monotonic() - down_since
        own_redis.start()
        client.join(timeout=60)
        wait_for(lambda: collected(app) == len(poster.accepted()), 90, message="every ticket in triage")
    finally:
        if client.is_alive():
            client.join(timeout=60)
        stop(up, signal.SIGINT)

    statuses = [status for status, _type, _body in poster.answers]
    assert statuses == [201] * TICKETS, poster.answers
    assert restarted_at < TICKETS, "some posts came after Redis was back"
    records = ledger(app)
    assert set(records) == poster.accepted()
    repeated = duplicates(records)
    assert_collected_once(records, references=0)
    restarts = log.read_text(errors="replace").count("exited with")
    attempts = max(record.collection_attempts for record in records.values())
    print(
        f"\nFIGURES redis_outage: tickets={TICKETS} accepted={len(poster.accepted())} "
        f"posted_before_flush={flushed_at} posted_while_down={restarted_at - killed_at} "
        f"posted_after_restart={TICKETS - restarted_at} redis_down_s={down_for:.1f} "
        f"redis_starts={own_redis.starts} restarts_by_supervisor={restarts} max_attempts={attempts} "
        f"duplicates={repeated}"
    )


def collected(app: Flask) -> int:
    return sum(record.state == "triage" for record in ledger(app).values())
