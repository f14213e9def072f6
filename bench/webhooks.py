"""Webhook delivery benchmark: deliveries/s from real RQ workers to a local receiver, against a baseline.

    .venv/bin/python bench/webhooks.py            # prints one JSON object on stdout

Creates a fresh PostgreSQL database (``factcheck_bench_webhooks``, dropped at the end),
migrates it and starts a local receiver (a threaded ``http.server`` on 127.0.0.1 that
verifies every request with ``standardwebhooks`` and counts it). Baseline: the same signed
body POSTed to the same receiver with raw httpx, once over one keep-alive connection and
once with a new connection per request (what each delivery job does). Measured: for each
``--workers`` count, ``--deliveries`` tickets are opened with a subscription to
``ticket.created``, the dispatch job is held back until that many ``factcheck worker``
processes are up, then the clock runs from the dispatch to the last verified delivery.
A diagnostic last phase runs the same deliveries through rq's non-forking ``SimpleWorker``
in this process, to show what forking a work-horse per job costs. Progress goes to stderr.

Environment: ``FACTCHECK_BENCH_DATABASE_URL`` (a maintenance database the bench may create
and drop databases from; default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``)
and ``FACTCHECK_BENCH_WEBHOOKS_REDIS_URL`` (default ``redis://127.0.0.1:6379/3``; emptied
before and after the run).
"""

from __future__ import annotations

