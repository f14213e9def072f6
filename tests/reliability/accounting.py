"""Accounting after a fault: what the database says happened to every ticket and every event.

Each fault-injection test ends by reading this ledger and asserting that every ticket and
every event is there exactly once: no ticket lost, none half-written, no job run twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import func, select

from factcheck import db
from factcheck.models import IdempotencyRecord, OutboxEvent, Reference, Ticket, TicketEvent


@dataclass
class TicketRecord:
    claim: str
    state: str
    demand: int
    collection_status: str
    collection_attempts: int
    tags: list[str]
    actions: Counter[str] = field(default_factory=Counter)
    """Audit events by action: ``create``, ``start_collection``, ``finish_collection``..."""
    outbox: Counter[str] = field(default_factory=Counter)
    """Outbox rows (events for webhooks) by event type."""
    references: int = 0
    distinct_references: int = 0
    """References with a distinct (URL, content hash): equal to ``references`` if none is duplicated."""


def ledger(app: Flask) -> dict[str, TicketRecord]:
    """Every ticket in the database, by id, with its journal, outbox rows and references counted."""
    with app.app_context():
        session = db.session()
        records = {
            ticket.id: TicketRecord(
                claim=ticket.claim,
                state=ticket.state,
                demand=ticket.demand,
                collection_status=ticket.collection_status,
                collection_attempts=ticket.collection_attempts,
                tags=ticket.tags,
            )
            for ticket in session.scalars(select(Ticket))
        }
        for ticket_id, action in session.execute(select(TicketEvent.ticket_id, TicketEvent.action)):
            records[ticket_id].actions[action] += 1
        for ticket_id, event_type in session.execute(select(OutboxEvent.ticket_id, OutboxEvent.event_type)):
            if ticket_id is not None:
                records[ticket_id].outbox[event_type] += 1
        for ticket_id, count in session.execute(
            select(Reference.ticket_id, func.count()).group_by(Reference.ticket_id)
        ):
            records[ticket_id].references = count
        distinct = select(Reference.ticket_id, Reference.url, Reference.content_sha256).distinct().subquery()
        for ticket_id, count in session.execute(
            select(distinct.c.ticket_id, func.count()).group_by(distinct.c.ticket_id)
        ):
            records[ticket_id].distinct_references = count
    return records


def idempotency_keys(app: Flask) -> dict[str, str]:
    """Stored ``Idempotency-Key`` → the id in the response it replays."""
    with app.app_context():
        rows = db.session().execute(select(IdempotencyRecord.key, IdempotencyRecord.response_body))
        return {key: str(body.get("id")) for key, body in rows}


def duplicates(records: dict[str, TicketRecord]) -> int:
    """Everything that happened more than once: extra tickets for one claim, extra collection
    runs, references stored twice."""
    extra = 0
    for record in records.values():
        extra += max(record.demand - 1, 0) + max(record.actions["create"] - 1, 0)
        extra += max(record.actions["start_collection"] - 1, 0) + max(
            record.actions["finish_collection"] - 1, 0
        )
        extra += record.references - record.distinct_references
    claims = [record.claim for record in records.values()]
    return extra + len(claims) - len(set(claims))


def assert_collected_once(records: dict[str, TicketRecord], references: int) -> None:
    """Every ticket reached triage through exactly one collection run, with one set of references."""
    problems = {
        ticket_id: record
        for ticket_id, record in records.items()
        if (
            record.state != "triage"
            or record.collection_status != "done"
            or record.actions["start_collection"] != 1
            or record.actions["finish_collection"] != 1
            or record.references != references
            or record.distinct_references != references
        )
    }
    assert not problems, f"{len(problems)} of {len(records)} tickets not collected exactly once: {problems}"
