"""The picture of a ``bench/load.py`` run: API latency, queue depth and memory over time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt


def save_plot(
    path: Path,
    api: list[dict[str, Any]],
    baseline: list[dict[str, Any]],
    samples: list[dict[str, Any]],
    load_seconds: float,
    last_answer: float,
) -> None:
    """Three panels sharing the time axis (seconds from the start of the load), saved as PNG.

    Dotted lines: the last request was due at ``load_seconds`` and answered at ``last_answer``."""
    figure, (latency, depth, memory) = plt.subplots(3, 1, figsize=(10, 9), sharex=True)
    latency.plot([s["t"] for s in api], [s["p95_ms"] for s in api], label="factcheck p95", color="tab:red")
    latency.plot([s["t"] for s in api], [s["p50_ms"] for s in api], label="factcheck p50", color="tab:orange")
    latency.plot(
        [s["t"] for s in baseline],
        [s["p95_ms"] for s in baseline],
        label="minimal_app p95 (baseline, earlier in the run)",
        color="tab:gray",
        linestyle="--",
    )
    errors = [s for s in api if s["errors"]]
    if errors:
        latency.scatter(
            [s["t"] for s in errors], [s["p95_ms"] for s in errors], color="black", label="errors"
        )
    latency.set_yscale("log")
    latency.set_ylabel("POST /api/v1/tickets (ms)")
    latency.set_title("API latency from the moment each request was due (open loop)")
    latency.legend(loc="lower right", fontsize="small")

    times = [s["t"] for s in samples]
    depth.plot(times, [s["collect_queued"] for s in samples], label="collect queue", color="tab:blue")
    depth.plot(times, [s["webhooks_queued"] for s in samples], label="webhooks queue", color="tab:cyan")
    depth.plot(
        times, [s["tickets_waiting"] for s in samples], label="tickets not yet in triage", color="tab:purple"
    )
    depth.set_ylabel("jobs / tickets")
    depth.legend(loc="upper left", fontsize="small")

    memory.plot(times, [s["rq_workers_rss_mb"] for s in samples], label="RQ workers RSS (with work-horses)")
    memory.plot(times, [s["gunicorn_rss_mb"] for s in samples], label="gunicorn RSS (master and workers)")
    memory.set_ylabel("RSS (MB)")
    memory.set_xlabel("seconds from the start of the load (dotted: last request due, last answer)")
    memory.legend(loc="upper left", fontsize="small")
    redis_memory = memory.twinx()
    redis_memory.plot(
        times, [s["redis_used_mb"] for s in samples], color="tab:green", label="Redis used_memory"
    )
    redis_memory.set_ylabel("Redis used_memory (MB)", color="tab:green")

    for axis in (latency, depth, memory):
        for moment in {load_seconds, last_answer}:
            axis.axvline(moment, color="gray", linewidth=0.8, linestyle=":")
        axis.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
