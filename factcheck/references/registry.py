"""Ask every enabled source about a claim, each in its own thread with its own timeout.

One source failing, timing out or skipping is recorded in its outcome (and in the
``factcheck_reference_source_*`` metrics) and never stops the others. Sources open their own
short database sessions; the caller holds none meanwhile.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from factcheck.config import Settings
from factcheck.observability import metrics
from factcheck.references.sources import Candidate, ClaimQuery, Source, SourceSkipped

log = logging.getLogger(__name__)
ERROR_MAX = 300


@dataclass
class Outcome:
    source: str
    status: str = "ok"
    """``ok``, ``error``, ``timeout`` or ``skipped``."""
    candidates: list[Candidate] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The ``collection.sources[name]`` entry of the ticket."""
        entry: dict[str, Any] = {"status": self.status, "count": len(self.candidates)}
        if self.error:
            entry["error"] = self.error[:ERROR_MAX]
        return entry


def enabled_sources(settings: Settings) -> list[Source]:
    """The ``SOURCE`` of each module named in ``settings.reference_sources``."""
    sources = []
    for name in settings.enabled_sources:
        module = importlib.import_module(f"factcheck.references.{name}")
        sources.append(module.SOURCE)
    return sources


def ask_all(
    query: ClaimQuery,
    settings: Settings,
    on_progress: Callable[[float], None] = lambda _fraction: None,
) -> list[Outcome]:
    """Every enabled source's outcome, in configuration order."""
    sources = enabled_sources(settings)
    if not sources:
        return []
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    executor = ThreadPoolExecutor(max_workers=len(sources), thread_name_prefix="source")
    started = time.monotonic()
    futures: dict[Future[list[Candidate]], Source] = {
        executor.submit(_run, app, source, query, settings): source for source in sources
    }
    outcomes: dict[str, Outcome] = {}
    took: dict[str, float] = {}  # seconds until each source's outcome was known (all start together)
    try:
        pending = set(futures)
        while pending:
            deadlines = {future: started + futures[future].timeout(settings) for future in pending}
            remaining = max(0.0, min(deadlines.values()) - time.monotonic())
            done, pending = wait(pending, timeout=remaining, return_when=FIRST_COMPLETED)
            for future in done:
                outcomes[futures[future].name] = _outcome(futures[future], future)
                took[futures[future].name] = time.monotonic() - started
            for future in [f for f in pending if time.monotonic() >= deadlines[f]]:
                pending.discard(future)
                source = futures[future]
                outcomes[source.name] = Outcome(
                    source.name, "timeout", error=f"no answer within {source.timeout(settings):g} s"
                )
                took[source.name] = time.monotonic() - started
            on_progress(len(outcomes) / len(sources))
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    for name, outcome in outcomes.items():
        metrics.observe_source(name, outcome.status, took[name])
    return [outcomes[source.name] for source in sources]


def _run(app: Flask, source: Source, query: ClaimQuery, settings: Settings) -> list[Candidate]:
    with app.app_context():
        return source.search(query, settings)


def _outcome(source: Source, future: Future[list[Candidate]]) -> Outcome:
    try:
        return Outcome(source.name, "ok", future.result())
    except SourceSkipped as exc:
        return Outcome(source.name, "skipped", error=str(exc))
    except Exception as exc:  # one failing source never fails the collection
        log.warning("source %s failed: %s", source.name, exc, exc_info=True)
        return Outcome(source.name, "error", error=f"{type(exc).__name__}: {exc}")
