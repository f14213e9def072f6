"""Settings read from ``FACTCHECK_*`` variables: parsing, production guards, URL forms, dev secret."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from factcheck.config import Settings, SettingsError

PRODUCTION = {
    "FACTCHECK_ENV": "production",
    "FACTCHECK_SECRET_KEY": "a-long-production-secret",
    "FACTCHECK_DATABASE_URL": "postgresql://factcheck@db/factcheck",
    "FACTCHECK_REDIS_URL": "redis://redis:6379/0",
}


def test_from_env_with_no_variables_gives_development_defaults(tmp_path: Path) -> None:
    settings = Settings.from_env({}, instance_path=str(tmp_path))

    assert settings.env == "development" and not settings.is_production
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'factcheck.db'}"


def test_from_env_parses_ints_floats_and_strings() -> None:
    settings = Settings.from_env(
        {
            "FACTCHECK_SWEEP_INTERVAL": "45",
            "FACTCHECK_MAX_CONTENT_LENGTH": "2048",
            "FACTCHECK_FAULT_COLLECT_DELAY": "0.25",
            "FACTCHECK_BASE_URL": "https://checks.example.org",
        }
    )

    assert settings.sweep_interval == 45 and isinstance(settings.sweep_interval, int)
    assert settings.max_content_length == 2048
    assert settings.fault_collect_delay == 0.25 and isinstance(settings.fault_collect_delay, float)
    assert settings.base_url == "https://checks.example.org"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[(raw, True) for raw in ("1", "true", "TRUE", "yes", "on")],
        *[(raw, False) for raw in ("0", "false", "No", "off", "")],
    ],
)
def test_from_env_parses_bools(raw: str, expected: bool) -> None:
    assert Settings.from_env({"FACTCHECK_SQLALCHEMY_ECHO": raw}).sqlalchemy_echo is expected


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("FACTCHECK_SWEEP_INTERVAL", "soon"),
        ("FACTCHECK_WORKER_TTL", "1.5"),
        ("FACTCHECK_FAULT_COLLECT_DELAY", "a bit"),
        ("FACTCHECK_SQLALCHEMY_ECHO", "maybe"),
    ],
)
def test_from_env_rejects_a_malformed_value_naming_the_variable(variable: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=variable) as error:
        Settings.from_env({variable: raw})
    assert repr(raw) in str(error.value)


def test_from_env_rejects_an_unknown_environment_name() -> None:
    with pytest.raises(SettingsError, match="FACTCHECK_ENV"):
        Settings.from_env({"FACTCHECK_ENV": "staging"})


def test_production_with_secret_and_database_url_is_accepted() -> None:
    settings = Settings.from_env(PRODUCTION)

    assert settings.is_production
    assert settings.resolved_secret_key() == "a-long-production-secret"


@pytest.mark.parametrize("missing", ["FACTCHECK_SECRET_KEY", "FACTCHECK_DATABASE_URL", "FACTCHECK_REDIS_URL"])
def test_production_without_a_required_variable_fails_fast(missing: str) -> None:
    environ = {key: value for key, value in PRODUCTION.items() if key != missing}

    with pytest.raises(SettingsError, match=missing):
        Settings.from_env(environ)


def test_production_with_an_empty_secret_key_fails_fast() -> None:
    with pytest.raises(SettingsError, match="FACTCHECK_SECRET_KEY"):
        Settings.from_env({**PRODUCTION, "FACTCHECK_SECRET_KEY": ""})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/fc", "postgresql+psycopg://u:p@db:5432/fc"),
        ("postgresql://u:p@db:5432/fc", "postgresql+psycopg://u:p@db:5432/fc"),
        ("postgresql+psycopg://u:p@db:5432/fc", "postgresql+psycopg://u:p@db:5432/fc"),
        ("sqlite:////var/lib/factcheck/fc.db", "sqlite:////var/lib/factcheck/fc.db"),
    ],
)
def test_database_urls_are_normalised_to_psycopg3(given: str, expected: str) -> None:
    assert Settings.from_env({"FACTCHECK_DATABASE_URL": given}).sqlalchemy_url == expected


def test_dev_secret_key_is_generated_once_and_persisted_owner_only(tmp_path: Path) -> None:
    instance = tmp_path / "instance"  # does not exist yet
    first = Settings.from_env({}, instance_path=str(instance)).resolved_secret_key()
    second = Settings.from_env({}, instance_path=str(instance)).resolved_secret_key()

    assert len(first) >= 32
    assert second == first
    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [path.name for path in instance.iterdir()] == ["secret_key"]  # no temporary left behind


def _keys_resolved_at_once(settings: Settings, count: int) -> list[str]:
    """``resolved_secret_key()`` from ``count`` threads released together."""
    start = threading.Barrier(count)
    keys: list[str] = []

    def resolve() -> None:
        start.wait()
        keys.append(settings.resolved_secret_key())

    threads = [threading.Thread(target=resolve) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return keys


def test_dev_secret_key_is_the_same_for_processes_starting_together(tmp_path: Path) -> None:
    """Web workers, worker and sweeper start at once; they must agree on one non-empty key."""
    for attempt in range(20):
        settings = Settings.from_env({}, instance_path=str(tmp_path / str(attempt)))

        keys = _keys_resolved_at_once(settings, 8)

        assert len(set(keys)) == 1 and keys[0], keys


@pytest.mark.parametrize("name", ["SWEEP_INTERVAL", "JOB_STALE_AFTER", "WEB_CONCURRENCY"])
@pytest.mark.parametrize("value", ["0", "-1"])
def test_intervals_and_counts_must_be_positive(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"FACTCHECK_{name}"):
        Settings.from_env({f"FACTCHECK_{name}": value})


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FACTCHECK_SECRET_KEY", "change-me"),
        ("FACTCHECK_SECRET_KEY", " Change-Me "),
        ("FACTCHECK_SECRET_KEY", "dev"),
        ("FACTCHECK_DATABASE_URL", "postgresql://factcheck:change-me@db/factcheck"),
        ("FACTCHECK_REDIS_URL", "redis://:change-me@redis:6379/0"),
    ],
)
def test_production_refuses_a_placeholder_secret(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"{variable}.*placeholder"):
        Settings.from_env({**PRODUCTION, variable: value})


def test_development_accepts_placeholders_and_production_real_passwords() -> None:
    Settings.from_env({"FACTCHECK_SECRET_KEY": "change-me"})
    Settings.from_env(
        {
            **PRODUCTION,
            "FACTCHECK_DATABASE_URL": "postgresql://factcheck:Zq8-long-random@db/factcheck",
            "FACTCHECK_REDIS_URL": "redis://:Zq8-long-random@redis:6379/0",
        }
    )
