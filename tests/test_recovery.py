"""Crash recovery with real processes: a worker killed mid-job, and `factcheck up` end to end."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from flask import Flask

from factcheck.config import Settings
from tests.support import ApiClient, service_env, wait_for

pytestmark = pytest.mark.slow


def start(args: list[str], env: dict[str, str], **kwargs: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "factcheck", *args],
        env=env,
        start_new_session=True,
        **kwargs,  # type: ignore[call-overload]
    )


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        process.wait(timeout=30)


def state_of(api: ApiClient, ticket_id: str) -> str:
    state: str = api.get(f"/api/v1/tickets/{ticket_id}").get_json()["state"]
    return state


def test_ticket_reaches_triage_after_its_worker_is_killed_mid_job(
    api: ApiClient, app: Flask, settings: Settings
) -> None:
    slow = service_env(settings, fault_collect_delay=60)
    worker = start(["worker"], slow)
    processes = [worker]
    try:
        tid = api.create_ticket("The dam holds 3 billion cubic metres of water.")["id"]
        wait_for(lambda: state_of(api, tid) == "collecting", 30, message="the job to start")
        horse_pids = _children(worker.pid)
        assert horse_pids, "the worker forked a work-horse for the job"
        # The work-horse runs in its own process group: kill it and the worker, with no warning.
        for pid in horse_pids:
            os.kill(pid, signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        wait_for(lambda: not any(_is_alive(pid) for pid in horse_pids), 10, message="the horse to die")
        assert state_of(api, tid) == "collecting"

        healthy = service_env(settings, sweep_interval=1)
        processes += [start(["worker"], healthy), start(["sweeper"], healthy)]
        wait_for(lambda: state_of(api, tid) == "triage", 60, message="recovery to triage")
    finally:
        for process in processes:
            stop(process)
    events = [e["action"] for e in api.get(f"/api/v1/tickets/{tid}/events").get_json()["items"]]
    assert events.count("finish_collection") == 1


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _is_alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_factcheck_up_runs_everything_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACTCHECK_")}
    env["FACTCHECK_INSTANCE_PATH"] = str(tmp_path / "instance")
    env["FACTCHECK_WEB_CONCURRENCY"] = "1"
    port = _free_port()
    up = start(["up", "--port", str(port)], env, stdout=subprocess.PIPE, text=True)
    try:
        banner = _read_banner(up)
        token = re.search(r"API token:\s+(\S+)", banner)
        password = re.search(r"password:\s+(\S+)", banner)
        assert token and password and "admin login: admin@localhost" in banner
        children = wait_for(lambda: len(_children(up.pid)) >= 3 and _children(up.pid), 30, message="children")
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
    finally:
        os.killpg(up.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        up.wait(timeout=30)
    assert up.returncode == 0
    assert not [pid for pid in children if _is_alive(pid)], "every child stopped"

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
