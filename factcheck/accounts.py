"""People and their credentials, as admins and users manage them: passwords, roles, API tokens.

Creation and verification live in ``factcheck.auth``; this module changes what exists.
Functions flush, never commit.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factcheck import auth
from factcheck.db import utcnow
from factcheck.models import ROLES, ApiToken, User

PASSWORD_MIN = 10


class AccountError(ValueError):
    """The change is refused; the message says why, for the person who asked."""


def users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Replace ``user``'s password after checking the current one."""
    if not auth.verify_password(user, current):
        raise AccountError("The current password is wrong.")
    if len(new) < PASSWORD_MIN:
        raise AccountError(f"The new password needs at least {PASSWORD_MIN} characters.")
    user.password_hash = auth.hash_password(new)
    session.flush()


def password_fingerprint(user: User) -> str:
    """A short digest of the password hash: sessions signed in before a password change end."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def update_user(session: Session, user: User, role: str, active: bool) -> None:
    """Set role and active flag; the last active admin cannot demote or deactivate themself."""
    if role not in ROLES:
        raise AccountError(f"Role must be one of {', '.join(ROLES)}.")
    losing_admin = user.role == "admin" and user.active and (role != "admin" or not active)
    if losing_admin and _active_admins(session) <= 1:
        raise AccountError("This is the last active admin; make someone else admin first.")
    user.role, user.active = role, active
    session.flush()


def _active_admins(session: Session) -> int:
    count = session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.active))
    return int(count or 0)


def tokens(session: Session) -> list[ApiToken]:
    """Every API token, newest first (the token values themselves are never stored)."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id)))


def revoke_token(session: Session, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
