"""Ingest benchmark: tickets/s through ``POST /api/v1/tickets`` under gunicorn, against a baseline.

    .venv/bin/python bench/ingest.py            # prints one JSON object on stdout

Creates a fresh PostgreSQL database (``factcheck_bench``, dropped at the end), migrates it,
creates an editor and an API token, then serves ``factcheck:create_app()`` with gunicorn
against that database and a real Redis, and drives a bounded loopback load: ``--clients``
threads on keep-alive connections POST distinct claims, first ``--warmup`` requests, then
``--requests`` measured ones, each phase capped at ``--time-cap`` seconds. The same server
settings and load then hit ``bench/minimal_app.py`` (parse JSON, insert one row), and the
output gives both figures and their ratio. Progress goes to stderr.

Environment: ``FACTCHECK_BENCH_DATABASE_URL`` (a maintenance database the bench may create
and drop databases from; default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``)
and ``FACTCHECK_BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/1``; the bench empties
that Redis database before and after the run).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.metadata
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import redis
import services  # bench/ sibling: PostgreSQL databases and processes for benchmarks
from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
BENCH_DATABASE = "factcheck_bench"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/1"
PATH = "/api/v1/tickets"
TARGETS = {"tickets_per_second": 300.0, "ratio": 0.5}
GUNICORN_CONFIG = ("-c", "python:factcheck.gunicorn_config")  # the image's server settings


@dataclass(frozen=True)
class ServerSettings:
    workers: int
    worker_class: str
    threads: int
    access_log: bool = True  # both apps under the image's gunicorn config (JSON access line), or neither


@dataclass(frozen=True)
class Load:
    requests: int
    warmup: int
    clients: int
    time_cap: float
    rounds: int


@dataclass
class Phase:
    """What one measured run of the load saw."""

    requests: int = 0
    ok: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    per_second: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    capped: bool = False
    client_cpu_seconds: float = 0.0
    cpu_ms_per_ticket: dict[str, float] = field(default_factory=dict)
    """CPU per stored ticket by process group (Linux ``/proc``): the gunicorn server, PostgreSQL,
    Redis and this load generator; empty where ``/proc`` is not there."""
    first_error: str | None = None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per app")
    parser.add_argument("--warmup", type=int, default=300, help="unmeasured requests first")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--time-cap", type=float, default=60.0, help="seconds per phase at most")
    parser.add_argument("--rounds", type=int, default=1, help="alternating runs per app; the median counts")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--worker-class", default="gthread", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--no-access-log",
        action="store_true",
        help="serve both apps without the image's gunicorn config (no access line per request)",
    )
    args = parser.parse_args(argv)
    if not (0 < args.requests <= 100_000 and 0 <= args.warmup <= 10_000 and 0 < args.clients <= 64):
        parser.error("keep --requests in 1..100000, --warmup in 0..10000, --clients in 1..64")
    if not (0 < args.rounds <= 5 and 0 < args.time_cap <= 600):
        parser.error("keep --rounds in 1..5 and --time-cap in (0, 600] seconds")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))  # clean up on SIGTERM too
    server = ServerSettings(
        args.workers,
        args.worker_class,
        args.threads if args.worker_class == "gthread" else 1,
        access_log=not args.no_access_log,
    )
    load = Load(args.requests, args.warmup, args.clients, args.time_cap, args.rounds)
    admin_url = os.environ.get("FACTCHECK_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("FACTCHECK_BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    redis_conn = redis.Redis.from_url(redis_url)
    with tempfile.TemporaryDirectory(prefix="factcheck-bench-") as tmp, bench_database(admin_url) as url:
        redis_conn.flushdb()
        try:
            result = run(url, redis_url, redis_conn, server, load, Path(tmp))
        finally:
            redis_conn.flushdb()
    print(json.dumps(result, indent=2))
    return 0


@dataclass(frozen=True)
class Target:
    """An app under test: its gunicorn spec, where it runs from, its settings and request headers."""

    name: str
    app_spec: str
    cwd: Path
    env: dict[str, str]
    headers: dict[str, str]


def run(
    url: str, redis_url: str, redis_conn: redis.Redis, server: ServerSettings, load: Load, tmp: Path
) -> dict[str, Any]:
    token = prepare_factcheck(url, redis_url, tmp)
    prepare_minimal(url)
    factcheck_env = server_env(url, redis_url, tmp)
    targets = [
        # Run from a neutral folder: gunicorn puts its working directory first on sys.path, and
        # factcheck should be imported as installed (or from PYTHONPATH), like in the image.
        # Both as the image runs factcheck (unless --no-access-log): the gunicorn config module (JSON
        # logs with an access line per request, Prometheus multiprocess clean-up); factcheck's
        # metrics are written to PROMETHEUS_MULTIPROC_DIR. Server settings are the same for both apps.
        Target(
            "factcheck",
            "factcheck:create_app()",
            tmp,
            factcheck_env,
            {"Authorization": f"Bearer {token}"},
        ),
        Target("minimal", "minimal_app:create_app()", BENCH_DIR, {"BENCH_MINIMAL_DATABASE_URL": url}, {}),
    ]
    machine_info = machine(url, redis_conn)
    rounds: dict[str, list[Phase]] = {target.name: [] for target in targets}
    for number in range(1, load.rounds + 1):
        for target in targets:  # alternate, so that a noisy minute hits both apps alike
            log(f"round {number}/{load.rounds}: {target.name}")
            rounds[target.name].append(measure(target, server, load, f"{uuid.uuid4().hex[:8]}"))
    factcheck, minimal = median(rounds["factcheck"]), median(rounds["minimal"])
    ratio = factcheck.per_second / minimal.per_second if minimal.per_second else 0.0
    factcheck_extra = {
        "tickets_in_database": count_rows(url, "SELECT count(*) FROM tickets"),
        "collection_jobs_queued": int(redis_conn.llen("rq:queue:collect")),
    }
    return {
        "benchmark": "ingest",
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine_info | {"load_average_after": [round(value, 2) for value in os.getloadavg()]},
        "server": {"gunicorn": asdict(server)},
        "load": asdict(load),
        "factcheck": asdict(factcheck) | per_round(rounds["factcheck"]) | factcheck_extra,
        "minimal": asdict(minimal) | per_round(rounds["minimal"]),
        "ratio_throughput_factcheck_to_minimal": round(ratio, 3),
        # Steadier than the ratio of medians when the machine is noisy: each round's own ratio
        # (the two apps run back to back), and what the CPU per ticket predicts on saturated cores.
        "ratio_by_round": [
            round(f.per_second / m.per_second, 3) if m.per_second else 0.0
            for f, m in zip(rounds["factcheck"], rounds["minimal"], strict=True)
        ],
        "ratio_cpu_per_ticket_minimal_to_factcheck": cpu_ratio(factcheck, minimal),
        "targets": TARGETS,
        "meets_targets": {
            "tickets_per_second": factcheck.per_second >= TARGETS["tickets_per_second"],
            "ratio": ratio >= TARGETS["ratio"],
        },
    }


def server_env(url: str, redis_url: str, folder: Path) -> dict[str, str]:
    """The settings factcheck's gunicorn runs with: production mode, metrics in ``folder``."""
    (folder / "metrics").mkdir(exist_ok=True)
    return {
        "FACTCHECK_ENV": "production",
        "FACTCHECK_DATABASE_URL": url,
        "FACTCHECK_REDIS_URL": redis_url,
        "FACTCHECK_SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "FACTCHECK_INSTANCE_PATH": str(folder / "instance"),
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        # No worker runs here: without this every ticket past the default 2,000 would wait in
        # the database and skip its enqueue, which would flatter the figure.
        "FACTCHECK_COLLECT_QUEUE_LIMIT": "1000000",
    }


