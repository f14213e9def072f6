"""The request id and job id of the work in hand, for log lines and audit events.

Both live in context variables: a request binds its id in ``before_request`` (see
``factcheck.observability.request_hooks``), an RQ worker binds the job's id when it dequeues the
job (``factcheck.worker``). Code that writes logs or audit events reads them here and never
needs them passed along.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from typing import Any

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_MAX = 128
"""Longest request id accepted from a client (and the width of ``ticket_events.request_id``)."""
_SANE_REQUEST_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{{0,{REQUEST_ID_MAX - 1}}}")
"""Letters, digits and a few punctuation marks: nothing that could break a header, a log line,
JSON or a shell (no spaces, quotes, newlines, semicolons or commas)."""

_request_id: ContextVar[str | None] = ContextVar("factcheck_request_id", default=None)
_job_id: ContextVar[str | None] = ContextVar("factcheck_job_id", default=None)


def request_id() -> str | None:
    """The id of the HTTP request being served (or that enqueued the running job), if any."""
    return _request_id.get()


def job_id() -> str | None:
    """The id of the RQ job being run, if any."""
    return _job_id.get()


def sane_request_id(offered: object) -> str | None:
    """``offered`` if it is a string fit to be a request id (bounded, safe characters), else None."""
    if isinstance(offered, str) and _SANE_REQUEST_ID.fullmatch(offered):
        return offered
    return None


def accept_request_id(offered: str | None) -> str:
    """``offered`` (a client's ``X-Request-ID``) if it is sane, otherwise a new random id."""
    return sane_request_id(offered) or uuid.uuid4().hex


def bind(*, request: str | None = None, job: str | None = None) -> None:
    """Make ``request`` and ``job`` the ids of what this thread (or task) now does."""
    _request_id.set(request)
    _job_id.set(job)


def clear() -> None:
    bind(request=None, job=None)


def job_meta() -> dict[str, Any]:
    """``meta`` for a job enqueued now: the current request id, so the worker logs under it too."""
    current = _request_id.get()
    return {"request_id": current} if current else {}
