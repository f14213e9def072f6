"""The collection job: move a ticket through ``collecting`` and gather its references.

Reference sources plug in here (see the reference-collection issue); until then the job
records that no source is enabled and hands the ticket to triage.
"""

from __future__ import annotations

import logging
import time

from flask import current_app
from rq import get_current_job

from factcheck import db, workflow
from factcheck.actors import SYSTEM
from factcheck.config import Settings
from factcheck.models import Ticket
from factcheck.tickets import journal

log = logging.getLogger(__name__)


def collect_references(ticket_id: str) -> str:
    """Collect references for one ticket. Safe to run twice: a finished ticket is left alone."""
    settings: Settings = current_app.extensions["factcheck.settings"]
    with db.unit_of_work() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            return "missing"
        if ticket.state == "submitted":
            workflow.perform(session, ticket, "start_collection", SYSTEM)
        elif ticket.collection_status not in ("queued", "running"):
            return "already-collected"
        else:
            ticket.collection_status = "running"
            ticket.collection_attempts += 1
    _report_progress(0.1)
    if settings.fault_collect_delay:
        time.sleep(settings.fault_collect_delay)
    sources: dict[str, dict[str, object]] = {}
    with db.unit_of_work() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            return "missing"
        ticket.collection_sources = sources
        if ticket.state == "collecting":
            workflow.perform(session, ticket, "finish_collection", SYSTEM, {"status": "done"})
        else:
            ticket.collection_status, ticket.collection_progress = "done", 1.0
            journal.record(
                session,
                ticket,
                SYSTEM,
                "collected",
                from_state=ticket.state,
                to_state=ticket.state,
                emit=("ticket.references_collected",),
            )
    _report_progress(1.0)
    return "done"


def give_up_collection(ticket_id: str, attempts: int) -> None:
    """After too many failed attempts, hand the ticket to people with collection ``failed``."""
    with db.unit_of_work() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.collection_status not in ("queued", "running"):
            return
        log.error("collection for %s failed %d times; sending it to triage", ticket_id, attempts)
        if ticket.state == "submitted":
            workflow.perform(session, ticket, "start_collection", SYSTEM)
        if ticket.state == "collecting":
            workflow.perform(session, ticket, "finish_collection", SYSTEM, {"status": "failed"})
        else:
            ticket.collection_status = "failed"


def _report_progress(progress: float) -> None:
    job = get_current_job()
    if job is not None:
        job.meta["progress"] = progress
        job.save_meta()