def cpu_ratio(factcheck: Phase, minimal: Phase) -> float | None:
    """Total CPU per ticket of the minimal app over factcheck's (None without ``/proc``)."""
    spent = sum(factcheck.cpu_ms_per_ticket.values())
    if not spent or not minimal.cpu_ms_per_ticket:
        return None
    return round(sum(minimal.cpu_ms_per_ticket.values()) / spent, 3)


def median(phases: list[Phase]) -> Phase:
    """The round with the median throughput (the lower one of the middle two)."""
    return sorted(phases, key=lambda phase: phase.per_second)[(len(phases) - 1) // 2]


def per_round(phases: list[Phase]) -> dict[str, list[float]]:
    return {"per_second_by_round": [phase.per_second for phase in phases]}


def bench_database(admin_url: str) -> AbstractContextManager[str]:
    """The dedicated benchmark database, created fresh and dropped afterwards (one run at a time)."""
    return services.postgres_database(admin_url, BENCH_DATABASE)


def prepare_factcheck(url: str, redis_url: str, tmp: Path) -> str:
    """Migrate the benchmark database and return an API token of a new editor."""
    from factcheck import auth, create_app, migrate
    from factcheck.config import Settings
    from factcheck.db import unit_of_work

    migrate.upgrade(url)
    settings = Settings.from_env(
        {}, database_url=url, redis_url=redis_url, secret_key="bench", instance_path=str(tmp / "instance")
    )
    app = create_app(settings)
    with app.app_context(), unit_of_work() as session:
        editor = auth.create_user(session, "bench-editor@example.org", "editor")
        token = auth.create_token(session, editor, "bench")
    app.extensions["factcheck.engine"].dispose()
    return token


def prepare_minimal(url: str) -> None:
    import minimal_app

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {minimal_app.SCHEMA}"))
        minimal_app.Base.metadata.create_all(connection)
    engine.dispose()


def measure(target: Target, server: ServerSettings, load: Load, run_id: str) -> Phase:
    """Serve the target with gunicorn, warm it up, then run the measured load."""
    headers = {"Content-Type": "application/json", **target.headers}
    with gunicorn(target.app_spec, target.cwd, target.env, server) as (
        port,
        server_log,
    ):
        warm = run_load(port, headers, claims(f"{run_id}-warm", target.name, load.warmup), load)
        log(f"  warm-up: {warm.ok}/{warm.requests} ok in {warm.seconds:.1f}s")
        groups = process_groups(port)
        before = {name: cpu_seconds(pids) for name, pids in groups.items()}
        phase = run_load(port, headers, claims(run_id, target.name, load.requests), load)
        if groups and phase.ok:
            spent = {name: cpu_seconds(pids) - before[name] for name, pids in groups.items()}
            spent["load_generator"] = phase.client_cpu_seconds
            phase.cpu_ms_per_ticket = {
                name: round(1000 * value / phase.ok, 3) for name, value in spent.items()
            }
        log(f"  measured: {phase.per_second:.0f}/s, p50 {phase.p50_ms} ms, p99 {phase.p99_ms} ms")
        if warm.errors or phase.errors:
            server_log.seek(0)
            log(f"  errors: {phase.first_error or warm.first_error}\n  server log (end):")
            log(server_log.read().decode(errors="replace")[-3000:])
    return phase


@contextmanager
def gunicorn(
    app_spec: str, cwd: Path, app_env: dict[str, str], server: ServerSettings
) -> Iterator[tuple[int, IO[bytes]]]:
    """Serve ``app_spec`` on a free loopback port, with the image's gunicorn config unless
    ``server.access_log`` is off; yield the port and the server's log file."""
    port = services.free_port()
    config = GUNICORN_CONFIG if server.access_log else ()
    env = {name: value for name, value in os.environ.items() if not name.startswith("FACTCHECK_")}
    env.update(app_env)
    argv = [
        sys.executable, "-m", "gunicorn", *config, app_spec,
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(server.workers),
        "--worker-class", server.worker_class,
        "--threads", str(server.threads),
        "--log-level", "warning",
    ]  # fmt: skip
    if Path("/dev/shm").is_dir():
        argv += ["--worker-tmp-dir", "/dev/shm"]
    with tempfile.TemporaryFile() as log_file:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log_file, stderr=log_file)
        try:
            wait_until_serving(port, process, log_file)
            yield port, log_file
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def process_groups(port: int) -> dict[str, list[int]]:
    """The pids whose CPU the figures split: the gunicorn serving ``port`` (master and workers),
    every PostgreSQL process and every Redis server on the machine. Empty without ``/proc``."""
    if not Path("/proc/self/stat").exists():
        return {}
    found = list(processes())
    bound = f"127.0.0.1:{port}"
    masters = [pid for pid, parent, _, command in found if parent == os.getpid() and bound in command]
    return {
        "server": masters + [pid for pid, parent, _, _ in found if parent in masters],
        "postgres": [pid for pid, _, name, _ in found if name.startswith("postgres")],
        "redis": [pid for pid, _, name, _ in found if name.startswith("redis-server")],
    }


