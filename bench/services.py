"""Processes and databases a benchmark starts for itself, each stopped or dropped at the end.

Every process runs in its own process group, so that stopping it also stops what it forked
(RQ work-horses, gunicorn workers); nothing is stopped by name.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def factcheck_command(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """``factcheck COMMAND`` with ``env`` (and no other FACTCHECK_ variable), stopped at the end."""
    full_env = {name: value for name, value in os.environ.items() if not name.startswith("FACTCHECK_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "factcheck", *command],
        cwd=ROOT,
        env=full_env | env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM to the process group, SIGKILL after 30 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A redis-server of our own on a free port, persisting like production (append-only file)."""
    port = free_port()
    binary = shutil.which("redis-server") or "redis-server"
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
            "--appendonly", "yes", "--logfile", str(folder / "redis.log")]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, start_new_session=True)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_for_redis(url, process)
        yield url
    finally:
        stop(process)


def _wait_for_redis(url: str, process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    conn = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.ping()
            return
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"redis-server did not start (see its log next to {url})") from None
            time.sleep(0.05)


@contextmanager
def slow_sources(timeout_after: float) -> Iterator[int]:
    """``bench/slow_sources.py`` on a free port; yields the port."""
    argv = [sys.executable, str(BENCH / "slow_sources.py"), "--timeout-after", str(timeout_after)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert process.stdout is not None
        yield int(process.stdout.readline())
    finally:
        stop(process)


@contextmanager
def postgres_database(admin_url: str, name: str) -> Iterator[str]:
    """Create database ``name`` (dropping a leftover one) and drop it at the end.

    An advisory lock held for the whole run keeps a second run from dropping this one's database.
    """
    admin = make_url(admin_url).set(drivername="postgresql+psycopg")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if not connection.scalar(text("SELECT pg_try_advisory_lock(hashtext(:name))"), {"name": name}):
                raise SystemExit(f"another run is using {name}; run one benchmark at a time")
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {name}"))
            try:
                yield admin.set(database=name).render_as_string(hide_password=False)
            finally:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        engine.dispose()


@contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    engine = create_engine(url, pool_size=2)
    try:
        yield engine
    finally:
        engine.dispose()
