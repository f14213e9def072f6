"""Observability: structured logs with request and job ids, Prometheus metrics at ``/metrics``.

``init_app`` is the first step of the app factory: logging is configured before anything
logs, and the request hooks run before every other hook.
"""

from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from factcheck.config import Settings, SettingsError
from factcheck.observability import logs, metrics, request_hooks


def init_app(app: Flask) -> None:
    settings: Settings = app.extensions["factcheck.settings"]
    logs.configure(settings.log_format, settings.log_level.upper())
    directory = metrics.multiprocess_dir()
    if directory and not os.path.isdir(directory):
        raise SettingsError(
            f"{metrics.MULTIPROCESS_DIR_VARIABLE} is set but {directory!r} is not a directory"
        )
    if not event.contains(Session, "after_transaction_end", metrics.settle):
        metrics.listen(Session)
    request_hooks.init_app(app)

    from factcheck.observability.exposition import blp

    app.register_blueprint(blp)
