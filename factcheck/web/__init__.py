"""The fact-checker's web app (/app) and the public tip form (/tips): server-rendered Jinja pages
that call the same services as the JSON API. URLs are listed in ``factcheck.web.urls``.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, flash, g, redirect, request, session, url_for
from flask_limiter import RateLimitExceeded
from flask_login import current_user, logout_user
from limits import parse_many
from werkzeug.exceptions import HTTPException

from factcheck.api.problems import unreachable_dependency
from factcheck.config import Settings, SettingsError
from factcheck.db import utcnow
from factcheck.limits import limiter
from factcheck.web import sessions
from factcheck.web.helpers import page, settings
from factcheck.web.urls import PUBLIC_ENDPOINTS, tips_blueprint, web

log = logging.getLogger(__name__)
STATE_LABELS = {
    "submitted": "Submitted",
    "collecting": "Collecting",
    "triage": "Triage",
    "researching": "Researching",
    "in_review": "In review",
    "approved": "Approved",
    "published": "Published",
    "rejected": "Rejected",
    "merged": "Merged",
    "retracted": "Retracted",
}


def init_app(app: Flask) -> None:
    settings: Settings = app.extensions["factcheck.settings"]
    for name in ("login_rate_limit", "tip_rate_limit", "token_rate_limit"):
        try:
            parse_many(getattr(settings, name))
        except ValueError as exc:
            raise SettingsError(f"FACTCHECK_{name.upper()} must be like '10 per minute'") from exc
    app.register_blueprint(web)
    app.register_blueprint(tips_blueprint)
    app.add_template_filter(_ago, "ago")
    app.add_template_filter(_when, "when")
    app.add_template_filter(_web_href, "web_href")
    app.jinja_env.globals["state_labels"] = STATE_LABELS


def _require_sign_in() -> Response | None:
    """Every page but sign-in needs a session (bearer tokens are for the API, not for pages)."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated or "_user_id" not in session:
        return redirect(url_for("web.sign_in", next=request.full_path.rstrip("?")))  # type: ignore[return-value]
    if not sessions.session_is_current():
        logout_user()
        session.clear()
        flash("Your password was changed; sign in again.", "info")
        return redirect(url_for("web.sign_in"))  # type: ignore[return-value]
    return None


def _error_page(error: HTTPException) -> Response:
    status = error.code or 500
    titles = {400: "Bad request", 403: "Not allowed", 404: "Not found", 405: "Not allowed", 413: "Too large"}
    return page("error.html", status=status, title=titles.get(status, error.name), detail=error.description)


def _unexpected(error: Exception) -> Response:
    """A bug: logged with its traceback; the person gets a page, not a stack trace or JSON.
    A database or Redis that cannot be reached is not a bug: 503 and a page saying so."""
    dependency = unreachable_dependency(error)
    if dependency is not None:
        log.warning("%s unreachable on %s: %s", dependency, request.path, error)
        # The page must not look the person up again (flask-login keeps the user on ``g``).
        g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
        response = page(
            "error.html",
            status=503,
            title="Temporarily unavailable",
            detail="The service cannot reach its database just now, so this was not saved. Try again soon.",
        )
        response.headers["Retry-After"] = "5"
        return response
    log.exception("unhandled error on %s", request.path, exc_info=error)
    return page(
        "error.html", status=500, title="Something went wrong", detail="The error was logged; try again."
    )


def _rate_limited(error: RateLimitExceeded) -> Response:
    current = limiter.current_limit
    retry_after = max(1, math.ceil(current.reset_at - time.time())) if current else 60
    response = page(
        "error.html",
        status=429,
        title="Too many attempts",
        detail=f"Please wait {retry_after} seconds and try again.",
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


def _ago(moment: datetime | None, now: datetime | None = None) -> str:
    """``5 min``, ``3 h``, ``2 d``: how long since ``moment``."""
    if moment is None:
        return ""
    seconds = max(((now or utcnow()) - moment) / timedelta(seconds=1), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return "just now"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%d %b %Y %H:%M UTC") if moment else ""


def _web_href(url: str | None) -> str | None:
    """The URL if it is safe to link to (http or https with a host), else None: never ``javascript:``."""
    if not url:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def _organisation() -> dict[str, str]:
    return {"organisation_name": settings().organisation_name}


# Blueprints are module-level objects: their hooks are set once, here, not per app.
web.before_request(_require_sign_in)
for _blueprint in (web, tips_blueprint):
    _blueprint.register_error_handler(HTTPException, _error_page)
    _blueprint.register_error_handler(RateLimitExceeded, _rate_limited)
    _blueprint.register_error_handler(Exception, _unexpected)
tips_blueprint.context_processor(_organisation)
