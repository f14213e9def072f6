"""The ``factcheck`` command, run as a real subprocess against a fresh SQLite file."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

import factcheck.models  # noqa: F401  (registers every table on Base.metadata)
from factcheck import auth, create_app
from factcheck.config import Settings
from factcheck.db import Base, make_engine
from factcheck.models import ApiToken, User
from factcheck.references.fulltext import SEARCH_OBJECTS

REQUIRE_ALL = os.environ.get("FACTCHECK_REQUIRE_ALL") == "1"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"


def run_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "factcheck", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        check=False,
    )


@pytest.fixture()
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture()
def cli_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """The environment of a fresh install: no FACTCHECK_* variable leaks in from the caller."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FACTCHECK_")}
    env.update(FACTCHECK_DATABASE_URL=database_url, FACTCHECK_INSTANCE_PATH=str(tmp_path))
    return env


@pytest.fixture()
def upgraded_env(cli_env: dict[str, str]) -> dict[str, str]:
    result = run_cli(cli_env, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    return cli_env


@pytest.fixture()
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def users_in(engine: Engine) -> list[User]:
    with Session(engine) as session:
        return list(session.scalars(select(User)))


def test_help_lists_every_command(cli_env: dict[str, str]) -> None:
    result = run_cli(cli_env, "--help")

    assert result.returncode == 0, result.stderr
    commands = result.stdout.split("Commands:", 1)[1]
    listed = {line.split()[0] for line in commands.splitlines() if line.strip()}
    assert {"up", "worker", "sweeper", "db", "users", "tokens"} <= listed


def test_db_upgrade_creates_the_schema(cli_env: dict[str, str], engine: Engine) -> None:
    result = run_cli(cli_env, "db", "upgrade")

    assert result.returncode == 0, result.stderr
    tables = set(inspect(engine).get_table_names()) - SEARCH_OBJECTS  # full-text tables: tests/references
    assert tables == {*Base.metadata.tables, "alembic_version"}


def test_db_upgrade_creates_a_missing_instance_folder(cli_env: dict[str, str], tmp_path: Path) -> None:
    """First run with default settings: SQLite in an instance folder that does not exist yet."""
    instance = tmp_path / "not" / "yet" / "there"
    del cli_env["FACTCHECK_DATABASE_URL"]
    cli_env["FACTCHECK_INSTANCE_PATH"] = str(instance)

    result = run_cli(cli_env, "db", "upgrade")

    assert result.returncode == 0, result.stderr
    assert (instance / "factcheck.db").is_file()


def test_users_create_stores_an_argon2_hash_that_verifies(
    upgraded_env: dict[str, str], engine: Engine
) -> None:
    result = run_cli(
        upgraded_env, "users", "create", "Editor@Newsroom.test", "--role", "editor", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    [user] = users_in(engine)
    assert (user.email, user.role) == ("editor@newsroom.test", "editor")
    assert user.password_hash is not None and user.password_hash.startswith("$argon2")
    assert auth.verify_password(user, PASSWORD)
    assert not auth.verify_password(user, PASSWORD + "!")


def test_users_create_refuses_a_too_short_password(upgraded_env: dict[str, str], engine: Engine) -> None:
    result = run_cli(
        upgraded_env, "users", "create", "a@newsroom.test", "--role", "editor", "--password-stdin",
        stdin="short\n",
    )  # fmt: skip

    assert result.returncode != 0
    assert "at least 8 characters" in result.stderr
    assert users_in(engine) == []


def test_users_create_refuses_a_duplicate_email(upgraded_env: dict[str, str], engine: Engine) -> None:
    first = run_cli(upgraded_env, "users", "create", "a@newsroom.test", "--role", "checker")
    assert first.returncode == 0, first.stderr

    again = run_cli(upgraded_env, "users", "create", "A@newsroom.test", "--role", "admin")

    assert again.returncode != 0
    assert "a user with email a@newsroom.test exists" in again.stderr
    assert "Traceback" not in again.stderr
    assert [(user.email, user.role) for user in users_in(engine)] == [("a@newsroom.test", "checker")]


def test_users_create_refuses_an_unknown_role(upgraded_env: dict[str, str], engine: Engine) -> None:
    result = run_cli(upgraded_env, "users", "create", "a@newsroom.test", "--role", "overlord")

    assert result.returncode != 0
    assert "--role" in result.stderr and "overlord" in result.stderr
    assert users_in(engine) == []


def test_tokens_create_prints_only_a_token_that_authenticates_and_stores_its_sha256(
    upgraded_env: dict[str, str], engine: Engine, database_url: str, tmp_path: Path
) -> None:
    created = run_cli(upgraded_env, "users", "create", "editor@newsroom.test", "--role", "editor")
    assert created.returncode == 0, created.stderr

    result = run_cli(upgraded_env, "tokens", "create", "editor@newsroom.test")

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1 and result.stdout.endswith("\n"), result.stdout
    token = result.stdout.strip()
    assert token.startswith("fct_") and " " not in token

    with Session(engine) as session:
        [row] = session.scalars(select(ApiToken))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {row.token_hash, row.prefix, row.name}
    for database_file in tmp_path.glob("cli.db*"):  # the database and its WAL
        assert token.encode() not in database_file.read_bytes(), database_file.name

    app = create_app(Settings.from_env(upgraded_env))
    try:
        client = app.test_client()
        assert client.get("/api/v1/tickets").status_code == 401
        response = client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.get_data(as_text=True)
    finally:
        app.extensions["factcheck.engine"].dispose()


def test_tokens_create_for_an_unknown_email_fails(upgraded_env: dict[str, str], engine: Engine) -> None:
    result = run_cli(upgraded_env, "tokens", "create", "nobody@newsroom.test")

    assert result.returncode != 0
    assert result.stdout == ""
    assert "no user nobody@newsroom.test" in result.stderr
    with Session(engine) as session:
        assert list(session.scalars(select(ApiToken))) == []


def test_sweeper_once_on_an_empty_database_prints_its_report(upgraded_env: dict[str, str]) -> None:
    redis_url = os.environ.get("FACTCHECK_TEST_REDIS_URL")
    if not redis_url:
        if REQUIRE_ALL:
            pytest.fail("FACTCHECK_TEST_REDIS_URL not set and FACTCHECK_REQUIRE_ALL=1")
        pytest.skip("FACTCHECK_TEST_REDIS_URL not set")

    result = run_cli({**upgraded_env, "FACTCHECK_REDIS_URL": redis_url}, "sweeper", "--once")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "examined=0 requeued=0 gave_up=0 deferred=0"
