"""The sweeper outlives a Redis outage: it logs, retries, and sweeps again once Redis is back."""

from __future__ import annotations

import subprocess
import time
from dataclasses import replace
from pathlib import Path

from flask import Flask

from factcheck.config import Settings
from factcheck.jobs.sweep import LAST_SWEEP_KEY
from tests.reliability.faults import RedisServer
from tests.reliability.processes import start, stop
from tests.support import service_env, wait_for


def test_the_sweeper_waits_out_a_redis_outage_instead_of_exiting(
    app: Flask, settings: Settings, tmp_path: Path
) -> None:
    log_path = tmp_path / "sweeper.log"
    with RedisServer(tmp_path / "redis") as server, log_path.open("wb") as log_file:
        env = service_env(replace(settings, redis_url=server.url), sweep_interval=1)
        sweeper = start(["sweeper"], env, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: server.client().get(LAST_SWEEP_KEY), 30, message="a first sweep")
            server.kill()
            time.sleep(7)  # long enough for a failed sweep and its retry (every 5 s)
            assert sweeper.poll() is None, "the sweeper is still running with Redis gone"
            server.start()  # Redis comes back, empty
            wait_for(lambda: server.client().get(LAST_SWEEP_KEY), 30, message="a sweep after the outage")
            assert sweeper.poll() is None
        finally:
            stop(sweeper)
    output = log_path.read_text(errors="replace")
    assert output.count("sweep failed") >= 1, output[-2000:]
