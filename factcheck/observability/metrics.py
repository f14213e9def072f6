"""The service's Prometheus metrics and the helpers that record them.

With ``PROMETHEUS_MULTIPROC_DIR`` set (it must be, before the process starts, wherever more
than one process serves or works: gunicorn workers, RQ work-horses), every process writes
its samples to memory-mapped files in that directory and ``/metrics`` adds them all up
(``factcheck.observability.exposition``). Without it, samples stay in the process that made
them (fine for one process; an RQ work-horse's samples then die with it).

File names carry ``<host>-<pid>`` rather than the bare pid, so containers sharing one
directory never write the same file; an RQ work-horse uses its worker's name instead of its
own pid, so the thousands of short-lived horses of a long-running worker reuse one set of
files (one horse runs at a time per worker) instead of leaving a set each.

Recording is cheap (a dict look-up and a float add, or an mmap write) and never queries
anything: ticket counts per state and queue depths are read at scrape time instead.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Histogram, values
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_HOST = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "host"
_identity: dict[str, Any] = {"pid": None, "name": ""}
"""This process's identity, cached: prometheus_client asks for it on every sample it writes."""


def process_identity(pid: int | None = None) -> str:
    """The name this process's sample files carry: ``<host>-<pid>``, or ``<host>-<worker pid>-horse``
    in an RQ work-horse (see ``enter_work_horse``); with ``pid``, that process's name."""
    if pid is not None:
        return f"{_HOST}-{pid}"
    current = os.getpid()
    if _identity["pid"] != current:  # first call, or a fork
        _identity.update(pid=current, name=f"{_HOST}-{current}")
    name: str = _identity["name"]
    return name


def enter_work_horse(worker_pid: int) -> None:
    """Called first thing in an RQ work-horse: write to the files shared by this worker's horses."""
    _identity.update(pid=os.getpid(), name=f"{_HOST}-{worker_pid}-horse")


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_DIR_VARIABLE) or None


if multiprocess_dir():
    # Before any metric exists: every value made from now on writes to <type>_<identity>.db.
    values.ValueClass = values.MultiProcessValue(process_identity)


HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STATE_BUCKETS = (1, 5, 15, 60, 300, 900, 3600, 14_400, 43_200, 86_400, 259_200, 604_800, 2_592_000)
"""Seconds, from a collection that takes moments to a ticket waiting for review for a month."""
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
SOURCE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)

HTTP_REQUEST_SECONDS = Histogram(
    "factcheck_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (URL rule, not the raw path), method and status class.",
    ["route", "method", "status"],
    buckets=HTTP_BUCKETS,
)
TIME_IN_STATE_SECONDS = Histogram(
    "factcheck_ticket_time_in_state_seconds",
    "How long tickets stayed in a workflow state, observed when they leave it.",
    ["state"],
    buckets=STATE_BUCKETS,
)
JOB_SECONDS = Histogram(
    "factcheck_job_duration_seconds",
    "Run time of RQ jobs, by job function and outcome (succeeded or failed).",
    ["job", "outcome"],
    buckets=JOB_BUCKETS,
)
SOURCE_SECONDS = Histogram(
    "factcheck_reference_source_duration_seconds",
    "Time one reference source took for one ticket, by source and status (ok, error, timeout, skipped).",
    ["source", "status"],
    buckets=SOURCE_BUCKETS,
)
SOURCE_FAILURES = Counter(
    "factcheck_reference_source_failures",
    "Reference source look-ups that failed (error or timeout), by source.",
    ["source"],
)
WEBHOOK_DELIVERIES = Counter(
    "factcheck_webhook_deliveries",
    "Webhook delivery jobs by outcome: delivered, retried (another attempt is scheduled), failed "
    "(given up), gone (the receiver answered 410; subscription disabled), disabled (not attempted: "
    "the subscription is off).",
    ["outcome"],
)

_WEBHOOK_OUTCOMES = {
    "delivered": "delivered",
    "retry": "retried",
    "failed": "failed",
    "gone": "gone",
    "disabled": "disabled",
}
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_http(route: str, method: str, status_code: int, seconds: float) -> None:
    """The one observation made per HTTP request."""
    method = method if method in _KNOWN_METHODS else "other"
    HTTP_REQUEST_SECONDS.labels(route, method, f"{status_code // 100}xx").observe(seconds)


def observe_job(function_name: str | None, succeeded: bool, seconds: float) -> None:
    """Label: the job function's name (``collect_references``, ``deliver``), ``other`` if not ours."""
    ours = function_name is not None and function_name.startswith("factcheck.")
    name = function_name.rsplit(".", 1)[-1] if ours and function_name else "other"
    JOB_SECONDS.labels(name, "succeeded" if succeeded else "failed").observe(seconds)


def observe_source(source: str, status: str, seconds: float) -> None:
    SOURCE_SECONDS.labels(source, status).observe(seconds)
    if status in ("error", "timeout"):
        SOURCE_FAILURES.labels(source).inc()


def count_webhook_outcome(outcome: str) -> None:
    """Count what a delivery job came to; the no-op answers (stale, waiting, leased, missing) are not."""
    label = _WEBHOOK_OUTCOMES.get(outcome)
    if label is not None:
        WEBHOOK_DELIVERIES.labels(label).inc()


# Observations that must only count once the transaction they describe is committed.

_PENDING = "factcheck.metrics.pending"
_COMMITTED = "factcheck.metrics.committed"


def after_commit(session: Session, record: Callable[[], None]) -> None:
    """Run ``record`` when ``session``'s outermost transaction commits; forget it on a rollback."""
    session.info.setdefault(_PENDING, []).append(record)


def observe_time_in_state_after_commit(session: Session, state: str, seconds: float) -> None:
    after_commit(session, lambda: TIME_IN_STATE_SECONDS.labels(state).observe(max(0.0, seconds)))


def listen(sessions: type[Session] | sessionmaker[Session]) -> None:
    """Wire ``after_commit`` into ``sessions`` (the ``Session`` class: every session)."""
    event.listen(sessions, "after_commit", _mark_committed)
    event.listen(sessions, "after_rollback", _mark_rolled_back)
    event.listen(sessions, "after_transaction_end", settle)


def _mark_committed(session: Session) -> None:
    session.info[_COMMITTED] = True  # a savepoint's release too: the outermost end decides


def _mark_rolled_back(session: Session) -> None:
    session.info[_COMMITTED] = False


def settle(session: Session, transaction: Any) -> None:
    """At the end of the outermost transaction: record what waited for its commit, or drop it."""
    if transaction.parent is not None:
        return
    pending = session.info.pop(_PENDING, ())
    if session.info.pop(_COMMITTED, False):
        for record in pending:
            record()