import argparse
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
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import redis
import services  # bench/ sibling: PostgreSQL databases and processes for benchmarks
from sqlalchemy import create_engine, func, select
from standardwebhooks.webhooks import Webhook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DATABASE = "factcheck_bench_webhooks"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/3"
SECRET_KEY = "bench-" + uuid.uuid4().hex


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Receiver:
    """Counts requests whose Standard Webhooks signature verifies with the current secret."""

    def __init__(self) -> None:
        self.secret = "whsec_" + "A" * 43 + "="
        self.verified = 0
        self.rejected = 0
        self.ids: set[str] = set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive for the baseline client

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.check(body, dict(self.headers.items()))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def check(self, body: bytes, headers: dict[str, str]) -> None:
        try:
            Webhook(self.secret).verify(body, headers)
        except Exception:  # any verification failure counts as rejected
            with self._lock:
                self.rejected += 1
            return
        with self._lock:
            self.verified += 1
            self.ids.add(headers.get("webhook-id") or headers.get("Webhook-Id") or "")

    def reset(self, secret: str) -> None:
        with self._lock:
            self.secret, self.verified, self.rejected, self.ids = secret, 0, 0, set()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Phase:
    deliveries: int
    verified: int
    rejected: int
    distinct_webhook_ids: int
    seconds: float
    per_second: float
    attempts_per_delivery: float = 1.0
    attempt_p50_ms: float = 0.0
    attempt_p99_ms: float = 0.0
    workers: int = 0
    capped: bool = False


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deliveries", type=int, default=200, help="deliveries per worker count")
    parser.add_argument("--workers", default="1,4", help="comma-separated worker process counts")
    parser.add_argument("--baseline", type=int, default=1000, help="raw POSTs per baseline")
    parser.add_argument("--time-cap", type=float, default=180.0, help="seconds per phase at most")
    args = parser.parse_args(argv)
    args.worker_counts = [int(part) for part in args.workers.split(",") if part.strip()]
    if not (0 < args.deliveries <= 20_000 and 0 < args.baseline <= 50_000):
        parser.error("keep --deliveries in 1..20000 and --baseline in 1..50000")
    if not args.worker_counts or not all(0 < count <= 16 for count in args.worker_counts):
        parser.error("--workers takes counts in 1..16")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    admin_url = os.environ.get("FACTCHECK_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("FACTCHECK_BENCH_WEBHOOKS_REDIS_URL", DEFAULT_REDIS_URL)
    redis_conn = redis.Redis.from_url(redis_url)
    redis_conn.flushdb()
    receiver = Receiver()
    try:
        with tempfile.TemporaryDirectory(prefix="factcheck-bench-") as tmp, bench_database(admin_url) as url:
            result = run(args, url, redis_url, redis_conn, receiver, Path(tmp))
    finally:
        receiver.stop()
        redis_conn.flushdb()
    print(json.dumps(result, indent=2))
    return 0


def run(
    args: argparse.Namespace, url: str, redis_url: str, redis_conn: redis.Redis, receiver: Receiver, tmp: Path
) -> dict[str, Any]:
    from factcheck import create_app, migrate
    from factcheck.config import Settings

    load_before = [round(value, 2) for value in os.getloadavg()]
    migrate.upgrade(url)
    env = {
        "FACTCHECK_DATABASE_URL": url,
        "FACTCHECK_REDIS_URL": redis_url,
        "FACTCHECK_SECRET_KEY": SECRET_KEY,
        "FACTCHECK_INSTANCE_PATH": str(tmp / "instance"),
        "FACTCHECK_OUTBOUND_ALLOW_HOSTS": "127.0.0.1",
    }
    app = create_app(Settings.from_env(env))
    log(f"baseline: {args.baseline} raw httpx POSTs, keep-alive and new connection each")
    keepalive = baseline(receiver, args.baseline, reuse=True)
    fresh = baseline(receiver, args.baseline, reuse=False)
    log(f"  {keepalive.per_second:.0f}/s keep-alive, {fresh.per_second:.0f}/s new connection each")
    phases = []
    for count in args.worker_counts:
        log(f"delivery: {args.deliveries} deliveries, {count} worker process(es)")
        phase = measure(app, env, receiver, redis_conn, args.deliveries, count, args.time_cap)
        log(f"  {phase.per_second:.1f} deliveries/s in {phase.seconds:.1f}s")
        phases.append(phase)
    log(f"diagnostic: {args.deliveries} deliveries by one in-process worker that does not fork per job")
    unforked = measure_unforked(app, receiver, redis_conn, args.deliveries, args.time_cap)
    log(f"  {unforked.per_second:.1f} deliveries/s")
    app.extensions["factcheck.engine"].dispose()
    best = max(phases, key=lambda phase: phase.per_second)
    return {
        "benchmark": "webhooks",
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(url) | {"load_average_before": load_before},
        "receiver": "ThreadingHTTPServer on 127.0.0.1 verifying every request with standardwebhooks",
        "baseline_raw_httpx_keepalive": asdict(keepalive),
        "baseline_raw_httpx_new_connection": asdict(fresh),
        "delivery": [asdict(phase) for phase in phases],
        "diagnostic_unforked_worker": asdict(unforked),
        "ratio_best_to_keepalive": round(best.per_second / keepalive.per_second, 3),
        "ratio_best_to_new_connection": round(best.per_second / fresh.per_second, 3),
    }


def baseline(receiver: Receiver, requests: int, reuse: bool) -> Phase:
    """POST a signed body ``requests`` times from one thread (signing included, like a sender)."""
    secret = "whsec_" + "B" * 43 + "="
    receiver.reset(secret)
    signer = Webhook(secret)
    body = json.dumps(
        {"type": "ticket.created", "timestamp": "2026-01-01T00:00:00Z", "data": sample_ticket()}
    )
    started = time.perf_counter()
    # No keep-alive: a new TCP connection per request, as each delivery job opens (no TLS here).
    limits = httpx.Limits() if reuse else httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(timeout=10, limits=limits) as client:
        for number in range(requests):
            msg_id = f"msg_{number}"
            headers = {
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(time.time())),
                "webhook-signature": signer.sign(msg_id, datetime.now(UTC), body),
                "Content-Type": "application/json",
            }
            client.post(receiver.url, content=body, headers=headers)
    seconds = time.perf_counter() - started
    return Phase(
        requests,
        receiver.verified,
        receiver.rejected,
        len(receiver.ids),
        round(seconds, 3),
        round(receiver.verified / seconds, 1),
    )


def sample_ticket() -> dict[str, Any]:
    return {
        "ticket": {
            "id": uuid.uuid4().hex,
            "claim": "Unemployment fell by 3 percent last year.",
            "state": "submitted",
        }
    }


def measure(
    app: Any,
    env: dict[str, str],
    receiver: Receiver,
    conn: redis.Redis,
    deliveries: int,
    workers: int,
    cap: float,
) -> Phase:
    """Open ``deliveries`` tickets for a new subscription, then time the workers delivering them."""
    subscription_id = prepare_phase(app, receiver, deliveries)
    conn.flushdb()  # the dispatch job waits until the workers are up
    with worker_processes(env, workers, conn):
        from factcheck.webhooks import transport

        started = time.perf_counter()
        with app.app_context():
            transport.enqueue_dispatch(conn)
        deadline = started + cap
        while receiver.verified < deliveries and time.perf_counter() < deadline:
            time.sleep(0.01)
        seconds = time.perf_counter() - started
    attempts, p50, p99 = attempt_stats(app, subscription_id)
    return Phase(
        deliveries,
        receiver.verified,
        receiver.rejected,
        len(receiver.ids),
        round(seconds, 3),
        round(receiver.verified / seconds, 1),
        attempts,
        p50,
        p99,
        workers,
        receiver.verified < deliveries,
    )


