"""The writes that open a ticket: its row, its tags, its audit event and its outbox rows.

On PostgreSQL they are one statement: data-modifying CTEs hang the tags, the event and the
outbox rows off ``INSERT ... ON CONFLICT (open_claim_key) DO NOTHING RETURNING id``, so when
an open ticket has the claim already nothing at all is written, and opening a ticket costs
one round trip. Elsewhere (SQLite, which runs in-process and has no data-modifying CTEs)
they are the same inserts one after another, in the same transaction.

The statements are text, built once per dialect from the models' tables: SQLAlchemy 2.0 never
caches a compiled ``ON CONFLICT`` construct, and compiling one again for every ticket cost
more than everything else intake does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ARRAY, String, TextClause, bindparam, insert, text
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import Table

from factcheck.models import OutboxEvent, Ticket, TicketEvent, TicketTag
from factcheck.models.outbox import OUTBOX_WRITTEN

_TICKETS: Table = Ticket.__table__  # type: ignore[assignment]
_EVENTS: Table = TicketEvent.__table__  # type: ignore[assignment]
_OUTBOX: Table = OutboxEvent.__table__  # type: ignore[assignment]
_TAGS: Table = TicketTag.__table__  # type: ignore[assignment]
_EVENT_PREFIX = "event_"
_OUTBOX_PREFIX = "outbox_"


def insert_unless_open(
    session: Session,
    ticket: dict[str, Any],
    tags: list[str],
    event: dict[str, Any],
    outbox: list[dict[str, Any]],
    *,
    whole_unit: bool = False,
) -> bool:
    """Write the ticket (every column in ``ticket``) with its rows; False, writing nothing, when an
    open ticket has its ``open_claim_key``. ``event`` and each of ``outbox`` hold every column
    but the id; their ``ticket_id`` is the ticket's.

    ``whole_unit``: the caller writes nothing more in this unit of work when the ticket opens.
    Then, on PostgreSQL and while the session has no transaction yet, the one statement runs
    by itself in autocommit mode: it is atomic on its own, and it spares the round trips of a
    BEGIN and a COMMIT. The session's own commit still runs its hooks (the fan-out request).
    """
    bind = session.get_bind()
    dialect = bind.dialect
    if dialect.name == "postgresql" and len(outbox) == 1:
        params = ticket | _prefixed(_EVENT_PREFIX, event) | _prefixed(_OUTBOX_PREFIX, outbox[0])
        params["tags"] = tags
        statement = _postgresql_driver_statement(dialect)
        if whole_unit and not session.in_transaction() and isinstance(bind, Engine):
            with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                opened = statement.execute(connection, params)
        else:
            opened = statement.execute(session.connection(), params)
    else:
        opened = _insert_one_by_one(session, ticket, tags, event, outbox)
    if opened and outbox:
        session.info[OUTBOX_WRITTEN] = True  # a fan-out pass is requested after the commit
    return opened


def _insert_one_by_one(
    session: Session,
    ticket: dict[str, Any],
    tags: list[str],
    event: dict[str, Any],
    outbox: list[dict[str, Any]],
) -> bool:
    if session.execute(_insert_ticket_statement(), ticket).first() is None:
        return False
    if tags:
        session.execute(_INSERT_TAGS, [{"ticket_id": ticket["id"], "tag": tag} for tag in tags])
    session.execute(_INSERT_EVENT, [event])
    if outbox:
        session.execute(_INSERT_OUTBOX, outbox)
    return True


def _prefixed(prefix: str, row: dict[str, Any]) -> dict[str, Any]:
    return {prefix + name: value for name, value in row.items() if name != "ticket_id"}


@cache
def _insert_ticket_statement() -> TextClause:
    return text(_insert_ticket_sql()).bindparams(*_bindparams(_TICKETS))


def _insert_ticket_sql() -> str:
    columns = list(_TICKETS.columns)
    return (
        f"INSERT INTO {_TICKETS.name} ({', '.join(column.name for column in columns)}) "  # noqa: S608 (names from the model)
        f"VALUES ({', '.join(':' + column.key for column in columns)}) "
        "ON CONFLICT (open_claim_key) DO NOTHING RETURNING id"
    )


def _postgresql_statement(dialect: Dialect) -> TextClause:
    """The one statement: ticket, tags (an array parameter), event and outbox row."""
    event_columns = _dependent_columns(_EVENTS)
    outbox_columns = _dependent_columns(_OUTBOX)
    tag_type = _TAGS.c.tag.type.compile(dialect=dialect)
    sql = (
        f"WITH new_ticket AS ({_insert_ticket_sql()}), "  # noqa: S608 (names from the models)
        f"new_tags AS (INSERT INTO {_TAGS.name} (ticket_id, tag) "
        f"SELECT new_ticket.id, tag FROM new_ticket, unnest(CAST(:tags AS {tag_type}[])) AS tag), "
        f"new_event AS ({_insert_from_new_ticket(_EVENTS, event_columns, _EVENT_PREFIX, dialect)}), "
        f"new_outbox AS ({_insert_from_new_ticket(_OUTBOX, outbox_columns, _OUTBOX_PREFIX, dialect)}) "
        "SELECT id FROM new_ticket"
    )
    return text(sql).bindparams(
        *_bindparams(_TICKETS),
        *(bindparam(_EVENT_PREFIX + column.key, type_=column.type) for column in event_columns),
        *(bindparam(_OUTBOX_PREFIX + column.key, type_=column.type) for column in outbox_columns),
        bindparam("tags", type_=ARRAY(String)),
    )


@dataclass(frozen=True)
class _DriverStatement:
    """A statement compiled once to the driver's SQL, with the bind processors of its typed
    parameters (JSON, UTC datetimes): executed with ``exec_driver_sql``, it skips SQLAlchemy's
    compiled-cache look-up and per-parameter processing, a tenth of what opening a ticket cost."""

    sql: str
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]

    def execute(self, connection: Connection, params: dict[str, Any]) -> bool:
        """True when the statement returned a row (the ticket opened). Processes ``params`` in place."""
        for name, process in self.processors:
            params[name] = process(params[name])
        return connection.exec_driver_sql(self.sql, params).first() is not None


@cache
def _postgresql_driver_statement(dialect: Dialect) -> _DriverStatement:
    compiled = _postgresql_statement(dialect).compile(dialect=dialect)  # psycopg: %(name)s
    processors = []
    for name, parameter in compiled.binds.items():
        process = parameter.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((name, process))
    return _DriverStatement(compiled.string, tuple(processors))


def _dependent_columns(table: Table) -> list[Any]:
    """The columns of a row hung off the new ticket that the caller gives: all but id and ticket_id."""
    return [column for column in table.columns if column.key not in {"id", "ticket_id"}]


def _insert_from_new_ticket(table: Table, columns: list[Any], prefix: str, dialect: Dialect) -> str:
    # Typed casts: in INSERT ... SELECT PostgreSQL would take an untyped parameter for text.
    values = ", ".join(
        f"CAST(:{prefix}{column.key} AS {column.type.compile(dialect=dialect)})" for column in columns
    )
    return (
        f"INSERT INTO {table.name} (ticket_id, {', '.join(column.name for column in columns)}) "  # noqa: S608 (names from the model)
        f"SELECT new_ticket.id, {values} FROM new_ticket"
    )


def _bindparams(table: Table) -> list[Any]:
    return [bindparam(column.key, type_=column.type) for column in table.columns]


_INSERT_TAGS = insert(_TAGS)
_INSERT_EVENT = insert(_EVENTS)
_INSERT_OUTBOX = insert(_OUTBOX)