def processes() -> Iterator[tuple[int, int, str, str]]:
    """Each live process from ``/proc``: its pid, its parent's pid, its name and its command line."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        yield int(entry.name), int(stat[stat.rindex(")") + 2 :].split()[1]), name, command


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the live processes among ``pids`` have used."""
    ticks = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_until_serving(
    port: int, process: subprocess.Popen[bytes], log_file: Any, timeout: float = 30
) -> None:
    """Return once the server answers any HTTP request; fail with its log if it dies or hangs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.1)
    log_file.seek(0)
    raise SystemExit(f"gunicorn did not start:\n{log_file.read().decode(errors='replace')[-4000:]}")


def claims(run_id: str, app_name: str, count: int) -> list[bytes]:
    """``count`` distinct claims as request bodies (distinct, so none is a duplicate of another)."""
    return [
        json.dumps(
            {
                "claim": f"Claim {run_id}/{index} via {app_name}: unemployment fell by {index % 97} percent "
                f"in district {index % 13} last year, the minister said.",
                "speaker": "A. Minister",
                "tags": ["bench"],
            }
        ).encode()
        for index in range(count)
    ]


def run_load(port: int, headers: dict[str, str], bodies: list[bytes], load: Load) -> Phase:
    """POST every body once from ``load.clients`` threads; stop early at the time cap."""
    pending = iter(bodies)
    lock = threading.Lock()
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    first_error: list[str] = []
    deadline = time.monotonic() + load.time_cap

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        seen: Counter[str] = Counter()
        while time.monotonic() < deadline:
            with lock:
                body = next(pending, None)
            if body is None:
                break
            started = time.perf_counter()
            outcome, answer = post(connection, body, headers)
            mine.append(time.perf_counter() - started)
            seen[outcome] += 1
            if outcome != "201" and not first_error:
                first_error.append(f"{outcome}: {answer[:300]!r}")
        connection.close()
        with lock:
            latencies.extend(mine)
            outcomes.update(seen)

    cpu_before, started = time.process_time(), time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(load.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_before
    phase = summarise(latencies, outcomes, seconds, cpu, bodies)
    phase.first_error = first_error[0] if first_error else None
    return phase


def post(connection: http.client.HTTPConnection, body: bytes, headers: dict[str, str]) -> tuple[str, bytes]:
    """One request: the status code (or the exception's name) and the response body."""
    try:
        connection.request("POST", PATH, body, headers)
        response = connection.getresponse()
        return str(response.status), response.read()
    except (OSError, http.client.HTTPException) as exc:
        connection.close()  # reconnects on the next request
        return type(exc).__name__, str(exc).encode()


def summarise(
    latencies: list[float], outcomes: Counter[str], seconds: float, cpu: float, bodies: list[bytes]
) -> Phase:
    ordered = sorted(latencies)
    ok = outcomes.get("201", 0)

    def percentile(fraction: float) -> float:
        if not ordered:
            return 0.0
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 2)

    return Phase(
        requests=len(ordered),
        ok=ok,
        errors=len(ordered) - ok,
        error_kinds={kind: count for kind, count in outcomes.items() if kind != "201"},
        seconds=round(seconds, 3),
        per_second=round(ok / seconds, 1) if seconds else 0.0,
        p50_ms=percentile(0.50),
        p90_ms=percentile(0.90),
        p99_ms=percentile(0.99),
        max_ms=round(ordered[-1] * 1000, 2) if ordered else 0.0,
        capped=len(ordered) < len(bodies),
        client_cpu_seconds=round(cpu, 2),
    )


def count_rows(url: str, query: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = int(connection.scalar(text(query)) or 0)
    engine.dispose()
    return count


def machine(url: str, redis_conn: redis.Redis) -> dict[str, Any]:
    engine = create_engine(url)
    with engine.connect() as connection:
        postgres = connection.scalar(select(func.current_setting("server_version")))
    engine.dispose()
    return {
        "cpus": os.cpu_count(),
        "load_average_before": [round(value, 2) for value in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgres": postgres,
        "redis": redis_conn.info("server").get("redis_version"),
        "gunicorn": importlib.metadata.version("gunicorn"),
    }


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
