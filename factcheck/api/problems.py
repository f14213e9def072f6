"""RFC 9457 problem details: every error the service returns is ``application/problem+json``."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
import redis
import sqlalchemy.exc
from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)
PROBLEM_MIME = "application/problem+json"
UNAVAILABLE_RETRY_AFTER = 5
"""Seconds a client is asked to wait (``Retry-After``) when the database or Redis is unreachable."""
_SQLITE_BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED"}


class Problem(HTTPException):
    """An HTTP error carrying problem-details members beyond title and detail."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(description=detail)
        self.code = status
        self.title = title
        self.extra = extra
        self.extra_headers = headers or {}


def problem_response(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIME)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_exception(error: HTTPException) -> Response:
    """Turn any werkzeug/flask-smorest HTTP error into problem+json."""
    status = error.code or 500
    title = getattr(error, "title", None) or error.name
    extra: dict[str, Any] = dict(getattr(error, "extra", {}))
    headers: dict[str, str] = dict(getattr(error, "extra_headers", {}))
    detail = error.description or title
    data = getattr(error, "data", None) or {}
    if "messages" in data:  # webargs/flask-smorest validation errors
        extra["errors"] = _flatten_locations(data["messages"])
        detail = "The request did not pass validation."
    if "message" in data:
        detail = data["message"]
    headers.update(data.get("headers") or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="factcheck"')
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return problem_response(status, title, detail, headers, **extra)


def _flatten_locations(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs nests errors by location (json, query); clients want ``{field: [msg]}``."""
    flat: dict[str, Any] = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            flat.update(location_errors)
    return flat or messages


def unreachable_dependency(error: BaseException) -> str | None:
    """``database`` or ``redis`` when ``error`` says that service cannot be reached now, else None.

    Connection failures and lost connections count (psycopg's ``OperationalError``, a connection
    SQLAlchemy invalidated, a pool with no connection to give, SQLite's busy lock); errors in our
    own SQL (SQLite reports those as ``OperationalError`` too) do not.
    """
    if isinstance(error, sqlalchemy.exc.TimeoutError):
        return "database"
    if isinstance(error, sqlalchemy.exc.DBAPIError):
        original = error.orig
        if (
            error.connection_invalidated
            or isinstance(original, psycopg.OperationalError)
            or getattr(original, "sqlite_errorname", None) in _SQLITE_BUSY
        ):
            return "database"
    if isinstance(error, redis.ConnectionError | redis.TimeoutError):
        return "redis"
    return None


def handle_unexpected(error: Exception) -> Response:
    dependency = unreachable_dependency(error)
    if dependency is not None:
        # A dependency is down: 503, and the next request tries again (the pool pre-pings).
        cause = str(getattr(error, "orig", None) or error).strip().splitlines() or [type(error).__name__]
        log.warning("%s unreachable: %s", dependency, cause[0])  # not the SQL: it may carry claims
        return problem_response(
            503,
            "Service Unavailable",
            f"The {dependency} is unreachable; try again shortly.",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
            down=[dependency],
        )
    log.exception("unhandled error", exc_info=error)
    return from_http_exception(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, from_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
