"""Test helpers: users with tokens, an API client, and running jobs with a real RQ worker."""

from __future__ import annotations

import itertools
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from factcheck import auth
from factcheck.db import make_engine, unit_of_work
from factcheck.models import User

_counter = itertools.count(1)


class UserFactory:
    def __init__(self, app: Flask) -> None:
        self.app = app

    def create(self, role: str, password: str | None = None) -> User:
        with self.app.app_context(), unit_of_work() as session:
            return auth.create_user(session, f"{role}{next(_counter)}@newsroom.test", role, password)

    def token_for(self, role: str) -> str:
        return self.token_of(self.create(role))

    def token_of(self, user: User) -> str:
        with self.app.app_context(), unit_of_work() as session:
            return auth.create_token(session, session.get(User, user.id))  # type: ignore[arg-type]


class ApiClient:
    """Thin wrapper adding the bearer token; responses are werkzeug TestResponses."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.token = token

    def as_(self, token: str) -> ApiClient:
        return ApiClient(self.client, token)

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.post(path, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.put(path, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.patch(
            path, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )

    def create_ticket(self, claim: str = "The moon is made of cheese.", **fields: Any) -> dict[str, Any]:
        response = self.post("/api/v1/tickets", json={"claim": claim, **fields})
        assert response.status_code == 201, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    def act(
        self, ticket_id: str, action: str, body: dict[str, Any] | None = None, **kwargs: Any
    ) -> TestResponse:
        return self.post(f"/api/v1/tickets/{ticket_id}/actions/{action}", json=body or {}, **kwargs)


def run_jobs(app: Flask) -> None:
    """Run every queued job with a real RQ burst worker (forking a work-horse per job)."""
    from factcheck.worker import build_worker

    build_worker(app).work(burst=True, logging_level="WARNING")


def service_env(settings: Any, **overrides: Any) -> dict[str, str]:
    """Environment for a ``factcheck`` subprocess using the same database and Redis as the test."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("FACTCHECK_")}
    env.update(
        FACTCHECK_DATABASE_URL=settings.database_url,
        FACTCHECK_REDIS_URL=settings.redis_url,
        FACTCHECK_INSTANCE_PATH=settings.instance_path,
        FACTCHECK_SECRET_KEY=settings.secret_key,
        FACTCHECK_JOB_MONITORING_INTERVAL="1",
        FACTCHECK_JOB_STALE_AFTER="3",
        FACTCHECK_SWEEP_GRACE="0",
    )
    env.update({f"FACTCHECK_{name.upper()}": str(value) for name, value in overrides.items()})
    return env


def wait_for(predicate: Any, timeout: float, interval: float = 0.2, message: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


@contextmanager
def new_postgres_database(server_url: str, prefix: str) -> Iterator[str]:
    """A newly created, uniquely named database on the PostgreSQL server of ``server_url``,
    dropped afterwards (also when processes are still connected to it)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    server = make_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server.set(database="postgres").render_as_string(hide_password=False))
    admin = admin.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
