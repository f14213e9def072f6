"""Rate limits for public endpoints (flask-limiter, counters kept in Redis).

Blueprints decorate their public routes with ``limiter.limit(...)``; a hit limit answers
429 problem+json with ``Retry-After``.
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, current_app
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from factcheck.config import Settings

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


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
