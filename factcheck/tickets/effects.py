"""What each workflow action checks and changes besides the state itself.

Called only by ``factcheck.workflow.perform``, before the state is set. Each effect
validates the action's payload, changes the ticket's other fields and returns the data
for the audit event (and any extra outbox event types).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factcheck.actors import Actor
from factcheck.claims import index as claim_index
from factcheck.claims import linking
from factcheck.db import utcnow
from factcheck.models import Publication, Reference, Ticket, TicketEvent, User, VerdictDraft
from factcheck.ratings import find_rating
from factcheck.tickets.representation import latest_publication

NOTE_MAX = 5000


class Forbidden(Exception):
    """The actor may not do this to this ticket (403)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Invalid(Exception):
    """The action's payload or the ticket's content fails a guard (422, with field errors)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class Outcome:
    data: dict[str, Any] = field(default_factory=dict)
    events: tuple[str, ...] = ()
    hold: bool = False
    """The action counted but the ticket stays where it is (an approval short of the quorum)."""


Effect = Callable[[Session, Ticket, Actor, dict[str, Any]], Outcome]


def apply(session: Session, ticket: Ticket, action: str, actor: Actor, payload: dict[str, Any]) -> Outcome:
    return _EFFECTS[action](session, ticket, actor, payload)


def _required_text(payload: dict[str, Any], name: str, max_length: int = NOTE_MAX) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Invalid({name: ["This field is required."]})
    if len(value) > max_length:
        raise Invalid({name: [f"Longer than {max_length} characters."]})
    return value.strip()


def _start_collection(session: Session, ticket: Ticket, _a: Actor, _p: dict[str, Any]) -> Outcome:
    """The first step of the collection job: match the claim against earlier ones, then index it
    for later ones (kept out of intake, which must stay fast)."""
    ticket.collection_status = "running"
    ticket.collection_attempts += 1
    found = linking.matches_for(session, ticket.claim, ticket.claim_date, exclude_ticket=ticket.id)
    ticket.matches = found  # a submitted ticket has none yet: intake does not match
    claim_index.index_ticket(session, ticket)
    return Outcome({"attempt": ticket.collection_attempts, **linking.audit_data(found)})


def _finish_collection(_s: Session, ticket: Ticket, _a: Actor, payload: dict[str, Any]) -> Outcome:
    ticket.collection_status = payload.get("status", "done")
    ticket.collection_progress = 1.0
    return Outcome({"collection": ticket.collection_status})


def _accept(session: Session, ticket: Ticket, actor: Actor, payload: dict[str, Any]) -> Outcome:
    wanted = payload.get("assignee")
    if wanted is None:  # the actor takes it
        assignee = session.get(User, actor.user_id) if actor.user_id is not None else None
    else:
        if not isinstance(wanted, str):
            raise Invalid({"assignee": ["Expected a user id or email."]})
        assignee = session.scalar(select(User).where((User.id == wanted) | (User.email == wanted.lower())))
        if assignee is None or not assignee.active:
            raise Invalid({"assignee": ["No such active user."]})
        if assignee.id != actor.user_id and not actor.has_role("editor"):
            raise Forbidden("checkers may only assign tickets to themselves")
    if assignee is None:
        raise Invalid({"assignee": ["This field is required for integrations."]})
    ticket.assignee_id = assignee.id
    ticket.assignee = assignee
    return Outcome({"assignee": assignee.id})


def _reject(_s: Session, ticket: Ticket, _a: Actor, payload: dict[str, Any]) -> Outcome:
    reason = _required_text(payload, "reason")
    ticket.open_claim_key = None
    return Outcome({"reason": reason})


def _merge(session: Session, ticket: Ticket, _a: Actor, payload: dict[str, Any]) -> Outcome:
    target_id = payload.get("duplicate_of")
    if not isinstance(target_id, str) or not target_id:
        raise Invalid({"duplicate_of": ["This field is required."]})
    target = session.get(Ticket, target_id)
    if target is None:
        raise Invalid({"duplicate_of": ["No such ticket."]})
    if target.id == ticket.id or target.state in ("merged", "rejected"):
        raise Invalid({"duplicate_of": ["Cannot merge into this ticket."]})
    ticket.duplicate_of_id = target.id
    ticket.open_claim_key = None
    target.demand += ticket.demand
    return Outcome({"duplicate_of": target.id})


def _submit(session: Session, ticket: Ticket, actor: Actor, payload: dict[str, Any]) -> Outcome:
    if ticket.assignee_id not in (None, actor.user_id) and not actor.has_role("editor"):
        raise Forbidden("only the assignee or an editor may submit this ticket")
    if "rating" in payload or "summary" in payload:
        save_draft(session, ticket, actor, payload)
    errors: dict[str, list[str]] = {}
    if ticket.verdict is None or find_rating(session, ticket.verdict.rating) is None:
        errors["rating"] = ["A rating from the scale is required."]
    if ticket.verdict is None or not ticket.verdict.summary.strip():
        errors["summary"] = ["A summary is required."]
    pinned = session.scalar(
        select(func.count()).select_from(Reference).where(Reference.ticket_id == ticket.id, Reference.pinned)
    )
    if not pinned:
        errors["references"] = ["Pin at least one reference as evidence."]
    if errors:
        raise Invalid(errors)
    ticket.researcher_id = actor.user_id
    assert ticket.verdict is not None
    return Outcome({"rating": ticket.verdict.rating})


def save_draft(session: Session, ticket: Ticket, actor: Actor, payload: dict[str, Any]) -> VerdictDraft:
    """Create or update the verdict draft from ``{rating, summary}`` (both required)."""
    errors: dict[str, list[str]] = {}
    rating, summary = payload.get("rating"), payload.get("summary")
    if not isinstance(rating, str) or find_rating(session, rating) is None:
        errors["rating"] = ["Not a rating on the scale."]
    if not isinstance(summary, str) or not summary.strip():
        errors["summary"] = ["This field is required."]
    elif len(summary) > 20_000:
        errors["summary"] = ["Longer than 20000 characters."]
    if errors:
        raise Invalid(errors)
    assert isinstance(rating, str) and isinstance(summary, str)
    draft = ticket.verdict or VerdictDraft(ticket_id=ticket.id, rating=rating, summary=summary)
    draft.rating, draft.summary, draft.author_id = rating, summary.strip(), actor.user_id
    draft.author = session.get(User, actor.user_id) if actor.user_id is not None else None
    ticket.verdict = draft
    session.flush()
    return draft


def _approve(session: Session, ticket: Ticket, actor: Actor, _p: dict[str, Any]) -> Outcome:
    """Count one editor's approval; the ticket moves on once ``required_approvals`` editors agreed."""
    if ticket.researcher_id is not None and ticket.researcher_id == actor.user_id:
        raise Forbidden("the researcher who submitted a verdict cannot approve it (four-eyes rule)")
    approvers = _approvers_since_submit(session, ticket.id)
    if actor.user_id in approvers:
        raise Forbidden("you have already approved this verdict; another editor must approve it")
    required: int = current_app.extensions["factcheck.settings"].required_approvals
    count = len(approvers) + 1
    # Each approval is a change to the ticket: its version goes up, so two editors approving
    # at the same moment cannot both count as "the first of two" (compare-and-set in perform).
    ticket.updated_at = utcnow()
    return Outcome({"approvals": count, "required": required}, hold=count < required)


