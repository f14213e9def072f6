"""Logging for every process (web, worker, sweeper, CLI): one handler on the root logger.

Each line carries ``timestamp``, ``level``, ``logger``, ``message``, ``request_id`` and
``job_id`` (None outside a request or job). ``json`` writes one JSON object a line, for log
collectors; ``text`` is a readable line for a terminal. The handler fills the two ids in from
``factcheck.observability.context`` when it writes a record, so libraries' lines (RQ,
gunicorn, SQLAlchemy) carry them too; a record that brings its own (RQ logs failures with
``extra={"job_id": ...}``) keeps them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

from factcheck.observability import context

FORMATS = ("json", "text")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_JSON_FIELDS = ["levelname", "name", "message", "request_id", "job_id"]
_RENAMED = {"levelname": "level", "name": "logger"}


class ContextIds(logging.Filter):
    """Give a record the current ``request_id`` and ``job_id`` unless it carries its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = context.request_id()
        if not hasattr(record, "job_id"):
            record.job_id = context.job_id()
        return True


class ServiceHandler(logging.StreamHandler):
    """The handler ``configure`` puts on the root logger; configuring again replaces it."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(stream)
        self.addFilter(ContextIds())


def json_formatter() -> logging.Formatter:
    """One JSON object a line; extra record attributes (``extra={...}``) become fields too."""
    return JsonFormatter(_JSON_FIELDS, rename_fields=_RENAMED, timestamp=True)


class TextFormatter(logging.Formatter):
    """``2026-12-01 10:00:00,123 INFO factcheck.jobs.collect [req=… job=…] message``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(ids)s%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = []
        request_id, job_id = getattr(record, "request_id", None), getattr(record, "job_id", None)
        if request_id:
            ids.append(f"req={request_id}")
        if job_id:
            ids.append(f"job={job_id}")
        record.ids = f"[{' '.join(ids)}] " if ids else ""
        return super().format(record)


def formatter(log_format: str) -> logging.Formatter:
    return json_formatter() if log_format == "json" else TextFormatter()


def format_from_environment(environ: Mapping[str, str]) -> str:
    """``FACTCHECK_LOG_FORMAT``, for code that runs before settings exist (gunicorn's config)."""
    chosen = environ.get("FACTCHECK_LOG_FORMAT", "").strip().lower()
    return chosen if chosen in FORMATS else "json"


def configure(log_format: str = "json", level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Send every logger's records through one ``ServiceHandler`` on the root logger.

    Idempotent: a handler installed by an earlier call (another app in the same process) is
    replaced, and handlers others installed (pytest's, for instance) are left alone.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, ServiceHandler)]:
        root.removeHandler(handler)
    handler = ServiceHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter(log_format))
    root.addHandler(handler)
    root.setLevel(level)


class GunicornAccessIds(logging.Filter):
    """Gunicorn logs a request after the app has answered, outside its context: take the
    request id from the ``X-Request-ID`` response header gunicorn passes as an atom."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args
        if isinstance(atoms, Mapping):
            value = atoms.get("{x-request-id}o")
            record.request_id = context.sane_request_id(value)
        return True


def gunicorn_logconfig(log_format: str) -> dict[str, Any]:
    """``logconfig_dict`` for gunicorn: its error and access lines go through the service handler."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"service": {"()": formatter, "log_format": log_format}},
        "filters": {"access_ids": {"()": GunicornAccessIds}},
        "handlers": {
            "service": {
                "class": "factcheck.observability.logs.ServiceHandler",
                "formatter": "service",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": ["service"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {
                "level": "INFO",
                "handlers": [],
                "propagate": True,
                "filters": ["access_ids"],
            },
        },
    }
