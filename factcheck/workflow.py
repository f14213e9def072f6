"""The ticket state machine: states, actions, role guards and effects.

``TRANSITIONS`` is the whole workflow as data. ``perform`` is the only code that assigns
``Ticket.state``; everything else asks it to. Each action's effect (payload checks and the
fields it changes) lives in ``factcheck.tickets.effects``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from factcheck.actors import Actor
from factcheck.models import Ticket
from factcheck.observability import states
from factcheck.tickets import effects, journal

STATES = (
    "submitted",
    "collecting",
    "triage",
    "researching",
    "in_review",
    "approved",
    "published",
    "rejected",
    "merged",
    "retracted",
)
CLOSED_STATES = frozenset({"rejected", "merged", "retracted"})
SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    target: str | None
    """The next state; None keeps the current one."""
    role: str
    """Least role allowed to take the action, or ``system`` for workers only."""


_OPEN_AFTER_COLLECTION = ("triage", "researching", "in_review", "approved", "published")

TRANSITIONS: dict[tuple[str, str], Transition] = {
    ("submitted", "start_collection"): Transition("collecting", SYSTEM),
    ("collecting", "finish_collection"): Transition("triage", SYSTEM),
    ("triage", "accept"): Transition("researching", "checker"),
    ("triage", "reject"): Transition("rejected", "editor"),
    ("triage", "merge"): Transition("merged", "editor"),
    ("researching", "submit"): Transition("in_review", "checker"),
    # approve holds the ticket in review until Settings.required_approvals distinct editors
    # approved (the effect counts them and answers ``Outcome.hold``).
    ("in_review", "approve"): Transition("approved", "editor"),
    ("in_review", "request_changes"): Transition("researching", "editor"),
    ("approved", "publish"): Transition("published", "editor"),
    ("published", "reopen"): Transition("researching", "editor"),
    ("published", "retract"): Transition("retracted", "editor"),
    ("rejected", "reopen"): Transition("triage", "editor"),
    ("merged", "reopen"): Transition("triage", "editor"),
    ("retracted", "reopen"): Transition("triage", "editor"),
    **{(state, "recollect"): Transition(None, "checker") for state in _OPEN_AFTER_COLLECTION},
}

ACTIONS = tuple(sorted({action for (_state, action), t in TRANSITIONS.items() if t.role != SYSTEM}))
"""Actions people and API clients can take."""

ACTION_FIELDS: dict[str, frozenset[str]] = {
    "accept": frozenset({"assignee"}),
    "reject": frozenset({"reason"}),
    "merge": frozenset({"duplicate_of"}),
    "submit": frozenset({"rating", "summary"}),
    "approve": frozenset(),
    "request_changes": frozenset({"note"}),
    "publish": frozenset({"kind", "note"}),
    "reopen": frozenset({"note"}),
    "retract": frozenset({"note"}),
    "recollect": frozenset(),
}
"""The body fields each action takes (API.md; ``publish`` also takes the ``kind`` and ``note`` of
a new version). The API refuses any other field rather than ignore it."""

EXTRA_EVENTS: dict[str, tuple[str, ...]] = {
    "finish_collection": ("ticket.references_collected",),
    "retract": ("ticket.retracted",),
}


class WorkflowError(Exception):
    """Base of the errors an action can end in; each maps to one HTTP status."""

    status = 409

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class ActionNotAllowed(WorkflowError):
    """The action does not exist or is not valid in the ticket's state (409, with ``allowed``)."""

    status = 409


class ConcurrentChange(WorkflowError):
    """Another change to the ticket committed first (409)."""

    status = 409


class StaleVersion(WorkflowError):
    """The client's ``If-Match`` names an older version (412)."""

    status = 412


def allowed_actions(state: str, actor: Actor) -> list[str]:
    """The actions ``actor`` may take on a ticket in ``state``."""
    return sorted(
        action
        for (source, action), transition in TRANSITIONS.items()
        if source == state and transition.role != SYSTEM and actor.has_role(transition.role)
    )


def perform(
    session: Session,
    ticket: Ticket,
    action: str,
    actor: Actor,
    payload: dict[str, Any] | None = None,
    *,
    expected_version: int | None = None,
) -> Ticket:
    """Apply ``action`` to ``ticket`` as ``actor``: check, change, journal, flush (compare-and-set).

    Raises a ``WorkflowError`` subclass, ``effects.Forbidden`` or ``effects.Invalid``; the
    caller's transaction is then to be rolled back.
    """
    payload = payload or {}
    if expected_version is not None and ticket.version != expected_version:
        raise StaleVersion(f"ticket is at version {ticket.version}, not {expected_version}")
    transition = TRANSITIONS.get((ticket.state, action))
    if transition is None:
        raise ActionNotAllowed(
            f"{action!r} is not possible while the ticket is {ticket.state}",
            allowed=allowed_actions(ticket.state, actor),
        )
    _check_role(transition, actor, action)
    from_state = ticket.state
    outcome = effects.apply(session, ticket, action, actor, payload)
    if transition.target is not None and not outcome.hold:
        ticket.state = transition.target
    flush_compare_and_set(session)
    emit: tuple[str, ...] = ()
    if ticket.state != from_state:  # not when the action held the ticket (or kept its state)
        emit = ("ticket.state_changed", *EXTRA_EVENTS.get(action, ()), *outcome.events)
        states.record_state_left(session, ticket.id, from_state)
    journal.record(
        session,
        ticket,
        actor,
        action,
        from_state=from_state,
        to_state=ticket.state,
        data=outcome.data,
        emit=emit,
    )
    return ticket


def _check_role(transition: Transition, actor: Actor, action: str) -> None:
    if transition.role == SYSTEM:
        if not actor.is_system:
            raise effects.Forbidden(f"{action!r} is taken by the service itself")
    elif not actor.has_role(transition.role):
        raise effects.Forbidden(f"{action!r} needs the {transition.role} role")


def flush_compare_and_set(session: Session) -> None:
    """Flush; the version column makes the UPDATE conditional on the version we read."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConcurrentChange("the ticket was changed by someone else; reload and retry") from exc
