"""Work on a ticket that is not a state change: references added by hand, pin and stance, the
verdict draft. Shared by the JSON API and the web app; functions flush, the caller commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from factcheck import workflow
from factcheck.actors import Actor
from factcheck.db import utcnow
from factcheck.models import STANCES, Reference, Ticket, VerdictDraft
from factcheck.tickets import effects, journal

EVIDENCE_EDITABLE = frozenset({"submitted", "collecting", "triage", "researching", "in_review"})
"""States in which references may be added, pinned or have their stance changed."""
VERDICT_EDITABLE = frozenset({"triage", "researching"})
"""States in which the verdict draft may be written."""
URL_MAX = 2048


class ReferenceNotFound(LookupError):
    """No such reference on this ticket (404)."""


def references(session: Session, ticket_id: str) -> list[Reference]:
    """The ticket's references: pinned first, then by rank, then oldest first."""
    return list(
        session.scalars(
            select(Reference)
            .where(Reference.ticket_id == ticket_id)
            .order_by(Reference.pinned.desc(), Reference.rank.asc().nulls_last(), Reference.retrieved_at)
        )
    )


def check_evidence_editable(ticket: Ticket) -> None:
    """Raise ``ActionNotAllowed`` (409) once the evidence is frozen (approved and later)."""
    if ticket.state not in EVIDENCE_EDITABLE:
        raise workflow.ActionNotAllowed(f"Evidence is frozen while the ticket is {ticket.state}.", allowed=[])


def add_reference(
    session: Session,
    ticket: Ticket,
    actor: Actor,
    url: str,
    title: str | None = None,
    passage: str | None = None,
    stance: str = "unknown",
) -> Reference:
    """Attach a reference found by a person; journaled as ``add_reference``."""
    check_evidence_editable(ticket)
    if stance not in STANCES:
        raise effects.Invalid({"stance": [f"Must be one of {', '.join(STANCES)}."]})
    reference = Reference(
        ticket_id=ticket.id,
        source="manual",
        url=url,
        title=title,
        passage=passage,
        stance=stance,
        added_by_id=actor.user_id,
        added_by_label=actor.label,
    )
    session.add(reference)
    session.flush()
    journal.record(
        session,
        ticket,
        actor,
        "add_reference",
        from_state=ticket.state,
        to_state=ticket.state,
        data={"reference_id": reference.id, "url": reference.url},
    )
    return reference


def update_reference(
    session: Session, ticket: Ticket, reference_id: str, actor: Actor, changes: dict[str, Any]
) -> Reference:
    """Set ``stance`` and/or ``pinned`` on one of the ticket's references; journaled."""
    check_evidence_editable(ticket)
    plausible = len(reference_id) <= 64 and reference_id.isprintable()  # PostgreSQL refuses NUL
    reference = session.get(Reference, reference_id) if plausible else None
    if reference is None or reference.ticket_id != ticket.id:
        raise ReferenceNotFound(reference_id)
    if not changes:
        raise effects.Invalid({"_schema": ["Send stance and/or pinned."]})
    if "stance" in changes and changes["stance"] not in STANCES:
        raise effects.Invalid({"stance": [f"Must be one of {', '.join(STANCES)}."]})
    if "pinned" in changes and not isinstance(changes["pinned"], bool):
        raise effects.Invalid({"pinned": ["Must be true or false."]})
    for name in ("stance", "pinned"):
        if name in changes:
            setattr(reference, name, changes[name])
    journal.record(
        session,
        ticket,
        actor,
        "update_reference",
        from_state=ticket.state,
        to_state=ticket.state,
        data={"reference_id": reference.id, **{k: changes[k] for k in ("stance", "pinned") if k in changes}},
    )
    return reference


def draft_verdict(
    session: Session,
    ticket: Ticket,
    actor: Actor,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> VerdictDraft:
    """Write the verdict draft ``{rating, summary}``: a new version of the ticket, journaled."""
    if expected_version is not None and expected_version != ticket.version:
        raise workflow.StaleVersion(f"ticket is at version {ticket.version}, not {expected_version}")
    if ticket.state not in VERDICT_EDITABLE:
        raise workflow.ActionNotAllowed(
            f"The verdict cannot be edited while the ticket is {ticket.state}.",
            allowed=workflow.allowed_actions(ticket.state, actor),
        )
    if ticket.assignee_id not in (None, actor.user_id) and not actor.has_role("editor"):
        raise effects.Forbidden("only the assignee or an editor may draft this verdict")
    draft = effects.save_draft(session, ticket, actor, data)
    ticket.updated_at = utcnow()  # a new draft is a new version of the ticket
    workflow.flush_compare_and_set(session)
    journal.record(
        session,
        ticket,
        actor,
        "draft_verdict",
        from_state=ticket.state,
        to_state=ticket.state,
        data={"rating": draft.rating},
    )
    return draft