def measure_unforked(app: Any, receiver: Receiver, conn: redis.Redis, deliveries: int, cap: float) -> Phase:
    """The same work through rq's SimpleWorker in this process: what forking a horse per job costs."""
    from rq import SimpleWorker

    from factcheck import queue
    from factcheck.webhooks import transport

    subscription_id = prepare_phase(app, receiver, deliveries)
    conn.flushdb()
    with app.app_context():
        worker = SimpleWorker(
            [queue.queue(queue.WEBHOOK_QUEUE, conn)], connection=conn, serializer=queue.SERIALIZER
        )
        started = time.perf_counter()
        transport.enqueue_dispatch(conn)
        while receiver.verified < deliveries and time.perf_counter() < started + cap:
            worker.work(burst=True, logging_level="WARNING")
        seconds = time.perf_counter() - started
    attempts, p50, p99 = attempt_stats(app, subscription_id)
    return Phase(
        deliveries,
        receiver.verified,
        receiver.rejected,
        len(receiver.ids),
        round(seconds, 3),
        round(receiver.verified / seconds, 1),
        attempts,
        p50,
        p99,
        1,
        receiver.verified < deliveries,
    )


def prepare_phase(app: Any, receiver: Receiver, deliveries: int) -> str:
    from factcheck.actors import SYSTEM
    from factcheck.db import unit_of_work
    from factcheck.models import WebhookSubscription
    from factcheck.tickets import intake
    from factcheck.webhooks import subscriptions

    run_id = uuid.uuid4().hex[:8]
    with app.app_context():
        with unit_of_work() as session:
            for old in session.scalars(select(WebhookSubscription)):
                old.active = False
            subscription, secret = subscriptions.create(session, receiver.url, ["ticket.created"], SYSTEM)
        for start in range(0, deliveries, 100):
            with unit_of_work() as session:
                for index in range(start, min(start + 100, deliveries)):
                    claim = f"Claim {run_id}/{index}: unemployment fell {index % 97}% in district {index}."
                    intake.submit_claim(session, intake.Submission(claim=claim, channel="api"), SYSTEM)
    receiver.reset(secret)
    return subscription.id


@contextmanager
def worker_processes(env: dict[str, str], count: int, conn: redis.Redis) -> Iterator[None]:
    from rq import Worker

    process_env = {name: value for name, value in os.environ.items() if not name.startswith("FACTCHECK_")}
    process_env.update(env)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "factcheck", "worker"],
            cwd=ROOT,
            env=process_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    try:
        deadline = time.monotonic() + 60
        while Worker.count(connection=conn) < count:
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise SystemExit("the workers did not start")
            time.sleep(0.05)
        yield
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def attempt_stats(app: Any, subscription_id: str) -> tuple[float, float, float]:
    from factcheck import db
    from factcheck.models import DeliveryAttempt, WebhookDelivery

    with app.app_context():
        session = db.session()
        durations = sorted(
            session.scalars(
                select(DeliveryAttempt.duration_ms)
                .join(WebhookDelivery, WebhookDelivery.id == DeliveryAttempt.delivery_id)
                .where(WebhookDelivery.subscription_id == subscription_id)
            )
        )
        deliveries = session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == subscription_id)
        )
    if not durations:
        return 0.0, 0.0, 0.0
    per_delivery = round(len(durations) / (deliveries or 1), 3)
    return (
        per_delivery,
        float(durations[len(durations) // 2]),
        float(durations[int(len(durations) * 0.99) - 1]),
    )


def bench_database(admin_url: str) -> AbstractContextManager[str]:
    """The benchmark's own database, created fresh and dropped afterwards (one run at a time)."""
    return services.postgres_database(admin_url, BENCH_DATABASE)


def machine(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    with engine.connect() as connection:
        postgres = connection.scalar(select(func.current_setting("server_version")))
    engine.dispose()
    return {
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgresql": postgres,
    }


if __name__ == "__main__":
    sys.exit(main())
