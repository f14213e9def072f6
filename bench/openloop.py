"""Open-loop HTTP load and once-a-second sampling, for ``bench/load.py``.

Open loop: request ``i`` is due at ``i / rate`` seconds whatever the earlier ones took, and its
latency counts from that moment (a server that falls behind cannot slow the clock down and
hide its queue: no coordinated omission).
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

REQUEST_TIMEOUT = 30.0
IDLE_RECONNECT = 1.0


@dataclass(frozen=True)
class Request:
    """One request: when it was due, sent and answered (seconds from the start of the load)."""

    due: float
    sent: float
    done: float
    outcome: str
    """The status code, ``timeout``, or the name of the connection error."""
    ticket_id: str | None


def run_open_loop(
    port: int,
    path: str,
    headers: dict[str, str],
    bodies: list[bytes],
    rate: float,
    threads: int,
    start: float,
) -> list[Request]:
    """POST every body to ``path``, body ``i`` due at ``start + i / rate`` (``time.perf_counter``)."""
    results: list[Request | None] = [None] * len(bodies)
    local = threading.local()

    def send(index: int) -> None:
        connection = _connection(local, port)
        sent = time.perf_counter()
        outcome, body = _post(connection, path, bodies[index], headers)
        done = local.last_used = time.perf_counter()
        if not outcome.isdigit():
            local.connection = None
        results[index] = Request(index / rate, sent - start, done - start, outcome, _ticket_id(body))

    pool = ThreadPoolExecutor(threads, thread_name_prefix="load")
    try:
        for index in range(len(bodies)):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send, index)
    except BaseException:  # Ctrl-C or SIGTERM: drop what is not sent yet, then clean up
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [request for request in results if request is not None]


def _connection(local: threading.local, port: int) -> http.client.HTTPConnection:
    """This thread's keep-alive connection; a new one after IDLE_RECONNECT seconds unused, since
    the server may have closed it meanwhile (gunicorn's keep-alive is 2 s) and a POST sent on a
    closed connection fails without telling whether the server saw it."""
    connection: http.client.HTTPConnection | None = getattr(local, "connection", None)
    if connection is not None and time.perf_counter() - local.last_used > IDLE_RECONNECT:
        connection.close()
        connection = None
    if connection is None:
        connection = local.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    return connection


def warm_up(port: int, path: str, headers: dict[str, str], bodies: list[bytes]) -> None:
    """Send ``bodies`` one after the other, unmeasured: the server's first requests load code."""
    local = threading.local()
    for body in bodies:
        _post(_connection(local, port), path, body, headers)
        local.last_used = time.perf_counter()


def _post(
    connection: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str]
) -> tuple[str, bytes]:
    try:
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        return str(response.status), response.read()
    except TimeoutError:
        connection.close()
        return "timeout", b""
    except (OSError, http.client.HTTPException) as exc:
        connection.close()
        return type(exc).__name__, b""


def _ticket_id(body: bytes) -> str | None:
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    return str(answer["id"]) if isinstance(answer, dict) and "id" in answer else None


ACCEPTED = frozenset({"201", "200"})
"""201 opened a ticket; 200 counted one more demand on the open ticket for the same claim (the
datasets hold a few claims that normalise alike)."""


def latency_summary(requests: list[Request], ok: frozenset[str] = ACCEPTED) -> dict[str, Any]:
    """API figures: percentiles of latency from due time (and of pure service time), errors by kind."""
    latencies = sorted(request.done - request.due for request in requests)
    service = sorted(request.done - request.sent for request in requests)
    errors = Counter(request.outcome for request in requests if request.outcome not in ok)
    span = max((request.done for request in requests), default=0.0)
    return {
        "requests": len(requests),
        "ok": len(requests) - sum(errors.values()),
        "errors": sum(errors.values()),
        "errors_by_kind": dict(errors),
        "achieved_per_second": round(len(requests) / span, 1) if span else 0.0,
        "p50_ms": percentile_ms(latencies, 0.50),
        "p95_ms": percentile_ms(latencies, 0.95),
        "p99_ms": percentile_ms(latencies, 0.99),
        "max_ms": percentile_ms(latencies, 1.0),
        "service_time_p95_ms": percentile_ms(service, 0.95),
    }


def percentile_ms(ordered: list[float], fraction: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)


def per_second(requests: list[Request]) -> list[dict[str, Any]]:
    """Latency p50/p95 and errors of the requests due in each second of the load."""
    buckets: dict[int, list[Request]] = {}
    for request in requests:
        buckets.setdefault(int(request.due), []).append(request)
    series = []
    for second in sorted(buckets):
        latencies = sorted(request.done - request.due for request in buckets[second])
        series.append(
            {
                "t": second,
                "p50_ms": percentile_ms(latencies, 0.5),
                "p95_ms": percentile_ms(latencies, 0.95),
                "errors": sum(1 for request in buckets[second] if request.outcome not in ACCEPTED),
            }
        )
    return series


class Sampler(threading.Thread):
    """Calls ``probe()`` every ``interval`` seconds and keeps what it returns, with the time."""

    def __init__(self, probe: Callable[[], dict[str, Any]], started_at: float, interval: float = 1.0) -> None:
        super().__init__(daemon=True, name="sampler")
        self.probe, self.interval, self.started_at = probe, interval, started_at
        self.samples: list[dict[str, Any]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            began = time.perf_counter()
            try:
                sample = self.probe()
            except Exception as exc:  # a sample missed (a service stopping) must not end the run
                print(f"sampler: {type(exc).__name__}: {exc}", file=sys.stderr)
            else:
                self.samples.append({"t": round(began - self.started_at, 2), **sample})
            self._halt.wait(max(0.0, self.interval - (time.perf_counter() - began)))

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)

    def peak(self, key: str) -> Any:
        values = [sample[key] for sample in self.samples if sample.get(key) is not None]
        return max(values) if values else None
