"""Authentication: argon2 password hashes, bearer API tokens, and the flask-login wiring.

A request that sends ``Authorization: Bearer <token>`` is authenticated by that token alone: its
cookies (a browser session, a remember-me cookie) are neither read nor written back, so a token
request never depends on, or changes, a cookie session. Other requests go through flask-login
as usual: the session cookie, then the remember-me cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Request, Response, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import LoginManager
from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.orm import Session

from factcheck import db, token_owners
from factcheck.db import utcnow
from factcheck.models import ROLES, ApiToken, User
from factcheck.token_owners import TokenOwner

TOKEN_PREFIX = "fct_"  # noqa: S105 (a public prefix, not a secret)
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is safe here, unlike for passwords.
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, email: str, role: str, password: str | None = None) -> User:
    """Add a user (flushes). Raises ValueError on an unknown role or a taken email."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    email = email.strip().lower()
    if "@" not in email:
        raise ValueError("not an email address")
    if session.scalar(select(User.id).where(User.email == email)):
        raise ValueError(f"a user with email {email} exists")
    user = User(email=email, role=role, password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    return user


def create_token(session: Session, user: User, name: str = "") -> str:
    """Issue a token for ``user``; the returned value is shown once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=hash_token(token), prefix=token[:10]))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> TokenOwner | None:
    """The active user owning ``token``, or None: from this process's memory while the
    credentials epoch allows (``factcheck.token_owners``), else in one query.

    When the token's ``last_used_at`` is more than five minutes old it is brought up to date
    in a transaction of its own once the request's session is closed: kept even for read-only
    requests, and never holding a lock while the request runs (SQLite has one write lock).
    """
    token_hash = hash_token(token)
    epoch = token_owners.current_epoch()  # read before the database: see token_owners.remember
    entry = token_owners.remembered(token_hash, epoch)
    now = utcnow()
    if entry is not None:
        owner, last_used_at = entry.owner, entry.last_used_at
    else:
        row = session.execute(_OWNER_OF_TOKEN_HASH, {"token_hash": token_hash}).first()
        if row is None or not row.active:
            return None
        owner = TokenOwner(id=row.id, email=row.email, role=row.role, token_id=row.token_id)
        last_used_at = row.last_used_at
        entry = token_owners.remember(token_hash, owner, epoch, last_used_at)
    if last_used_at is None or now - last_used_at > timedelta(minutes=5):
        db.after_session(lambda engine: _record_use(engine, owner.token_id, now))
        if entry is not None:
            entry.last_used_at = now
    return owner


_OWNER_OF_TOKEN_HASH = (
    select(User.id, User.email, User.role, User.active, ApiToken.id.label("token_id"), ApiToken.last_used_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
)
"""Built once: constructing this select for every request cost more than running it."""


def _record_use(engine: Engine, token_id: str, now: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, None without one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _load_user_from_request(request: Request) -> TokenOwner | None:
    token = bearer_token(request)
    return None if token is None else user_for_token(db.session(), token)


def _load_user_from_session(user_id: str) -> User | None:
    user = db.session().get(User, user_id)
    return user if user is not None and user.active else None


_BY_BEARER = "factcheck.bearer_request"  # set on flask.g for a request a token authenticated


class _LoginManager(LoginManager):
    """flask-login, with token requests kept away from the cookie session (see the module).

    ``_load_user`` and ``_update_remember_cookie`` are the two places flask-login (0.6, pinned)
    reads and writes the cookie session; ``tests/web/test_sessions.py`` pins what this changes.
    """

    def _load_user(self) -> None:
        if bearer_token(request) is None:
            return super()._load_user()
        setattr(g, _BY_BEARER, True)
        return self._update_request_context_with_user(self._load_user_from_request(request))

    def _update_remember_cookie(self, response: Response) -> Response:
        if g.get(_BY_BEARER):
            return response
        return super()._update_remember_cookie(response)


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, which builds no signer for a request that sends no cookie."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = _SessionInterface()
    manager = _LoginManager()
    manager.request_loader(_load_user_from_request)
    manager.user_loader(_load_user_from_session)
    manager.init_app(app)
    token_owners.init_app(app)
