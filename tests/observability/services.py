"""The service as operators run it, in subprocesses sharing one ``PROMETHEUS_MULTIPROC_DIR``:
gunicorn with the project's config module, and ``factcheck worker --burst``."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from factcheck.config import Settings
from tests.observability.samples import Samples
from tests.support import free_port, service_env

GUNICORN_START_TIMEOUT = 60.0
WORKER_TIMEOUT = 120.0


def environment(settings: Settings, metrics_dir: Path, **overrides: Any) -> dict[str, str]:
    env = service_env(settings, log_format="json", outbound_allow_hosts="127.0.0.1", **overrides)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    return env


class Gunicorn:
    """``gunicorn -c python:factcheck.gunicorn_config`` with two sync workers on a free port."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 2) -> None:
        self.port = free_port()
        self.log = log
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:factcheck.gunicorn_config",
            "--worker-class",
            "sync",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "factcheck:create_app()",
        ]
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                argv, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_until_serving()

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + GUNICORN_START_TIMEOUT
        while True:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not start:\n{self.log.read_text()}")
            time.sleep(0.2)

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            all_headers = {"Content-Type": "application/json"} if payload is not None else {}
            connection.request(method, path, body=payload, headers={**all_headers, **(headers or {})})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def scrape(self) -> Samples:
        status, _headers, body = self.request("GET", "/metrics")
        assert status == 200, body
        return Samples.parse(body.decode())

    def stop(self) -> str:
        """Stop gracefully (SIGTERM) and return everything it wrote."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        return self.log.read_text()


def run_worker_burst(env: dict[str, str]) -> str:
    """``factcheck worker --burst`` until the queues are empty; returns what it wrote."""
    finished = subprocess.run(
        [sys.executable, "-m", "factcheck", "worker", "--burst"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=WORKER_TIMEOUT,
        check=False,
    )
    output = finished.stdout.decode()
    assert finished.returncode == 0, output
    return output


def json_lines(output: str) -> list[dict[str, Any]]:
    """Every line as JSON (fails on the first line that is not one object)."""
    parsed = []
    for line in output.splitlines():
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"not a JSON line: {line!r}") from exc
        assert isinstance(item, dict), line
        parsed.append(item)
    return parsed
