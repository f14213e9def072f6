"""Rate limits for public endpoints (flask-limiter, counters kept in Redis).

Blueprints decorate their public routes with ``limit(...)`` (``limiter.limit``, recorded); a hit
limit answers 429 problem+json with ``Retry-After``. There are no default or application-wide
limits, so a request to a view that has no limit of its own skips the limiter altogether: for
every such request flask-limiter would otherwise work out, at some cost, that nothing applies.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from factcheck.config import Settings

View = TypeVar("View", bound=Callable[..., Any])

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
_LIMITED_VIEWS: set[str] = set()
"""Qualified names of the views given a limit with ``limit`` (the names flask-limiter uses too)."""


def limit(value: str | Callable[[], str], **options: Any) -> Callable[[View], View]:
    """``limiter.limit(value, **options)`` for one view, recorded as a view that has a limit."""
    decorate = limiter.limit(value, **options)

    def record(view: View) -> View:
        _LIMITED_VIEWS.add(_qualified_name(view))
        return decorate(view)  # type: ignore[return-value]

    return record


@limiter.request_filter
def _has_no_limit() -> bool:
    """True, and the limiter skips the request, when its view has no limit of its own and no
    default or application-wide limit is configured."""
    if current_app.config.get("RATELIMIT_DEFAULT") or current_app.config.get("RATELIMIT_APPLICATION"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return view is not None and _qualified_name(view) not in _LIMITED_VIEWS


def _qualified_name(view: Callable[..., Any]) -> str:
    return f"{view.__module__}.{view.__qualname__}"


def storage_uri(settings: Settings) -> str:
    """The limiter's storage: the service's Redis (``unix://`` becomes ``redis+unix://``)."""
    url = settings.redis_url
    if not url:
        return "memory://"
    return "redis+" + url if url.startswith("unix://") else url


def public_limit() -> str:
    """The limit on each public route: ``Settings.public_rate_limit`` of the running app."""
    settings: Settings = current_app.extensions["factcheck.settings"]
    return settings.public_rate_limit


def init_app(app: Flask) -> None:
    settings: Settings = app.extensions["factcheck.settings"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(settings))
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)  # Redis down must not take public pages down
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)


def _too_many_requests(error: RateLimitExceeded) -> Response:
    # Imported here: the API package decorates its public routes with ``limiter`` at import time.
    from factcheck.api.problems import problem_response

    current = limiter.current_limit
    retry_after = max(1, math.ceil(current.reset_at - time.time())) if current else 60
    return problem_response(
        429,
        "Too Many Requests",
        f"Rate limit exceeded ({error.description}).",
        headers={"Retry-After": str(retry_after)},
    )
