"""Who owns a bearer token: remembered per process, and trusted only while Redis says nothing changed.

Looking the owner up in the database on every API request cost a fifth of a ticket intake's
CPU. So each process remembers, under the token's hash, what it found (the user's id, email and
role, and the token's id), tagged with the *credentials epoch*: a random value in Redis that is
replaced after every commit that adds, changes or deletes a user or a token (a revocation, a
deactivation, a new role). A request reads the epoch (one GET) and uses what it remembered only
while the epoch is the one it was remembered under and the entry is younger than ``MAX_AGE``;
otherwise it asks the database again. So a revoked token or a deactivated user stops working at
once in every process. When Redis is unreachable nothing is remembered or trusted; a change made
around the ORM (SQL by hand), or one whose new epoch could not be written, is seen within
``MAX_AGE``. Unknown, revoked and inactive tokens are never remembered.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import redis
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from factcheck import queue
from factcheck.db import new_id
from factcheck.models import ROLES, ApiToken, User

log = logging.getLogger(__name__)

EPOCH_KEY = "factcheck:auth:epoch"
MAX_AGE = 30.0
"""Seconds an owner is trusted from memory at most, epoch or not."""
MAX_ENTRIES = 10_000
"""Remembered tokens per process; all are forgotten when there would be more."""
_CHANGED = "factcheck.credentials_changed"
_EXTENSION = "factcheck.token_owners"


@dataclass(frozen=True)
class TokenOwner:
    """The signed-in user of a bearer-token request (flask-login's user): who, not an ORM row."""

    id: str
    email: str
    role: str
    token_id: str
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.id

    def has_role(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass
class _Remembered:
    owner: TokenOwner
    epoch: bytes
    since: float
    last_used_at: Any
    """The token's ``last_used_at`` as this process last knew or wrote it."""


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = {}
    sessions = app.extensions["factcheck.sessionmaker"]
    event.listen(sessions, "after_flush", _note_credential_changes)
    event.listen(sessions, "after_commit", _new_epoch_after_commit)
    event.listen(sessions, "after_rollback", _forget_changes)


def current_epoch() -> bytes | None:
    """The credentials epoch, made on first use; None when Redis does not answer."""
    try:
        conn = queue.connection()
        epoch = conn.get(EPOCH_KEY)
        if epoch is None:
            conn.set(EPOCH_KEY, new_id(), nx=True)
            epoch = conn.get(EPOCH_KEY)
    except redis.RedisError as exc:
        log.debug("credentials epoch unreadable (%s): token owners come from the database", exc)
        return None
    return epoch if isinstance(epoch, bytes) else None


def remembered(token_hash: str, epoch: bytes | None) -> _Remembered | None:
    if epoch is None:
        return None
    entry: _Remembered | None = _memory().get(token_hash)
    if entry is None or entry.epoch != epoch or time.monotonic() - entry.since > MAX_AGE:
        return None
    return entry


def remember(
    token_hash: str, owner: TokenOwner, epoch: bytes | None, last_used_at: Any
) -> _Remembered | None:
    """Remember ``owner`` under the epoch read *before* the database was asked (None: not
    remembered, as Redis did not answer)."""
    if epoch is None:
        return None
    memory = _memory()
    if len(memory) >= MAX_ENTRIES:
        memory.clear()
    entry = memory[token_hash] = _Remembered(owner, epoch, time.monotonic(), last_used_at)
    return entry


def _memory() -> dict[str, _Remembered]:
    memory: dict[str, _Remembered] = current_app.extensions[_EXTENSION]
    return memory


def _note_credential_changes(session: Session, _context: Any) -> None:
    for rows in (session.new, session.dirty, session.deleted):
        if any(isinstance(row, User | ApiToken) for row in rows):
            session.info[_CHANGED] = True
            return


def _new_epoch_after_commit(session: Session) -> None:
    if not session.info.pop(_CHANGED, False):
        return
    try:
        queue.connection().set(EPOCH_KEY, new_id())
    except redis.RedisError as exc:
        log.warning(
            "could not renew the credentials epoch (%s): other processes see the change within %d seconds",
            exc,
            MAX_AGE,
        )


def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGED, None)
