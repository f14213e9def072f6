"""A dependency that cannot be reached answers 503 problem+json with ``Retry-After``; a bug is still a 500.

These run on both passes (the 20 s PostgreSQL outage runs on the PostgreSQL pass only): each
error is a real one, raised by a real driver against a real closed port or a real lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import create_engine, text

from factcheck import create_app
from factcheck.api.problems import unreachable_dependency
from factcheck.config import Settings
from tests.support import free_port


def raised(action: Callable[[], object]) -> BaseException:
    try:
        action()
    except Exception as exc:
        return exc
    raise AssertionError("nothing was raised")


def refused_postgresql() -> BaseException:
    engine = create_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    return raised(engine.connect)


def locked_sqlite(tmp_path: Path) -> BaseException:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with engine.connect() as connection:
            return raised(lambda: connection.execute(text("INSERT INTO t VALUES (1)")))
    finally:
        holder.close()


def missing_table() -> BaseException:
    with create_engine("sqlite://").connect() as connection:
        return raised(lambda: connection.execute(text("SELECT * FROM no_such_table")))


def test_outages_are_told_from_bugs(tmp_path: Path) -> None:
    refused_redis = raised(redis.Redis(port=free_port(), retry=Retry(NoBackoff(), 0)).ping)
    assert unreachable_dependency(refused_postgresql()) == "database"
    assert unreachable_dependency(locked_sqlite(tmp_path)) == "database"
    assert unreachable_dependency(refused_redis) == "redis"
    assert unreachable_dependency(missing_table()) is None, "SQLite says OperationalError for our own SQL too"
    assert unreachable_dependency(ValueError("a bug")) is None


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/v1/tickets"), ("GET", "/api/v1/tickets")])
def test_an_unreachable_database_answers_503_problem_json_with_retry_after(
    settings: Settings, method: str, path: str
) -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none"
    broken = create_app(replace(settings, database_url=url))
    response = broken.test_client().open(
        path,
        method=method,
        json={"claim": "Kept or refused, never half-written."},
        headers={"Authorization": "Bearer fct_x"},
    )
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"].isdigit()
    assert response.get_json()["down"] == ["database"]


@pytest.mark.parametrize("path", ["/app/", "/tips/new"])
def test_web_pages_answer_503_with_a_page_when_the_database_is_unreachable(
    settings: Settings, path: str
) -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none"
    broken = create_app(replace(settings, database_url=url))
    client = broken.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "someone"  # a signed-in person: their user is looked up first
    response = client.get(path)
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    assert response.headers["Retry-After"].isdigit()
    assert "Temporarily unavailable" in response.get_data(as_text=True)
