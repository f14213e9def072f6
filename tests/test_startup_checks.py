"""The start-up warnings about Redis, against real Redis servers started with good and bad settings."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from redis.backoff import NoBackoff
from redis.retry import Retry

from factcheck import create_app
from factcheck.cli import main
from factcheck.config import Settings
from factcheck.startup_checks import warn_about_redis
from tests.compose import COMPOSE_VARIABLES, service_command
from tests.redis_server import running_redis
from tests.support import free_port

AS_A_CACHE = ["--maxmemory-policy", "allkeys-lru", "--save", "", "--appendonly", "no"]


def startup_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "factcheck.startup_checks" and record.levelno == logging.WARNING
    ]


def test_a_redis_set_up_as_a_cache_gets_a_warning_per_setting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with running_redis(tmp_path, AS_A_CACHE) as port:
        problems = warn_about_redis(redis.Redis(port=port))

    assert len(problems) == 2
    eviction, persistence = problems
    assert "maxmemory-policy is allkeys-lru" in eviction and "maxmemory-policy noeviction" in eviction
    assert "persists nothing" in persistence and "appendonly yes" in persistence
    assert startup_warnings(caplog) == [f"Redis: {problem}" for problem in problems]


def test_the_warning_says_when_keys_were_already_evicted(tmp_path: Path) -> None:
    with running_redis(tmp_path, ["--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru"]) as port:
        client = redis.Redis(port=port)
        for number in range(40):
            client.set(f"filler:{number}", b"x" * 100_000)
        problems = warn_about_redis(client)

    assert len(problems) == 1
    assert "has evicted" in problems[0]


def test_the_compose_redis_gets_no_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    program, *args = service_command("redis")
    assert program == "redis-server"
    password = COMPOSE_VARIABLES["REDIS_PASSWORD"]
    with running_redis(tmp_path, args, password=password) as port:
        assert warn_about_redis(redis.Redis(port=port, password=password)) == []
    assert startup_warnings(caplog) == []


def test_rdb_snapshots_alone_count_as_persistence(tmp_path: Path) -> None:
    with running_redis(tmp_path, ["--appendonly", "no", "--save", "3600 1"]) as port:
        assert warn_about_redis(redis.Redis(port=port)) == []


def test_a_server_that_refuses_config_gets_a_could_not_check_warning(tmp_path: Path) -> None:
    """Managed Redis services often disable CONFIG: INFO still shows the eviction policy."""
    with running_redis(tmp_path, [*AS_A_CACHE, "--rename-command", "CONFIG", ""]) as port:
        problems = warn_about_redis(redis.Redis(port=port))

    assert len(problems) == 2
    assert "allkeys-lru" in problems[0]
    assert "could not be read" in problems[1] and "CONFIG" in problems[1] and "appendonly yes" in problems[1]


def test_an_unreachable_redis_is_reported_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    problems = warn_about_redis(redis.Redis(port=free_port(), retry=Retry(NoBackoff(), 0)))

    assert len(problems) == 1 and problems[0].startswith("could not check the Redis settings")
    assert startup_warnings(caplog) == [f"Redis: {problems[0]}"]


def test_the_app_factory_checks_once_per_process(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with running_redis(tmp_path, AS_A_CACHE) as port:
        cache_settings = dataclasses.replace(settings, redis_url=f"redis://127.0.0.1:{port}/0")
        apps = [create_app(cache_settings), create_app(cache_settings)]
        warnings = startup_warnings(caplog)
    for app in apps:
        app.extensions["factcheck.engine"].dispose()

    assert len(warnings) == 2, "two warnings, from the first app only"
    assert "allkeys-lru" in warnings[0] and "persists nothing" in warnings[1]


def test_the_worker_command_warns_at_start(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with running_redis(tmp_path, AS_A_CACHE) as port:
        environment = {
            "FACTCHECK_DATABASE_URL": settings.database_url,
            "FACTCHECK_REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "FACTCHECK_INSTANCE_PATH": str(tmp_path / "instance"),
            "FACTCHECK_SECRET_KEY": "worker-start-secret",
        }
        result = CliRunner().invoke(main, ["worker", "--burst"], env=environment)
        warnings = startup_warnings(caplog)

    assert result.exit_code == 0, result.output
    assert any("allkeys-lru" in warning for warning in warnings)
