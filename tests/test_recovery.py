"""`factcheck up` end to end: every service starts, answers, and stops on Ctrl-C.

The fault-injection tests (a worker killed mid-job, Redis and PostgreSQL outages, crashes
between commit and enqueue, a receiver down) are in ``tests/reliability/``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.reliability.processes import children, is_alive, start
from tests.support import free_port, wait_for

pytestmark = pytest.mark.slow


def test_factcheck_up_runs_everything_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACTCHECK_")}
    env["FACTCHECK_INSTANCE_PATH"] = str(tmp_path / "instance")
    env["FACTCHECK_WEB_CONCURRENCY"] = "1"
    port = free_port()
    up = start(["up", "--port", str(port)], env, stdout=subprocess.PIPE, text=True)
    try:
        banner = _read_banner(up)
        token = re.search(r"API token:\s+(\S+)", banner)
        password = re.search(r"password:\s+(\S+)", banner)
        assert token and password and "admin login: admin@localhost" in banner
        services = wait_for(lambda: len(children(up.pid)) >= 3 and children(up.pid), 30, message="children")
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _get(f"{base}/readyz") == 200, 30, message="readyz")
        headers = {"Authorization": f"Bearer {token.group(1)}"}
        created = httpx.post(
            f"{base}/api/v1/tickets", json={"claim": "Up works end to end."}, headers=headers
        )
        assert created.status_code == 201
        url = f"{base}/api/v1/tickets/{created.json()['id']}"
        wait_for(lambda: httpx.get(url, headers=headers).json()["state"] == "triage", 30, message="triage")
        assert (tmp_path / "instance" / "factcheck.db").exists()
        # /metrics adds up the web workers' and the work-horses' samples (instance/prometheus).
        scraped = httpx.get(f"{base}/metrics").text
        assert (
            'factcheck_job_duration_seconds_count{job="collect_references",outcome="succeeded"} 1.0'
            in scraped
        )
    finally:
        os.killpg(up.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        up.wait(timeout=30)
    assert up.returncode == 0
    assert not [pid for pid in services if is_alive(pid)], "every child stopped"

    again = start(["up", "--port", str(port)], env, stdout=subprocess.PIPE, text=True)
    try:
        second_banner = _read_banner(again)
    finally:
        os.killpg(again.pid, signal.SIGINT)
        again.wait(timeout=30)
    assert "password:" not in second_banner and "API token" not in second_banner


def _read_banner(process: subprocess.Popen[str]) -> str:  # type: ignore[type-var]
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if "Press Ctrl-C" in line:
            return "".join(lines)
    raise AssertionError("factcheck up exited before printing its banner:\n" + "".join(lines))


def _get(url: str) -> int:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return 0
