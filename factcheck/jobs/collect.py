"""The collection job: move a ticket through ``collecting`` and gather its references.

Three steps, each short: (1) a transaction marks the ticket as collecting and reads the
claim; (2) with no database session open, every enabled source is asked in parallel, each
with its own timeout (``factcheck.references.registry``), and the answers are ranked;
(3) one transaction stores the references and hands the ticket to triage. Steps 1 and 3 first
take the ticket's row (``_locked_ticket``) so that two runs of the same job cannot both
finish: the second sees the collection done and leaves. Safe to run any number of times.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import current_app
from rq import get_current_job
from sqlalchemy import update
from sqlalchemy.orm import Session, joinedload

from factcheck import db, workflow
from factcheck.actors import SYSTEM
from factcheck.config import Settings
from factcheck.models import Ticket
from factcheck.references import ranking, registry, store
from factcheck.references.sources import ClaimQuery
from factcheck.tickets import journal

log = logging.getLogger(__name__)
UNFINISHED = ("queued", "running")


def collect_references(ticket_id: str) -> str:
    """Collect references for one ticket. Safe to run twice: a finished ticket is left alone."""
    settings: Settings = current_app.extensions["factcheck.settings"]
    query = _start(ticket_id)
    if isinstance(query, str):
        return query
    _report_progress(ticket_id, 0.1, database=False)  # _start stored 0.1 on the ticket
    if settings.fault_collect_delay:
        time.sleep(settings.fault_collect_delay)
    outcomes = registry.ask_all(
        query, settings, lambda done: _report_progress(ticket_id, 0.1 + 0.8 * done, database=done < 1)
    )
    trust = {source.name: source.trust for source in registry.enabled_sources(settings)}
    found = [candidate for outcome in outcomes for candidate in outcome.candidates]
    ranked = ranking.rank(query.claim, found, trust, settings.references_keep)
    matches = sorted(
        (c.match for c in found if c.match is not None), key=lambda match: -float(match["score"])
    )
    result = _finish(ticket_id, ranked, matches, {o.source: o.as_dict() for o in outcomes})
    if result == "done":
        _report_progress(ticket_id, 1.0, database=False)
    return result


def _locked_ticket(session: Session, ticket_id: str) -> Ticket | None:
    """The ticket, its row taken for this transaction, with what the journal will read.

    On PostgreSQL ``SELECT ... FOR UPDATE``: a second run waits here until the first commits,
    then reads its result. SQLite has no row locks: a write that changes nothing comes first,
    so the write lock is held before any read and no read is ever stale.
    """
    options = (joinedload(Ticket.tag_rows), joinedload(Ticket.verdict))
    if session.get_bind().dialect.name == "postgresql":
        lock: dict[str, Any] = {"of": Ticket}
        return session.get(Ticket, ticket_id, options=options, with_for_update=lock, populate_existing=True)
    taken = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id)
        .values(updated_at=Ticket.updated_at)
        .execution_options(synchronize_session=False)
    )
    if not taken.rowcount:  # type: ignore[attr-defined]
        return None
    return session.get(Ticket, ticket_id, options=options, populate_existing=True)


def _start(ticket_id: str) -> ClaimQuery | str:
    with db.unit_of_work() as session:
        ticket = _locked_ticket(session, ticket_id)
        if ticket is None:
            return "missing"
        if ticket.state != "submitted" and ticket.collection_status not in UNFINISHED:
            return "already-collected"
        ticket.collection_progress = 0.1
        if ticket.state == "submitted":
            workflow.perform(session, ticket, "start_collection", SYSTEM)
        else:
            ticket.collection_status = "running"
            ticket.collection_attempts += 1
        return ClaimQuery(
            ticket_id=ticket.id,
            claim=ticket.claim,
            source_url=ticket.source_url,
            language=ticket.language,
            claim_date=ticket.claim_date,
        )


def _finish(
    ticket_id: str,
    ranked: list[Any],
    matches: list[dict[str, Any]],
    sources: dict[str, dict[str, Any]],
) -> str:
    with db.unit_of_work() as session:
        ticket = _locked_ticket(session, ticket_id)
        if ticket is None:
            return "missing"
        if ticket.collection_status not in UNFINISHED:
            return "already-collected"
        added = store.replace_references(session, ticket_id, ranked)
        ticket.collection_sources = sources
        ticket.matches = store.merge_matches(ticket.matches or [], matches)
        data = {"status": "done", "references": added}
        if ticket.state == "collecting":
            workflow.perform(session, ticket, "finish_collection", SYSTEM, data)
        else:  # ``recollect`` on a ticket people already work on: the state stays
            ticket.collection_status, ticket.collection_progress = "done", 1.0
            workflow.flush_compare_and_set(session)
            journal.record(
                session,
                ticket,
                SYSTEM,
                "collected",
                from_state=ticket.state,
                to_state=ticket.state,
                data={"references": added},
                emit=("ticket.references_collected",),
            )
    return "done"


def give_up_collection(ticket_id: str, attempts: int) -> None:
    """After too many failed attempts, hand the ticket to people with collection ``failed``."""
    with db.unit_of_work() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.collection_status not in UNFINISHED:
            return
        log.error("collection for %s failed %d times; sending it to triage", ticket_id, attempts)
        if ticket.state == "submitted":
            workflow.perform(session, ticket, "start_collection", SYSTEM)
        if ticket.state == "collecting":
            workflow.perform(session, ticket, "finish_collection", SYSTEM, {"status": "failed"})
        else:
            ticket.collection_status = "failed"


def _report_progress(ticket_id: str, progress: float, database: bool = True) -> None:
    """Progress in the job's meta and, between sources, in ``collection.progress`` (without a
    new ticket version: progress is not an edit)."""
    job = get_current_job()
    if job is not None:
        job.meta["progress"] = round(progress, 3)
        job.save_meta()
    if database:
        with db.unit_of_work() as session:
            session.execute(
                update(Ticket)
                .where(Ticket.id == ticket_id, Ticket.collection_status == "running")
                .values(collection_progress=round(progress, 3), updated_at=Ticket.updated_at)
                .execution_options(synchronize_session=False)
            )
