"""Observability overhead: the per-request hooks and one log line, against baselines in the same run.

    .venv/bin/python bench/observability.py            # prints one JSON object on stdout

Two Flask apps answer ``GET /tickets/<id>`` with a constant body, called straight through WSGI
(no server, no network, so the hooks' cost is not lost in noise): ``plain`` has no hooks,
``observed`` has ``factcheck.observability.request_hooks`` (request id from ``X-Request-ID``, the
``X-Request-ID`` answer header, one histogram observation). Both run in a child process
without ``PROMETHEUS_MULTIPROC_DIR`` (in-memory samples) and in one with it (mmap writes),
since the variable must be set before prometheus_client is imported. Logging is timed per
line for the JSON and text formatters against the standard library's plain ``Formatter``,
writing to ``/dev/null``. Figures are the best of ``--rounds`` rounds of ``--requests`` calls.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _best_per_call(functions: dict[str, Any], calls: int, rounds: int) -> dict[str, float]:
    """Microseconds per call of each function, best round; the functions take turns in every
    round, so that a burst of other work on the machine hits them alike."""
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(rounds):
        for name, function in functions.items():
            started = time.perf_counter()
            for _ in range(calls):
                function()
            best[name] = min(best[name], time.perf_counter() - started)
    return {name: seconds / calls * 1e6 for name, seconds in best.items()}


def _wsgi_caller(app: Any) -> Any:
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(
        path="/tickets/0123456789abcdef", headers={"X-Request-ID": "bench-1"}
    ).get_environ()

    def start_response(_status: str, _headers: list[tuple[str, str]]) -> None:
        return None

    def call() -> None:
        body = app(dict(environ), start_response)
        for _chunk in body:
            pass
        body.close()

    return call


def _apps() -> tuple[Any, Any]:
    from flask import Flask

    from factcheck.observability import request_hooks

    def make(name: str) -> Any:
        app = Flask(name)
        app.add_url_rule("/tickets/<string:ticket_id>", "ticket", lambda ticket_id: "ok")
        return app

    observed = make("observed")
    request_hooks.init_app(observed)
    return make("plain"), observed


def _log_line_costs(calls: int, rounds: int) -> dict[str, float]:
    from factcheck.observability import logs

    loggers = {}
    with open(os.devnull, "w") as sink:
        for name, formatter in (
            ("stdlib_plain", logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")),
            ("json", logs.json_formatter()),
            ("text", logs.TextFormatter()),
        ):
            logger = logging.getLogger(f"bench.{name}")
            logger.propagate = False
            handler = logging.StreamHandler(sink) if name == "stdlib_plain" else logs.ServiceHandler(sink)
            handler.setFormatter(formatter)
            logger.handlers = [handler]
            logger.setLevel(logging.INFO)
            loggers[name] = lambda lg=logger: lg.info("ticket %s queued", "abc")
        return _best_per_call(loggers, calls, rounds)


def child(calls: int, rounds: int) -> dict[str, Any]:
    plain, observed = _apps()
    per_request = _best_per_call(
        {"plain": _wsgi_caller(plain), "observed": _wsgi_caller(observed)}, calls, rounds
    )
    return {
        "per_request_us": {k: round(v, 2) for k, v in per_request.items()},
        "hooks_overhead_us": round(per_request["observed"] - per_request["plain"], 2),
        "ratio_observed_to_plain": round(per_request["observed"] / per_request["plain"], 3),
        "per_log_line_us": {k: round(v, 2) for k, v in _log_line_costs(calls, rounds).items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.requests, args.rounds)))
        return
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-prometheus-") as directory:
        for mode, extra in (
            ("single_process", {}),
            ("multiprocess", {"PROMETHEUS_MULTIPROC_DIR": directory}),
        ):
            env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"} | extra
            print(f"measuring {mode}...", file=sys.stderr)
            command = [
                sys.executable,
                __file__,
                "--child",
                f"--requests={args.requests}",
                f"--rounds={args.rounds}",
            ]
            output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
            results[mode] = json.loads(output)
    print(
        json.dumps(
            {
                "benchmark": "observability",
                "requests_per_round": args.requests,
                "rounds": args.rounds,
                "machine": {
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "load_average": [round(x, 2) for x in os.getloadavg()],
                },
                **results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
