"""Load benchmark: a steady stream of claims through the whole service, with slow remote sources.

    .venv/bin/python bench/load.py                 # 150 claims/s for 2 minutes (issue 9); ~6 min
    .venv/bin/python bench/load.py --quick         # 20 s smoke run; ~2 min
    .venv/bin/python bench/load.py --rate 50 --duration 60 --drain 60 --plot /tmp/load.png

Starts everything on 127.0.0.1, and stops it at the end (also on Ctrl-C or SIGTERM): a fresh
PostgreSQL database ``loadbench`` (dropped at the end), a redis-server of its own on a free
port (append-only file on, as in production), ``bench/slow_sources.py`` (MediaWiki and Fact
Check Tools answering in 100 ms-2 s, 1% of requests hanging past the source timeout), gunicorn
(2 workers x 4 threads, the image's setting) serving ``factcheck:create_app()`` with
``FACTCHECK_ENV=production`` and all four API sources on, two ``factcheck worker`` processes
and ``factcheck sweeper``.

First the baseline: the same open-loop load against ``bench/minimal_app.py`` (parse the JSON,
insert one row) under the same gunicorn settings, before any worker runs. Then the service:
distinct claims (the Snopes claims of CLEF-2022 CheckThat! 2A, Nakov et al. 2022, and the
CLIMATE-FEVER claims, Diggelmann et al. 2020, read from ``../shared/data`` at run time) are
POSTed to ``/api/v1/tickets`` at ``--rate`` per second for ``--duration`` seconds, whatever the
answers take (see ``bench/openloop.py``). Every second a sampler records the collect and
webhooks queue depths, tickets per state, Redis ``used_memory`` and the RSS of the RQ workers
(work-horses included) and of gunicorn. After the load the workers get ``--drain`` seconds more;
then each ticket's submit-to-triage time is read from its audit trail (``created_at`` to the
``finish_collection`` event).

Prints one JSON object (progress on stderr) and saves a PNG of queue depth, API latency and
memory over time to ``--plot`` (default ``docs/load.png``). ``FACTCHECK_BENCH_DATABASE_URL``
names the maintenance database to create ``loadbench`` from (default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import ingest  # noqa: E402
import openloop  # noqa: E402
import psutil  # noqa: E402
import redis  # noqa: E402
import services  # noqa: E402
from load_plot import save_plot  # noqa: E402
from rq import Queue  # noqa: E402
from sqlalchemy import Engine, func, select  # noqa: E402

from factcheck.models import Ticket, TicketEvent  # noqa: E402

DATABASE = "loadbench"
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TICKETS = "/api/v1/tickets"
SERVER = ingest.ServerSettings(workers=2, worker_class="gthread", threads=4)
SOURCES = "library,factchecks,wikipedia,factchecktools"
CLAIMS_CITATION = (
    "CLEF-2022 CheckThat! 2A vclaims (Nakov et al. 2022); CLIMATE-FEVER (Diggelmann et al. 2020)"
)
WARM_UP = 40  # requests sent one by one before the measured load (the server's first ones load code)
SOURCE_TIMEOUT = 10.0  # the service's default for both API sources; a timed-out request hangs longer


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=150.0, help="claims per second (open loop)")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load")
    parser.add_argument("--drain", type=float, default=60.0, help="seconds the workers get after the load")
    parser.add_argument("--workers", type=int, default=2, help="factcheck worker processes")
    parser.add_argument(
        "--worker-mode", default="fork", choices=["fork", "in-process"], help="FACTCHECK_WORKER_MODE"
    )
    parser.add_argument("--threads", type=int, default=256, help="client threads (concurrent requests)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 s of load, 10 s of drain")
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "load.png")
    parser.add_argument("--samples-json", type=Path, help="also write every 1 s sample here")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.drain = 20.0, 10.0
    if not (0 < args.rate <= 1000 and 0 < args.duration <= 900 and 0 <= args.drain <= 1800):
        parser.error("keep --rate in (0, 1000], --duration in (0, 900] and --drain in [0, 1800]")
    if not (0 < args.workers <= 16 and 0 < args.threads <= 1024):
        parser.error("keep --workers in 1..16 and --threads in 1..1024")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))  # clean up on SIGTERM too
    count, warm = int(args.rate * args.duration), WARM_UP
    bodies = claim_bodies(count + warm)
    load = Load(bodies[:count], bodies[count:], args)
    load_average_before = [round(value, 2) for value in os.getloadavg()]
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="factcheck-load-")))
        admin_url = os.environ.get("FACTCHECK_BENCH_DATABASE_URL", DEFAULT_ADMIN_URL)
        url = stack.enter_context(services.postgres_database(admin_url, DATABASE))
        redis_url = stack.enter_context(services.redis_server(tmp))
        sources = stack.enter_context(services.slow_sources(timeout_after=SOURCE_TIMEOUT + 2))
        token = ingest.prepare_factcheck(url, redis_url, tmp)
        ingest.prepare_minimal(url)
        ingest.log(f"baseline: minimal_app, {args.rate:g}/s for {args.duration:g} s")
        baseline = run_minimal(url, load)
        env = service_env(url, redis_url, sources, tmp, args.worker_mode)
        result = run_factcheck(stack, env, url, redis_url, token, load)
    requests, samples = result.pop("requests"), result.pop("samples")
    result["baseline_minimal_api"] = openloop.latency_summary(baseline)
    result["ratio_api_p95_factcheck_to_minimal"] = ratio(
        result["api"]["p95_ms"], result["baseline_minimal_api"]["p95_ms"]
    )
    result["machine"] = machine(load_average_before)
    last_answer = max((request.done for request in requests), default=args.duration)
    save_plot(
        args.plot,
        openloop.per_second(requests),
        openloop.per_second(baseline),
        samples,
        args.duration,
        last_answer,
    )
    if args.samples_json:
        args.samples_json.write_text(json.dumps(samples, indent=1))
    print(json.dumps({"benchmark": "load", **result, "plot": str(args.plot)}, indent=2))
    return 0


@dataclass(frozen=True)
class Load:
    """The measured request bodies, the warm-up ones (sent first, one by one) and the settings."""

    bodies: list[bytes]
    warm_up: list[bytes]
    args: argparse.Namespace

    def run(self, port: int, headers: dict[str, str], start: float) -> list[openloop.Request]:
        return openloop.run_open_loop(
            port, TICKETS, headers, self.bodies, self.args.rate, self.args.threads, start
        )


def run_minimal(url: str, load: Load) -> list[openloop.Request]:
    minimal_env = {"BENCH_MINIMAL_DATABASE_URL": url}
    headers = {"Content-Type": "application/json"}
    with ingest.gunicorn("minimal_app:create_app()", BENCH, minimal_env, SERVER) as (port, _log):
        openloop.warm_up(port, TICKETS, headers, load.warm_up)
        return load.run(port, headers, time.perf_counter() + 0.2)


def run_factcheck(
    stack: ExitStack, env: dict[str, str], url: str, redis_url: str, token: str, load: Load
) -> dict[str, Any]:
    """Serve the app with its workers and sweeper, run the load and the drain, return the figures."""
    instance = Path(env["FACTCHECK_INSTANCE_PATH"])
    port, server_log = stack.enter_context(ingest.gunicorn("factcheck:create_app()", instance, env, SERVER))
    for _ in range(load.args.workers):
        stack.enter_context(services.factcheck_command(["worker"], env))
    stack.enter_context(services.factcheck_command(["sweeper"], env))
    engine = stack.enter_context(services.engine_for(url))
    probe = Probe(redis.Redis.from_url(redis_url), engine)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    openloop.warm_up(port, TICKETS, headers, load.warm_up)  # also gives the workers time to register
    start = time.perf_counter() + 0.2
    sampler = openloop.Sampler(probe, started_at=start)
    sampler.start()
    args = load.args
    ingest.log(f"factcheck: {args.rate:g}/s for {args.duration:g} s, then up to {args.drain:g} s of drain")
    requests = load.run(port, headers, start)
    load_end = time.perf_counter() - start
    drain(probe, args.drain)
    sampler.stop()
    if any(request.outcome.startswith("5") for request in requests):
        server_log.seek(0)
        ingest.log(
            "server errors; the gunicorn log ends:\n" + server_log.read().decode(errors="replace")[-3000:]
        )
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "setup": setup(args),
        "api": openloop.latency_summary(requests),
        "queue": queue_figures(sampler.samples, load_end),
        "submit_to_triage": submit_to_triage(engine, time.perf_counter() - start),
        "redis_used_mb": {
            "peak": sampler.peak("redis_used_mb"),
            "at_end": sampler.samples[-1]["redis_used_mb"],
        },
        "rss_mb": {
            "rq_workers_peak": sampler.peak("rq_workers_rss_mb"),
            "rq_worker_process_peak": sampler.peak("rq_worker_max_rss_mb"),
            "gunicorn_peak": sampler.peak("gunicorn_rss_mb"),
        },
        "samples": sampler.samples,
        "requests": requests,
    }


def drain(probe: Probe, seconds: float) -> None:
    """Give the workers up to ``seconds`` more, or until the collect queue is empty."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sample = probe()
        if sample["collect_queued"] == 0 and sample["collect_running"] == 0:
            return
        time.sleep(1)


