"""Gunicorn settings for the web app.

    gunicorn -c python:factcheck.gunicorn_config 'factcheck:create_app()'

Gunicorn's own lines (errors, and the access log, which this turns on) go through the
service's log handler in ``FACTCHECK_LOG_FORMAT``, each access line with its request id. In
Prometheus multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``), a worker that exits is marked
dead so that its live gauges stop counting. Options given on the command line still apply.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import multiprocess

from factcheck.observability import logs, metrics

logconfig_dict = logs.gunicorn_logconfig(logs.format_from_environment(os.environ))


def child_exit(_server: Any, worker: Any) -> None:
    """Gunicorn hook, in the arbiter, after a worker process exited."""
    if metrics.multiprocess_dir():
        multiprocess.mark_process_dead(metrics.process_identity(worker.pid))