def _approvers_since_submit(session: Session, ticket_id: str) -> set[str | None]:
    """Who approved the verdict submitted last (approvals of earlier rounds do not count)."""
    last_submit = select(func.max(TicketEvent.id)).where(
        TicketEvent.ticket_id == ticket_id, TicketEvent.action == "submit"
    )
    return set(
        session.scalars(
            select(TicketEvent.actor_id).where(
                TicketEvent.ticket_id == ticket_id,
                TicketEvent.action == "approve",
                TicketEvent.id > last_submit.scalar_subquery(),
            )
        )
    )


def _request_changes(_s: Session, _t: Ticket, _a: Actor, payload: dict[str, Any]) -> Outcome:
    return Outcome({"note": _required_text(payload, "note")})


def _publish(session: Session, ticket: Ticket, actor: Actor, payload: dict[str, Any]) -> Outcome:
    previous = latest_publication(session, ticket.id)
    draft = ticket.verdict
    assert draft is not None, "approved tickets always have a verdict"
    kind, note = "initial", None
    last_rated = _last_rated(session, ticket.id)
    if previous is not None:
        kind = payload.get("kind") or (
            "correction" if last_rated is not None and last_rated.rating != draft.rating else "update"
        )
        if kind not in ("update", "correction"):
            raise Invalid({"kind": ["Must be 'update' or 'correction'."]})
        note = payload.get("note") or _last_note(session, ticket.id)
        if not note:
            raise Invalid({"note": ["A public note is required for a new version."]})
    publication = Publication(
        ticket_id=ticket.id,
        version=(previous.version + 1) if previous else 1,
        kind=kind,
        slug=previous.slug if previous else _slug(ticket),
        rating=draft.rating,
        summary=draft.summary,
        previous_rating=last_rated.rating if last_rated else None,
        note=note,
        published_by_id=actor.user_id,
        evidence=_evidence(session, ticket.id),
    )
    session.add(publication)
    events = ("ticket.published",) if kind == "initial" else ("ticket.corrected",)
    return Outcome({"publication_version": publication.version, "kind": kind}, events)