class Probe:
    """One sample: queue depths, tickets by state, Redis memory, RSS of the services."""

    def __init__(self, conn: redis.Redis, engine: Engine) -> None:
        self.conn, self.engine = conn, engine
        self.collect, self.webhooks = Queue("collect", connection=conn), Queue("webhooks", connection=conn)

    def __call__(self) -> dict[str, Any]:
        with self.engine.connect() as connection:
            states = dict(connection.execute(select(Ticket.state, func.count()).group_by(Ticket.state)).all())
        workers, gunicorn = service_trees()
        return {
            "collect_queued": self.collect.count,
            "collect_running": self.collect.started_job_registry.count,
            "webhooks_queued": self.webhooks.count,
            "tickets": sum(states.values()),
            "tickets_waiting": states.get("submitted", 0) + states.get("collecting", 0),
            "redis_used_mb": round(int(self.conn.info("memory")["used_memory"]) / 2**20, 1),
            "rq_workers_rss_mb": round(sum(rss(tree) for tree in workers) / 2**20, 1),
            "rq_worker_max_rss_mb": round(max((rss(tree[:1]) for tree in workers), default=0) / 2**20, 1),
            "gunicorn_rss_mb": round(sum(rss(tree) for tree in gunicorn) / 2**20, 1),
        }


