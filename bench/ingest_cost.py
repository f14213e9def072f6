"""What one ``POST /api/v1/tickets`` costs, counted in-process: deterministic, unlike timings.

    .venv/bin/python bench/ingest_cost.py        # prints one JSON object on stdout

Runs the app in this process (Flask test client, production settings) against a fresh
PostgreSQL database and a real Redis (same environment variables and defaults as
``ingest.py``), warms it up, then posts ``--requests`` distinct claims and counts per request:
Python function calls (cProfile), SQL statements sent, Redis round trips, and CPU time.
The same counts are taken for ``minimal_app.py`` (parse JSON, insert one row) as the baseline,
and the output gives the ratios. ``--top N`` adds the N functions with the most own time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
from flask import Flask
from sqlalchemy import Engine, event

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ingest  # bench/ sibling: database and token set-up


class Counters:
    def __init__(self) -> None:
        self.sql = 0
        self.redis = 0


@contextmanager
def counting(engine: Engine, counters: Counters) -> Iterator[None]:
    """Count SQL statements on the engine and Redis commands sent (a pipeline counts once)."""

    def on_statement(*_: Any) -> None:
        counters.sql += 1

    original = redis.connection.AbstractConnection.send_packed_command

    def send(self: Any, command: Any, check_health: bool = True) -> None:
        counters.redis += 1
        original(self, command, check_health)

    event.listen(engine, "before_cursor_execute", on_statement)
    redis.connection.AbstractConnection.send_packed_command = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        redis.connection.AbstractConnection.send_packed_command = original  # type: ignore[method-assign]
        event.remove(engine, "before_cursor_execute", on_statement)


def measure(app: Flask, engine: Engine, headers: dict[str, str], requests: int, top: int) -> dict[str, Any]:
    client = app.test_client()

    def post_many(count: int, prefix: str) -> None:
        for number in range(count):
            claim = f"Claim {prefix} {number}: {uuid.uuid4().hex} rose by {number} percent in 2024."
            response = client.post("/api/v1/tickets", json={"claim": claim}, headers=headers)
            if response.status_code != 201:
                raise SystemExit(f"{response.status_code}: {response.get_data(as_text=True)[:300]}")

    post_many(50, "warm")
    counters = Counters()
    profiler = cProfile.Profile()
    with counting(engine, counters):
        started, cpu = time.perf_counter(), time.process_time()
        profiler.enable()
        post_many(requests, "measured")
        profiler.disable()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    stats = pstats.Stats(profiler)
    calls = sum(entry[1] for entry in stats.stats.values())  # type: ignore[attr-defined]
    result = {
        "function_calls": round(calls / requests),
        "sql_statements": round(counters.sql / requests, 2),
        "redis_round_trips": round(counters.redis / requests, 2),
        "cpu_ms_profiled": round(cpu * 1000 / requests, 3),
        "wall_ms_profiled": round(wall * 1000 / requests, 3),
    }
    if top:
        stats.sort_stats("tottime")
        rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]  # type: ignore[attr-defined]
        result["top_own_time"] = [
            f"{func[0].split('site-packages/')[-1]}:{func[1]} {func[2]} {own * 1000 / requests:.3f}ms"
            for func, (_, _, own, _, _) in rows
        ]
    return result


def factcheck_app(url: str, redis_url: str, tmp: Path) -> tuple[Flask, Engine, dict[str, str]]:
    from factcheck import create_app
    from factcheck.config import Settings

    token = ingest.prepare_factcheck(url, redis_url, tmp)
    settings = Settings.from_env(
        {"FACTCHECK_ENV": "production"},
        database_url=url,
        redis_url=redis_url,
        secret_key="bench-" + "x" * 40,
        instance_path=str(tmp / "instance"),
    )
    app = create_app(settings)
    return app, app.extensions["factcheck.engine"], {"Authorization": f"Bearer {token}"}


def minimal(url: str) -> tuple[Flask, Engine, dict[str, str]]:
    import minimal_app

    ingest.prepare_minimal(url)
    os.environ["BENCH_MINIMAL_DATABASE_URL"] = url
    app = minimal_app.create_app()
    return app, app.extensions["minimal.engine"], {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--top", type=int, default=0, help="also list the N functions with most own time")
    args = parser.parse_args(argv)
    admin_url = os.environ.get("FACTCHECK_BENCH_DATABASE_URL", ingest.DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("FACTCHECK_BENCH_REDIS_URL", ingest.DEFAULT_REDIS_URL)
    redis.Redis.from_url(redis_url).flushdb()
    builders: dict[str, Callable[[str, Path], tuple[Flask, Engine, dict[str, str]]]] = {
        "factcheck": lambda url, tmp: factcheck_app(url, redis_url, tmp),
        "minimal": lambda url, tmp: minimal(url),
    }
    report: dict[str, Any] = {"requests": args.requests}
    try:
        with tempfile.TemporaryDirectory() as tmp, ingest.bench_database(admin_url) as url:
            for name, build in builders.items():
                app, engine, headers = build(url, Path(tmp))
                report[name] = measure(app, engine, headers, args.requests, args.top)
                engine.dispose()
    finally:
        redis.Redis.from_url(redis_url).flushdb()
    for key in ("function_calls", "sql_statements", "cpu_ms_profiled"):
        baseline = report["minimal"][key] or 1
        report[f"ratio_{key}_factcheck_to_minimal"] = round(report["factcheck"][key] / baseline, 2)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
