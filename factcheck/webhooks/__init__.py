"""Webhooks: Standard Webhooks signing, inbound claim intake, outbound fan-out and delivery.

``init_app`` checks the webhook settings and arranges for a fan-out pass to be enqueued
after every commit that wrote outbox rows, whichever request or job made it: no code that
records an event has to remember to kick the delivery.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from limits import parse_many
from sqlalchemy import event
from sqlalchemy.orm import Session

from factcheck.config import Settings, SettingsError
from factcheck.models import OutboxEvent
from factcheck.models.outbox import OUTBOX_WRITTEN
from factcheck.references import safe_http
from factcheck.webhooks import transport

_PENDING = OUTBOX_WRITTEN


def init_app(app: Flask) -> None:
    settings: Settings = app.extensions["factcheck.settings"]
    app.extensions["factcheck.outbound_policy"] = safe_http.policy_from_settings(settings)
    try:
        parse_many(settings.inbound_rate_limit)
    except ValueError as exc:
        raise SettingsError(
            f"FACTCHECK_INBOUND_RATE_LIMIT must be like '300 per minute', got {settings.inbound_rate_limit!r}"
        ) from exc
    sessions = app.extensions["factcheck.sessionmaker"]
    event.listen(sessions, "after_flush", _note_outbox_rows)
    event.listen(sessions, "after_commit", _dispatch_after_commit)
    event.listen(sessions, "after_rollback", _forget)


def _note_outbox_rows(session: Session, _context: Any) -> None:
    if any(isinstance(row, OutboxEvent) for row in session.new):
        session.info[_PENDING] = True


def _dispatch_after_commit(session: Session) -> None:
    if session.info.pop(_PENDING, False):
        transport.enqueue_dispatch()


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
