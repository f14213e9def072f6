"""Checks run once when a process starts: is Redis set up as a queue, not as a cache?

Redis holds the queued jobs. A server that evicts keys under memory pressure drops jobs and
corrupts RQ's registries; one that persists nothing loses every queued job on a restart. The
sweeper recovers both from the database, but late and noisily, so the web app and the worker
say so in their log at start (a warning, not a refusal: the service still works).
"""

from __future__ import annotations

import logging

import redis
from flask import Flask
from redis.backoff import NoBackoff
from redis.retry import Retry

from factcheck.config import Settings

log = logging.getLogger(__name__)

_checked_urls: set[str] = set()
"""Redis URLs already checked by this process: the app factory may run more than once."""


def init_app(app: Flask) -> None:
    """Check the configured Redis once per process (an embedded Redis is ours and set up right)."""
    settings: Settings = app.extensions["factcheck.settings"]
    if not settings.redis_url or settings.redis_url in _checked_urls:
        return
    _checked_urls.add(settings.redis_url)
    client = redis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=2, socket_timeout=2, retry=Retry(NoBackoff(), 0)
    )  # one try: a Redis that is down is reported by /readyz, and start-up must not wait for it
    try:
        warn_about_redis(client)
    finally:
        client.close()


def warn_about_redis(client: redis.Redis) -> list[str]:
    """Log a warning for each Redis setting that can lose queued jobs; return the warnings."""
    try:
        problems = redis_problems(client)
    except redis.RedisError as exc:
        problems = [f"could not check the Redis settings ({type(exc).__name__}: {exc})"]
    for problem in problems:
        log.warning("Redis: %s", problem)
    return problems


def redis_problems(client: redis.Redis) -> list[str]:
    """What in the server's settings can lose jobs, each with the setting to change.

    ``INFO`` gives the eviction policy and whether the append-only file is on; the RDB
    snapshot schedule is only in ``CONFIG GET save``, which managed Redis services often
    refuse: then the warning says that it could not be checked.
    """
    memory = client.info("memory")
    problems = []
    policy = str(memory.get("maxmemory_policy", "unknown"))
    if policy != "noeviction":
        evicted = int(client.info("stats").get("evicted_keys", 0))
        already = f"; it has evicted {evicted} keys since it started" if evicted else ""
        problems.append(
            f"maxmemory-policy is {policy}: when full, Redis evicts keys, and queued jobs with them"
            f"{already}. Set maxmemory-policy noeviction (Redis then refuses new jobs instead, "
            "and the sweeper enqueues them once there is room)."
        )
    if int(client.info("persistence").get("aof_enabled", 0)):
        return problems
    try:
        save = client.config_get("save").get("save")
    except redis.ResponseError as exc:  # CONFIG disabled, renamed or not allowed for this user
        problems.append(
            "appendonly is no and the RDB snapshot schedule could not be read "
            f"(CONFIG GET refused: {exc}); if snapshots are off too, a restart loses every "
            "queued job until the sweeper re-enqueues them. Set appendonly yes."
        )
        return problems
    if not save:
        problems.append(
            'persists nothing (appendonly no, save ""): a restart loses every queued job until '
            "the sweeper re-enqueues them from the database. Set appendonly yes."
        )
    return problems
