"""Pipeline benchmark: 1,000 claims through 2 workers, library source over 100k passages.

    .venv/bin/python bench/pipeline.py [--claims 1000] [--passages 100000] [--workers 2]

PostgreSQL (a fresh ``factcheck_pipeline_bench`` database, created from ``--postgres-url``
and dropped at the end) and a real Redis (``--redis-url``, default database 6, emptied
before and after). The library gets ``--passages`` synthetic passages (see
``bench/search.py``); ``FACTCHECK_REFERENCE_SOURCES`` is ``library``. ``--workers``
``factcheck worker --queue collect`` processes start first (webhook fan-out jobs wait in
their own queue, so only collection is measured); the claims (CLIMATE-FEVER claims, cycled with a
number so each opens its own ticket) are then submitted through the intake service with the
commit-then-enqueue of the API. Reported: claims/s (first submit to last ticket in triage),
submit-to-triage p50/p95 (ticket ``created_at`` to its ``finish_collection`` event), peak RSS
of the worker processes and of their work-horses, and the per-claim job cost (worker-seconds
per job) as a ratio to an RQ no-op job run on the same workers (same ``AppWorker`` class,
same fork per job) in the same run. JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import redis  # noqa: E402
from search import DATA, build, database, log  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from factcheck import create_app, db, queue  # noqa: E402
from factcheck.actors import SYSTEM  # noqa: E402
from factcheck.config import Settings  # noqa: E402
from factcheck.models import Ticket, TicketEvent  # noqa: E402
from factcheck.tickets import intake  # noqa: E402

TARGETS = {"claims_per_second": 40.0, "job_cost_ratio_to_noop": 3.0}


class RssSampler(threading.Thread):
    """Peak resident memory of the worker processes and, separately, of their children."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.worker_kb, self.horse_kb, self.running = pids, 0, 0, True

    def run(self) -> None:
        while self.running:
            for pid in self.pids:
                self.worker_kb = max(self.worker_kb, _rss_kb(pid))
                for child in _children(pid):
                    self.horse_kb = max(self.horse_kb, _rss_kb(child))
            time.sleep(0.05)


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def start_workers(count: int, env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            [sys.executable, "-m", "factcheck", "worker", "--queue", "collect"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(count)
    ]


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=60)


def wait_until(predicate: Any, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the workers did not finish in time")
        time.sleep(0.05)
    return time.monotonic()


def submit_claims(app: Any, claims: list[str]) -> float:
    started = time.monotonic()
    with app.app_context():
        for claim in claims:
            with db.unit_of_work() as session:
                ticket_id = intake.submit_claim(
                    session, intake.Submission(claim=claim, channel="api"), SYSTEM
                ).ticket_id
            queue.enqueue_collection(ticket_id)
    return started


def triaged(app: Any) -> int:
    with app.app_context(), db.unit_of_work() as session:
        return int(
            session.scalar(select(text("count(*)")).select_from(Ticket).where(Ticket.state == "triage")) or 0
        )


def latencies(app: Any) -> tuple[list[float], list[float]]:
    """Submit-to-triage and start-to-finish of collection (inside the job), in ms, sorted."""
    with app.app_context(), db.unit_of_work() as session:
        events: dict[str, dict[str, Any]] = {}
        for ticket_id, created, action, at in session.execute(
            select(Ticket.id, Ticket.created_at, TicketEvent.action, TicketEvent.at)
            .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
            .where(TicketEvent.action.in_(("start_collection", "finish_collection")))
        ):
            events.setdefault(ticket_id, {"created": created})[action] = at
    done = [e for e in events.values() if "finish_collection" in e and "start_collection" in e]
    total = sorted((e["finish_collection"] - e["created"]).total_seconds() * 1000 for e in done)
    inside = sorted((e["finish_collection"] - e["start_collection"]).total_seconds() * 1000 for e in done)
    return total, inside


def percentiles(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 1),
        "p95": round(values[int(0.95 * (len(values) - 1))], 1),
    }


def run_noop(app: Any, count: int, workers: int, env: dict[str, str]) -> float:
    """Worker-seconds per no-op job on the same worker class (AppWorker, JSON serializer)."""
    with app.app_context():
        collect = queue.queue(queue.COLLECT_QUEUE)
        for number in range(count):
            collect.enqueue("noop_job.noop", f"n{number}", result_ttl=0)
    processes = start_workers(workers, env)
    started = time.monotonic()
    try:
        with app.app_context():
            finished = wait_until(lambda: collect.count == 0 and collect.started_job_registry.count == 0, 600)
    finally:
        stop_workers(processes)
    return (finished - started) * workers / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/6")
    args = parser.parse_args()
    base_claims = [json.loads(line)["claim"] for line in (DATA / "claims-dev.jsonl").open()]
    claims = [f"{base_claims[n % len(base_claims)]} ({n})" for n in range(args.claims)]
    redis.Redis.from_url(args.redis_url).flushdb()
    with database("postgresql", args.postgres_url, "factcheck_pipeline_bench") as url:
        log(f"building the library: {args.passages} passages")
        library_app, _seconds = build(url, args.passages)
        library_app.extensions["factcheck.engine"].dispose()
        overrides = {"reference_sources": "library", "redis_url": args.redis_url}
        settings = Settings.from_env({}, database_url=url, secret_key="bench", **overrides)
        app = create_app(settings)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FACTCHECK_")}
        env.update(
            FACTCHECK_DATABASE_URL=url,
            FACTCHECK_REDIS_URL=args.redis_url,
            FACTCHECK_SECRET_KEY="bench",
            FACTCHECK_REFERENCE_SOURCES="library",
            PYTHONPATH=f"{BENCH}{os.pathsep}{env.get('PYTHONPATH', '')}",
        )
        log(f"no-op baseline: {args.claims} jobs on {args.workers} workers")
        noop_cost = run_noop(app, args.claims, args.workers, env)
        log(f"pipeline: {args.claims} claims on {args.workers} workers")
        workers = start_workers(args.workers, env)
        sampler = RssSampler([worker.pid for worker in workers])
        sampler.start()
        time.sleep(2)  # workers up and listening before the first claim
        try:
            started = submit_claims(app, claims)
            finished = wait_until(lambda: triaged(app) >= args.claims, 900)
        finally:
            sampler.running = False
            stop_workers(workers)
        elapsed = finished - started
        times, inside = latencies(app)
        app.extensions["factcheck.engine"].dispose()
    redis.Redis.from_url(args.redis_url).flushdb()
    job_cost = elapsed * args.workers / args.claims
    print(
        json.dumps(
            {
                "benchmark": "pipeline",
                "backend": "postgresql + redis",
                "claims": args.claims,
                "workers": args.workers,
                "library_passages": args.passages,
                "sources": ["library"],
                "claims_per_second": round(args.claims / elapsed, 1),
                "submit_to_triage_ms": percentiles(times),
                "collection_inside_job_ms": percentiles(inside),
                "load_average_1min_at_end": round(os.getloadavg()[0], 2),
                "worker_rss_mb": round(sampler.worker_kb / 1024, 1),
                "work_horse_rss_mb": round(sampler.horse_kb / 1024, 1),
                "job_cost_worker_ms": round(job_cost * 1000, 1),
                "noop_job_cost_worker_ms": round(noop_cost * 1000, 1),
                "job_cost_ratio_to_noop": round(job_cost / noop_cost, 2),
                "targets": TARGETS,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
