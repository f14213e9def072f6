"""Database plumbing: declarative Base, engine, and the per-unit-of-work session.

A unit of work is a request or a job. Both run inside a Flask app context; the session
lives on that context and is closed (rolled back if not committed) when it ends.
Service functions flush; only the request handler or the job commits.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """An opaque, unguessable identifier for public objects."""
    return uuid.uuid4().hex


def make_engine(url: str, echo: bool = False) -> Engine:
    """Create an engine with the pragmas and pool settings each backend needs."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, open transactions: the module's own handling
    # commits when a SAVEPOINT that opened the transaction is released, breaking atomicity.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front: a transaction that read and then writes can
    # never fail with SQLITE_BUSY_SNAPSHOT; writers queue on busy_timeout instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_app(app: Flask) -> None:
    """Create the engine and session factory for this app; close sessions on teardown."""
    settings = app.extensions["factcheck.settings"]
    if settings.sqlalchemy_url.startswith("sqlite:///"):
        from pathlib import Path

        Path(settings.sqlalchemy_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url, echo=settings.sqlalchemy_echo)
    app.extensions["factcheck.engine"] = engine
    app.extensions["factcheck.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    engine_: Engine = current_app.extensions["factcheck.engine"]
    return engine_


def session() -> Session:
    """The session of the current unit of work (request or job)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["factcheck.sessionmaker"]()
    db_session: Session = g.db_session
    return db_session


def after_session(callback: Callable[[Engine], None]) -> None:
    """Run ``callback(engine)`` once the current request's session is closed (bookkeeping that
    must not share, or wait for, the request's transaction). Errors are logged, not raised."""
    g.setdefault("db_after_session", []).append(callback)


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
    for callback in g.pop("db_after_session", ()):
        try:
            callback(current_app.extensions["factcheck.engine"])
        except Exception:
            log.exception("bookkeeping after the request failed")


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A fresh session that commits on success and rolls back on error (jobs, CLI)."""
    db_session: Session = current_app.extensions["factcheck.sessionmaker"]()
    try:
        yield db_session
        db_session.commit()
    except BaseException:
        db_session.rollback()
        raise
    finally:
        db_session.close()
