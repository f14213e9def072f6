"""``GET /metrics``: the Prometheus exposition, for operators only.

Who may read it: with ``FACTCHECK_METRICS_TOKEN`` set, whoever sends
``Authorization: Bearer <token>``; without it, clients connecting from a loopback or private
address only (the TCP peer, not a forwarded header: a reverse proxy that forwards public
traffic to ``/metrics`` from a private address must block that path, or set the token).

What it shows: the samples of every process sharing ``PROMETHEUS_MULTIPROC_DIR`` (or of this
process alone without it), plus two gauges read at scrape time, so that they are right
however many processes run: tickets per workflow state (one ``GROUP BY``) and jobs per RQ
queue and status (one Redis round trip).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterator

import redis
from flask import Blueprint, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from factcheck import db, queue
from factcheck.api.problems import Problem
from factcheck.config import Settings
from factcheck.models import Ticket
from factcheck.observability import metrics
from factcheck.workflow import STATES

log = logging.getLogger(__name__)
blp = Blueprint("metrics", __name__)


@blp.get("/metrics")
def scrape() -> Response:
    """Every metric in the Prometheus text format."""
    check_access()
    registry = CollectorRegistry(auto_describe=False)
    directory = metrics.multiprocess_dir()
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(ThisProcess())
    registry.register(TicketsByState(db.engine()))
    registry.register(QueueDepths(queue.connection()))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def check_access() -> None:
    """401 without the configured token; without a token, 403 unless the peer is internal."""
    settings: Settings = current_app.extensions["factcheck.settings"]
    if settings.metrics_token:
        offered = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(offered, f"Bearer {settings.metrics_token}".encode()):
            raise Problem(
                401, "Send the metrics token as 'Authorization: Bearer <token>'.", title="Unauthorized"
            )
        return
    if not is_internal_address(request.remote_addr):
        raise Problem(
            403,
            "Metrics are served to loopback and private addresses only (or set FACTCHECK_METRICS_TOKEN).",
            title="Forbidden",
        )


INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7")
)
"""Loopback and private networks (RFC 1918, IPv6 unique local): where Prometheus and
container networks live. Spelled out rather than ``is_private``, which also admits
documentation and other reserved ranges."""


def is_internal_address(address: str | None) -> bool:
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return any(parsed in network for network in INTERNAL_NETWORKS)


class ThisProcess:
    """This process's own samples (the default registry), when there is no multiprocess directory."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


class TicketsByState:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("factcheck_metrics_database_up", "1 if the database answered this scrape.")
        try:
            with self.engine.connect() as connection:
                rows = connection.execute(select(Ticket.state, func.count()).group_by(Ticket.state)).all()
        except SQLAlchemyError as exc:
            log.warning("metrics: ticket counts unavailable (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        counts = dict.fromkeys(STATES, 0) | {state: count for state, count in rows}
        tickets = GaugeMetricFamily("factcheck_tickets", "Tickets in each workflow state.", labels=["state"])
        for state, count in counts.items():
            tickets.add_metric([state], count)
        yield tickets


class QueueDepths:
    REGISTRIES = ("started", "scheduled", "deferred", "failed")

    def __init__(self, conn: redis.Redis) -> None:
        self.conn = conn

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("factcheck_metrics_redis_up", "1 if Redis answered this scrape.")
        pipe = self.conn.pipeline(transaction=False)
        keys: list[tuple[str, str]] = []
        for name in queue.QUEUE_NAMES:
            rq_queue = queue.queue(name, self.conn)
            pipe.llen(rq_queue.key)
            keys.append((name, "queued"))
            for status in self.REGISTRIES:
                pipe.zcard(getattr(rq_queue, f"{status}_job_registry").key)
                keys.append((name, status))
        try:
            answers = pipe.execute()
        except redis.RedisError as exc:
            log.warning("metrics: queue depths unavailable (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depths = GaugeMetricFamily(
            "factcheck_queue_jobs",
            "Jobs per RQ queue and status (queued, started, scheduled, deferred, failed).",
            labels=["queue", "status"],
        )
        for (name, status), count in zip(keys, answers, strict=True):
            depths.add_metric([name, status], int(count))
        yield depths
