"""Rate limits for public endpoints (flask-limiter, counters kept in Redis).

Blueprints decorate their public routes with ``limit(...)`` (``limiter.limit`` for one view); a
hit limit answers 429 problem+json with ``Retry-After``. A view's own limit is checked by its
decorator when the view is called. flask-limiter also checks every request before it reaches
its view, for application-wide, default and meta limits and blueprint limits; factcheck sets
none of them, so that check (its cost on every request is about a twentieth of a ticket
intake's Python calls) is skipped until one is configured.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask, Response, current_app
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from factcheck.config import Settings

View = TypeVar("View", bound=Callable[..., Any])


class ViewLimiter(Limiter):
    """A ``Limiter`` whose before-request check runs only when there is something for it to check:
    application-wide, default or meta limits, or an in-memory fallback (blueprint limits are
    never set: ``limit`` takes views only)."""

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and not self.checks_every_request():
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def checks_every_request(self) -> bool:
        manager = self.limit_manager
        fallback = self._in_memory_fallback
        return any([manager.application_limits, manager.default_limits, self._meta_limits, fallback])


limiter = ViewLimiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def limit(value: str | Callable[[], str], **options: Any) -> Callable[[View], View]:
    """``limiter.limit(value, **options)`` for one view (not a blueprint: see ``ViewLimiter``)."""
    decorate = limiter.limit(value, **options)

    def apply(view: View) -> View:
        if isinstance(view, Blueprint):
            raise TypeError("limit() takes a view; give each of the blueprint's views its own limit")
        return decorate(view)  # type: ignore[return-value]

    return apply


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
