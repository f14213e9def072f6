"""A real HTTP receiver for delivery tests: verifies every request with ``standardwebhooks``.

It answers each request with the next scripted ``Reply`` (then ``default``), and records
what it got, whether the signature verified, and when. It can be created on a fixed port
before it is started, to play a receiver that is down (connection refused).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook

from tests.support import free_port


@dataclass
class Reply:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    error: str | None
    payload: Any
    reply: Reply

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def type(self) -> str:
        return str(self.payload.get("type")) if isinstance(self.payload, dict) else ""


class Receiver:
    def __init__(self, secret: str = "", script: Iterable[Reply] = (), port: int | None = None) -> None:
        self.secret = secret
        self.script: deque[Reply] = deque(script)
        self.default = Reply()
        self.received: list[Received] = []
        self.port = port or free_port()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver._record(self.path, {k.lower(): v for k, v in self.headers.items()}, body, self)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _record(
        self, path: str, headers: dict[str, str], body: bytes, handler: BaseHTTPRequestHandler
    ) -> None:
        with self._lock:
            reply = self.script.popleft() if self.script else self.default
        verified, error, payload = True, None, None
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except Exception as exc:  # record any failure: the test asserts on it
            verified, error = False, f"{type(exc).__name__}: {exc}"
        with self._lock:
            self.received.append(Received(time.time(), path, headers, body, verified, error, payload, reply))
        if reply.delay:
            time.sleep(reply.delay)
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            handler.wfile.write(reply.body)
        except OSError:
            pass  # the sender gave up (timeout) before we answered

    def accepted(self) -> list[Received]:
        """Requests answered with a 2xx: the deliveries that counted."""
        with self._lock:
            return [item for item in self.received if 200 <= item.reply.status < 300 and not item.reply.delay]

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def ticket_of(item: Received) -> dict[str, Any]:
    ticket: dict[str, Any] = json.loads(item.body)["data"]["ticket"]
    return ticket
