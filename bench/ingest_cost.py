"""What one ``POST /api/v1/tickets`` costs, counted in-process: deterministic, unlike timings.

    .venv/bin/python bench/ingest_cost.py        # prints one JSON object on stdout

Runs the app in this process (Flask test client, production settings) against a fresh
PostgreSQL database and a real Redis (same environment variables and defaults as
``ingest.py``), warms it up, then posts ``--requests`` distinct claims and counts per request:
Python function calls (cProfile), SQL statements sent, Redis round trips, and CPU time.
The same counts are taken for ``minimal_app.py`` (parse JSON, insert one row) as the baseline,
and the output gives the ratios. ``--top N`` adds the N functions with the most own time.

    .venv/bin/python bench/ingest_cost.py --instructions     # about 7 minutes; needs valgrind

counts CPU instructions per request instead (``valgrind --tool=callgrind``: repeatable whatever
else the machine does): each app runs in a child process under valgrind twice, posting
``SHORT_RUN`` and ``LONG_RUN`` claims after the same warm-up, and the difference of the two
totals divided by the difference of the counts is the cost of one request, start-up cancelled.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
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
    post_claims(app, headers, 50, "warm")
    counters = Counters()
    profiler = cProfile.Profile()
    with counting(engine, counters):
        started, cpu = time.perf_counter(), time.process_time()
        profiler.enable()
        post_claims(app, headers, requests, "measured")
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


def factcheck_app(
    url: str, redis_url: str, tmp: Path, token: str | None = None
) -> tuple[Flask, Engine, dict[str, str]]:
    """The app in production settings, with an editor's token (a new one unless given)."""
    from factcheck import create_app
    from factcheck.config import Settings

    token = token or ingest.prepare_factcheck(url, redis_url, tmp)
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


SHORT_RUN, LONG_RUN = 40, 140
_CHILD_ENV = "BENCH_INSTRUCTIONS_CHILD"


def post_claims(app: Flask, headers: dict[str, str], count: int, prefix: str) -> None:
    client = app.test_client()
    for number in range(count):
        claim = f"Claim {prefix} {number}: {uuid.uuid4().hex} rose by {number} percent in 2024."
        response = client.post("/api/v1/tickets", json={"claim": claim}, headers=headers)
        if response.status_code != 201:
            raise SystemExit(f"{response.status_code}: {response.get_data(as_text=True)[:300]}")


def instructions_child(name: str, count: int) -> None:
    """In a child under valgrind: build the app named by the parent, warm up, post ``count``."""
    url, redis_url, token, tmp = os.environ[_CHILD_ENV].split("\n")
    if name == "factcheck":
        app, engine, _ = factcheck_app(url, redis_url, Path(tmp), token=token)
        headers = {"Authorization": f"Bearer {token}"}
    else:
        app, engine, headers = minimal(url)
    post_claims(app, headers, 10, "warm")
    post_claims(app, headers, count, "measured")
    engine.dispose()


def instructions(admin_url: str, redis_url: str) -> dict[str, Any]:
    """Instructions per request for both apps, from two valgrind runs each."""
    report: dict[str, Any] = {"method": "callgrind", "runs": [SHORT_RUN, LONG_RUN]}
    with tempfile.TemporaryDirectory() as tmp, ingest.bench_database(admin_url) as url:
        token = ingest.prepare_factcheck(url, redis_url, Path(tmp))
        ingest.prepare_minimal(url)
        env = os.environ | {_CHILD_ENV: "\n".join([url, redis_url, token, tmp])}
        for name in ("factcheck", "minimal"):
            totals = [_callgrind_total(name, count, Path(tmp), env) for count in (SHORT_RUN, LONG_RUN)]
            report[name] = {
                "instructions_per_request": round((totals[1] - totals[0]) / (LONG_RUN - SHORT_RUN))
            }
            print(f"{name}: {report[name]['instructions_per_request']:,} instructions", file=sys.stderr)
    report["ratio_instructions_factcheck_to_minimal"] = round(
        report["factcheck"]["instructions_per_request"] / report["minimal"]["instructions_per_request"], 2
    )
    return report


def _callgrind_total(name: str, count: int, tmp: Path, env: dict[str, str]) -> int:
    out = tmp / f"callgrind.{name}.{count}"
    command = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
        sys.executable, __file__, "--child", name, "--requests", str(count),
    ]  # fmt: skip
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for line in out.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"no instruction total in {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--top", type=int, default=0, help="also list the N functions with most own time")
    parser.add_argument("--instructions", action="store_true", help="count instructions with valgrind")
    parser.add_argument("--child", choices=["factcheck", "minimal"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        instructions_child(args.child, args.requests)
        return 0
    if args.instructions:
        admin = os.environ.get("FACTCHECK_BENCH_DATABASE_URL", ingest.DEFAULT_DATABASE_URL)
        redis_at = os.environ.get("FACTCHECK_BENCH_REDIS_URL", ingest.DEFAULT_REDIS_URL)
        try:
            print(json.dumps(instructions(admin, redis_at), indent=2))
        finally:
            redis.Redis.from_url(redis_at).flushdb()
        return 0
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
