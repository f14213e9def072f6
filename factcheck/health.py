"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, Response
from sqlalchemy import text

from factcheck import db, queue
from factcheck.api.problems import problem_response
from factcheck.api.writes import json_response

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz() -> Response:
    """The process is up and serving requests."""
    return json_response({"status": "ok"})


@blp.get("/readyz")
def readyz() -> Response:
    """The database and Redis answer; otherwise 503 naming what is down."""
    checks = {"database": _check_database(), "redis": _check_redis()}
    down = sorted(name for name, error in checks.items() if error)
    if down:
        return problem_response(
            503,
            "Service Unavailable",
            f"Not ready: {', '.join(down)} unreachable.",
            down=down,
            checks={name: error or "ok" for name, error in checks.items()},
        )
    return json_response({"status": "ready", "checks": {name: "ok" for name in checks}})


def _check_database() -> str | None:
    try:
        with db.engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"
        return type(exc).__name__
    return None


def _check_redis() -> str | None:
    try:
        queue.connection().ping()
    except Exception as exc:  # connection, timeout or embedded-start failure alike
        return type(exc).__name__
    return None