def _reopen(session: Session, ticket: Ticket, _a: Actor, payload: dict[str, Any]) -> Outcome:
    note = _required_text(payload, "note")
    if ticket.open_claim_key is None:
        holder = session.scalar(select(Ticket.id).where(Ticket.open_claim_key == ticket.claim_key))
        ticket.open_claim_key = None if holder else ticket.claim_key
    return Outcome({"note": note})


def _retract(session: Session, ticket: Ticket, actor: Actor, payload: dict[str, Any]) -> Outcome:
    note = _required_text(payload, "note")
    previous = latest_publication(session, ticket.id)
    assert previous is not None, "published tickets always have a publication"
    session.add(
        Publication(
            ticket_id=ticket.id,
            version=previous.version + 1,
            kind="retraction",
            slug=previous.slug,
            rating=None,
            summary=None,
            previous_rating=previous.rating,
            note=note,
            published_by_id=actor.user_id,
        )
    )
    ticket.open_claim_key = None
    return Outcome({"note": note, "publication_version": previous.version + 1})


def _recollect(_s: Session, ticket: Ticket, _a: Actor, _p: dict[str, Any]) -> Outcome:
    ticket.collection_status = "queued"
    ticket.collection_progress = 0.0
    ticket.collection_attempts = 0
    return Outcome()


def _last_rated(session: Session, ticket_id: str) -> Publication | None:
    return session.scalars(
        select(Publication)
        .where(Publication.ticket_id == ticket_id, Publication.rating.is_not(None))
        .order_by(Publication.version.desc())
        .limit(1)
    ).first()


def _evidence(session: Session, ticket_id: str) -> list[dict[str, Any]]:
    """The pinned references as they are now: the evidence list of the version being published."""
    pinned = session.scalars(
        select(Reference)
        .where(Reference.ticket_id == ticket_id, Reference.pinned)
        .order_by(Reference.rank.asc().nulls_last(), Reference.retrieved_at, Reference.id)
    )
    return [
        {
            "reference_id": ref.id,
            "title": ref.title,
            "url": ref.url,
            "publisher": ref.publisher,
            "published_at": ref.published_at.isoformat() if ref.published_at else None,
            "passage": ref.passage,
            "stance": ref.stance,
            "document_id": ref.document_id,
            "content_sha256": ref.content_sha256,
            "retrieved_at": ref.retrieved_at.isoformat(),
        }
        for ref in pinned
    ]


def _last_note(session: Session, ticket_id: str) -> str | None:
    event = session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.action == "reopen")
        .order_by(TicketEvent.id.desc())
        .limit(1)
    ).first()
    return event.data.get("note") if event else None


def _slug(ticket: Ticket) -> str:
    ascii_text = unicodedata.normalize("NFKD", ticket.claim).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())[:8]
    return "-".join([*words, ticket.id[:8]])


_EFFECTS: dict[str, Effect] = {
    "start_collection": _start_collection,
    "finish_collection": _finish_collection,
    "accept": _accept,
    "reject": _reject,
    "merge": _merge,
    "submit": _submit,
    "approve": _approve,
    "request_changes": _request_changes,
    "publish": _publish,
    "reopen": _reopen,
    "retract": _retract,
    "recollect": _recollect,
}
