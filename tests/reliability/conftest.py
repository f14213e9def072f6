"""Fixtures for fault-injection tests: a Redis server of the test's own, a cuttable link to PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from factcheck.config import Settings
from tests.reliability.faults import RedisServer, TcpProxy
from tests.support import ApiClient, UserFactory


@pytest.fixture()
def settings(settings: Settings) -> Settings:
    """The suite's settings with receivers and source servers on loopback allowed."""
    return replace(settings, outbound_allow_hosts="127.0.0.1")


@pytest.fixture()
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server for this test alone: it may be flushed, killed and restarted."""
    with RedisServer(tmp_path / "redis") as server:
        yield server


@pytest.fixture()
def postgres_link(migrated: str) -> Iterator[TcpProxy]:
    """A TCP proxy in front of the test database's PostgreSQL server (PostgreSQL passes only)."""
    url = make_url(migrated)
    if url.get_backend_name() != "postgresql":
        pytest.skip(
            "PostgreSQL only: the outage is its server becoming unreachable over TCP; "
            "SQLite is a file inside the process and cannot go away on its own"
        )
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        yield proxy


@pytest.fixture()
def admin_api(api: ApiClient, users: UserFactory) -> ApiClient:
    return api.as_(users.token_for("admin"))