def service_trees() -> tuple[list[list[psutil.Process]], list[list[psutil.Process]]]:
    """The process trees (process first, then its descendants) of our RQ workers and gunicorn."""
    workers, gunicorn = [], []
    for child in psutil.Process().children():
        try:
            command = " ".join(child.cmdline())
            tree = [child, *child.children(recursive=True)]
        except psutil.Error:
            continue
        if "factcheck worker" in command:
            workers.append(tree)
        elif "gunicorn" in command and "factcheck" in command:
            gunicorn.append(tree)
    return workers, gunicorn


def rss(processes: list[psutil.Process]) -> int:
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total


def queue_figures(samples: list[dict[str, Any]], load_end: float) -> dict[str, Any]:
    during = [sample for sample in samples if sample["t"] <= load_end] or samples[:1]
    first, last = during[0], during[-1]
    span = max(last["t"] - first["t"], 1e-9)
    return {
        "collect_depth_peak": max(sample["collect_queued"] for sample in samples),
        "collect_depth_at_load_end": last["collect_queued"],
        "collect_depth_at_end": samples[-1]["collect_queued"],
        "collect_depth_growth_per_second": round(
            (last["collect_queued"] - first["collect_queued"]) / span, 1
        ),
        "webhooks_depth_peak": max(sample["webhooks_queued"] for sample in samples),
        "tickets_not_in_triage_at_end": samples[-1]["tickets_waiting"],
        "collect_depth_every_5_s": [sample["collect_queued"] for sample in samples[::5]],
    }


