"""Small helpers shared by the web views: who is acting, role checks, pages, JS-aware answers."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, jsonify, make_response, render_template, request
from flask_login import current_user

from factcheck import db
from factcheck.actors import Actor
from factcheck.config import Settings
from factcheck.models import Ticket, User
from factcheck.tickets import effects
from factcheck.workflow import WorkflowError

SERVICE_ERRORS = (WorkflowError, effects.Forbidden, effects.Invalid)
"""What a service refuses with: each becomes a message for the person, never a 500."""


def settings() -> Settings:
    value: Settings = current_app.extensions["factcheck.settings"]
    return value


def current() -> User:
    """The signed-in user (the blueprint's before_request guarantees there is one)."""
    user: User = current_user._get_current_object()
    return user


def actor() -> Actor:
    return Actor.for_user(current())


def require_role(role: str) -> Actor:
    """The acting user if they have ``role``; 403 otherwise."""
    acting = actor()
    if not acting.has_role(role):
        abort(403, description=f"This page needs the {role} role.")
    return acting


def require_role_or_404(role: str, description: str) -> Actor:
    """For the page of one object of an admin area: without ``role``, the 404 of an unknown id,
    so that an id never confirms the object exists (API.md: 404 for objects the caller may not see)."""
    acting = actor()
    if not acting.has_role(role):
        abort(404, description=description)
    return acting


def plausible_id(value: str) -> bool:
    return len(value) <= 64 and value.isprintable()


def ticket_or_404(ticket_id: str) -> Ticket:
    ticket = db.session().get(Ticket, ticket_id) if plausible_id(ticket_id) else None
    if ticket is None:
        abort(404, description="No such ticket.")
    return ticket


def page(template: str, status: int = 200, **context: Any) -> Response:
    """Render ``templates/web/<template>``; signed-in pages are never stored by caches."""
    response = make_response(render_template(f"web/{template}", **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def wants_json() -> bool:
    """True for our own script's fetch() calls, which ask for JSON instead of a redirect."""
    return request.accept_mimetypes.best == "application/json"


def json_answer(body: dict[str, Any], status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def error_message(error: Exception) -> str:
    """A person-readable sentence for a service error."""
    if isinstance(error, effects.Invalid):
        return " ".join(_field_message(field, messages) for field, messages in error.errors.items())
    if isinstance(error, WorkflowError | effects.Forbidden):
        return str(error.detail)
    return str(error)


def _field_message(field: str, messages: list[str]) -> str:
    """``Reason: This field is required.``; errors about the whole payload (``_schema``) bare."""
    text = " ".join(messages)
    return text if field.startswith("_") else f"{field.replace('_', ' ').capitalize()}: {text}"


def flash_form_errors(errors: dict[str, list[str]]) -> None:
    for field, messages in errors.items():
        for message in messages:
            flash(f"{field.replace('_', ' ').capitalize()}: {message}", "error")
