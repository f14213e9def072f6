"""Signing in and out (flask-login sessions) and changing one's password."""

from __future__ import annotations

import functools
import secrets
from urllib.parse import urlsplit

from flask import Response, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from factcheck import accounts, auth, db
from factcheck.models import User
from factcheck.web import forms
from factcheck.web.helpers import current, page

PASSWORD_KEY = "pw"  # noqa: S105 (a session key name, not a password)
"""Session key holding the password fingerprint the session was opened with."""


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    default = url_for("web.dashboard")
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else default


@functools.cache
def _decoy_hash() -> str:
    return auth.hash_password(secrets.token_urlsafe(16))


def _decoy() -> User:
    """A user nobody can be, whose password check takes as long as a real one."""
    return User(email="", role="checker", password_hash=_decoy_hash())


def sign_in() -> Response:
    if current_user.is_authenticated and "_user_id" in session:
        return redirect(_safe_next(request.args.get("next")))  # type: ignore[return-value]
    form = forms.SignInForm()
    if form.validate_on_submit():
        user = db.session().scalar(select(User).where(User.email == (form.email.data or "").lower()))
        # An unknown email costs one argon2 verification too: timing does not tell who has an account.
        checked = user if user is not None and user.password_hash else _decoy()
        password_ok = auth.verify_password(checked, form.password.data or "")
        if user is not None and user.active and checked is user and password_ok:
            session.clear()  # a fresh session: nothing carried over from before sign-in
            login_user(user)
            session[PASSWORD_KEY] = accounts.password_fingerprint(user)
            return redirect(_safe_next(request.args.get("next")))  # type: ignore[return-value]
        flash("Wrong email or password.", "error")
        return page("sign_in.html", status=401, form=form)
    return page("sign_in.html", status=400 if form.errors else 200, form=form)


def sign_out() -> Response:
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("web.sign_in"))  # type: ignore[return-value]


def change_password() -> Response:
    form = forms.PasswordForm()
    if form.validate_on_submit():
        user = current()
        try:
            accounts.change_password(
                db.session(), user, form.current_password.data or "", form.new_password.data or ""
            )
        except accounts.AccountError as exc:
            flash(str(exc), "error")
            return page("password.html", status=400, form=form)
        db.session().commit()
        session[PASSWORD_KEY] = accounts.password_fingerprint(user)
        flash("Your password is changed. Other sessions are signed out.", "info")
        return redirect(url_for("web.dashboard"))  # type: ignore[return-value]
    return page("password.html", status=400 if form.errors else 200, form=form)


def session_is_current() -> bool:
    """False when the password changed since this session signed in (elsewhere, or by reset)."""
    return session.get(PASSWORD_KEY) == accounts.password_fingerprint(current())
