"""HTTP hardening for the whole app: security headers on every response and CSRF protection.

Headers are set with ``setdefault``: a blueprint that needs a stricter policy for its own
pages (the public fact-check pages) sets it in its view and keeps it.

CSRF (Flask-WTF) is checked on every unsafe request that a browser could be tricked into
sending with its cookies. Exempt are requests that carry an ``Authorization`` header (API
clients with bearer tokens: a cross-site form cannot add that header), API requests without
a signed-in session (the API answers them 401 itself) and signed inbound webhooks.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request, session
from flask_wtf.csrf import CSRFProtect

from factcheck.config import Settings

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
"""Our own pages load scripts and styles from our origin only: no inline script, no inline style."""
HSTS = "max-age=63072000; includeSubDomains"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_EXEMPT_BLUEPRINTS = frozenset({"hooks"})
"""Blueprints whose requests authenticate by signature, never by cookie."""
API_PREFIX = "/api/"

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # checked by ``_protect_from_csrf`` with the exemptions above
        WTF_CSRF_TIME_LIMIT=None,  # valid for the session: a workspace stays open all day
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=app.config.get("SESSION_COOKIE_SECURE", False),
    )
    csrf.init_app(app)
    app.before_request(_protect_from_csrf)
    app.after_request(_security_headers)


def _needs_csrf_check() -> bool:
    if request.method in SAFE_METHODS or request.blueprint in CSRF_EXEMPT_BLUEPRINTS:
        return False
    if "Authorization" in request.headers:
        return False
    return not (request.path.startswith(API_PREFIX) and "_user_id" not in session)


def _protect_from_csrf() -> None:
    if _needs_csrf_check():
        csrf.protect()  # 400 CSRFError without a valid token (form field or X-CSRFToken header)


def _security_headers(response: Response) -> Response:
    settings: Settings = current_app.extensions["factcheck.settings"]
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
    if settings.is_production:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
