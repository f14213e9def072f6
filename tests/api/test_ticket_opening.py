"""Opening a ticket writes its row, tags, audit event and outbox row together, or nothing at all.

On PostgreSQL the four writes are one statement (``factcheck.tickets.opening``); on SQLite they
are separate inserts in one transaction. The representation intake builds before writing must
be exactly what the stored ticket reads back as.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import select

from factcheck import db
from factcheck.actors import Actor
from factcheck.db import unit_of_work
from factcheck.models import OutboxEvent, Ticket, TicketEvent, TicketTag
from factcheck.tickets import intake, journal, opening
from factcheck.tickets.representation import ticket_dict
from tests.support import ApiClient

TICKETS = "/api/v1/tickets"


def test_new_ticket_body_is_what_the_stored_ticket_reads_back_as(api: ApiClient, app: Flask) -> None:
    created = api.create_ticket(
        "Exports of wheat doubled in 2025.",
        speaker="A. Minister",
        claim_date="2025-11-30",
        source_url="https://example.org/speech",
        tags=["trade", "agriculture"],
    )
    with app.app_context():
        session = db.session()
        stored = ticket_dict(session, session.get_one(Ticket, created["id"]))
        payload = session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.ticket_id == created["id"])
        ).one()
    assert created == stored
    assert payload == {"ticket": created}
    assert created["tags"] == ["agriculture", "trade"]


def test_opening_writes_ticket_tags_event_and_one_outbox_row(
    api: ApiClient, app: Flask, row_count: Callable[[str], int]
) -> None:
    created = api.create_ticket("Rents rose by a third in five years.", tags=["housing", "cities"])
    assert (row_count("tickets"), row_count("ticket_tags")) == (1, 2)
    with app.app_context():
        session = db.session()
        event = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == created["id"])).one()
        outbox = session.scalars(select(OutboxEvent).where(OutboxEvent.ticket_id == created["id"])).one()
    assert (event.action, event.from_state, event.to_state) == ("create", None, "submitted")
    assert event.data == {"channel": "api"}
    assert event.request_id is not None
    assert (outbox.event_type, outbox.dispatched_at) == ("ticket.created", None)
    assert outbox.event_id.startswith("evt_")


def test_opening_a_claim_that_is_open_writes_nothing(
    api: ApiClient, app: Flask, row_count: Callable[[str], int]
) -> None:
    """``insert_unless_open`` itself: the conflicting ticket's tags, event and outbox row are not
    written either (on PostgreSQL they hang off the ticket insert in the same statement)."""
    api.create_ticket("Rents rose by a third in five years.", tags=["housing"])
    before = {
        table: row_count(table) for table in ("tickets", "ticket_tags", "ticket_events", "outbox_events")
    }
    with app.app_context(), unit_of_work() as session:
        ticket = session.scalars(select(Ticket)).one()
        values = {column.key: getattr(ticket, column.key) for column in Ticket.__table__.columns}
        values |= {"id": db.new_id(), "claim": "rents rose by a third in five years"}
        event = journal.event_row(
            values["id"], Actor(label="test", role="system"), "create", None, "submitted"
        )
        outbox = journal.outbox_rows(values["id"], {"ticket": {}}, ("ticket.created",))
        assert opening.insert_unless_open(session, values, ["x", "y"], event, outbox) is False
    after = {table: row_count(table) for table in before}
    assert after == before


def test_opening_without_tags_writes_no_tag_rows(api: ApiClient, row_count: Callable[[str], int]) -> None:
    created = api.create_ticket("Turnout was the lowest since 1950.")
    assert created["tags"] == []
    assert (row_count("tickets"), row_count("ticket_tags"), row_count("outbox_events")) == (1, 0, 1)


def test_two_new_tickets_get_their_own_rows(api: ApiClient, app: Flask) -> None:
    first = api.create_ticket("Turnout was the lowest since 1950.", tags=["elections"])
    second = api.create_ticket("Turnout was the highest since 1950.", tags=["elections", "records"])
    with app.app_context():
        session = db.session()
        tags = session.execute(select(TicketTag.ticket_id, TicketTag.tag).order_by(TicketTag.tag)).all()
    assert sorted(tags) == sorted(
        [(first["id"], "elections"), (second["id"], "elections"), (second["id"], "records")]
    )


def _open_and_roll_back(app: Flask, claim: str, *, begun: bool) -> None:
    """Open a ticket as a whole unit of work, then roll the session back."""
    with app.app_context():
        session = db.session()
        if begun:
            session.execute(select(Ticket.id).limit(1))  # the session's transaction has begun
        submission = intake.Submission.from_api({"claim": claim})
        result = intake.submit_claim(session, submission, Actor(label="test", role="system"), whole_unit=True)
        assert result.created
        session.rollback()


def test_a_whole_unit_opening_commits_by_itself_on_postgresql_only(
    app: Flask, row_count: Callable[[str], int]
) -> None:
    """On PostgreSQL the one statement runs in autocommit (no BEGIN, no COMMIT round trip), so
    a rollback after it undoes nothing; on SQLite the inserts stay in the session's transaction."""
    _open_and_roll_back(app, "Ferry fares fell in 2025.", begun=False)
    kept = 1 if app.extensions["factcheck.engine"].dialect.name == "postgresql" else 0
    written = (row_count("tickets"), row_count("ticket_events"), row_count("outbox_events"))
    assert written == (kept, kept, kept)


def test_a_whole_unit_opening_joins_a_transaction_already_begun(
    app: Flask, row_count: Callable[[str], int]
) -> None:
    _open_and_roll_back(app, "Ferry fares fell in 2025.", begun=True)
    assert (row_count("tickets"), row_count("ticket_events"), row_count("outbox_events")) == (0, 0, 0)