def submit_to_triage(engine: Engine, elapsed: float) -> dict[str, Any]:
    """Each ticket's created_at to its first finish_collection event; unfinished ones count as slowest."""
    finished = (
        select(TicketEvent.ticket_id, func.min(TicketEvent.at).label("at"))
        .where(TicketEvent.action == "finish_collection")
        .group_by(TicketEvent.ticket_id)
        .subquery()
    )
    with engine.connect() as connection:
        rows = connection.execute(
            select(Ticket.created_at, finished.c.at).outerjoin(finished, finished.c.ticket_id == Ticket.id)
        ).all()
    done = sorted((at - created).total_seconds() for created, at in rows if at is not None)
    everything = done + [float("inf")] * (len(rows) - len(done))
    p95_all = openloop.percentile_ms(everything, 0.95)
    return {
        "submitted": len(rows),
        "triaged": len(done),
        "triaged_per_second": round(len(done) / elapsed, 2),
        "p95_ms": None if p95_all == float("inf") else p95_all,
        "p50_ms_of_triaged": openloop.percentile_ms(done, 0.5),
        "p95_ms_of_triaged": openloop.percentile_ms(done, 0.95),
    }


def claim_bodies(count: int) -> list[bytes]:
    """``count`` distinct request bodies from real claims (numbered once the real ones run out)."""
    texts: list[str] = []
    for path in sorted((DATA / "claim-matching").glob("vclaims-part*.jsonl")):
        texts += [json.loads(line)["vclaim"] for line in path.open(encoding="utf-8")]
    texts += [json.loads(line)["claim"] for line in (DATA / "evidence-retrieval" / "claims-dev.jsonl").open()]
    unique = list(dict.fromkeys(text.strip() for text in texts if text and text.strip()))
    claims = [
        unique[index % len(unique)] + ("" if index < len(unique) else f" ({index // len(unique)})")
        for index in range(count)
    ]
    return [json.dumps({"claim": claim[:2000], "tags": ["load"]}).encode() for claim in claims]


def service_env(
    url: str, redis_url: str, sources_port: int, tmp: Path, worker_mode: str = "fork"
) -> dict[str, str]:
    (tmp / "instance").mkdir(exist_ok=True)
    base = f"http://127.0.0.1:{sources_port}"
    return {
        "FACTCHECK_ENV": "production",
        "FACTCHECK_DATABASE_URL": url,
        "FACTCHECK_REDIS_URL": redis_url,
        "FACTCHECK_SECRET_KEY": "load-" + os.urandom(8).hex(),
        "FACTCHECK_INSTANCE_PATH": str(tmp / "instance"),
        "FACTCHECK_REFERENCE_SOURCES": SOURCES,
        "FACTCHECK_WIKIPEDIA_API_URL": f"{base}/w/api.php",
        "FACTCHECK_FACTCHECKTOOLS_API_URL": f"{base}/v1alpha1/claims:search",
        "FACTCHECK_FACTCHECKTOOLS_API_KEY": "test-key",
        "FACTCHECK_OUTBOUND_ALLOW_HOSTS": "127.0.0.1",
        "FACTCHECK_WIKIPEDIA_TIMEOUT": str(SOURCE_TIMEOUT),
        "FACTCHECK_FACTCHECKTOOLS_TIMEOUT": str(SOURCE_TIMEOUT),
        "FACTCHECK_WORKER_MODE": worker_mode,
    }


def setup(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "rate_per_second": args.rate,
        "duration_s": args.duration,
        "drain_s": args.drain,
        "client_threads": args.threads,
        "gunicorn": f"{SERVER.workers} workers x {SERVER.threads} threads ({SERVER.worker_class})",
        "rq_workers": args.workers,
        "worker_mode": args.worker_mode,
        "sweeper": True,
        "sources": SOURCES.split(","),
        "remote_source_latency": "uniform 100-2000 ms; 1% hang past the 10 s source timeout",
        "claims": CLAIMS_CITATION,
    }


def machine(load_average_before: list[float]) -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_before": load_average_before,
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
    }


def ratio(value: float | None, baseline: float | None) -> float | None:
    return round(value / baseline, 2) if value and baseline else None


if __name__ == "__main__":
    sys.exit(main())
