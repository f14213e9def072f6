"""Fixtures for the claims tests: settings with short fetch limits, a local HTTP server."""

from __future__ import annotations

import dataclasses
import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from factcheck.config import Settings


@pytest.fixture()
def settings(settings: Settings) -> Settings:
    """The shared test settings, with article fetches that give up quickly."""
    return dataclasses.replace(settings, article_fetch_timeout=1.0, article_max_chars=50_000)


class _Handler(http.server.BaseHTTPRequestHandler):
    pages: dict[str, tuple[int, str, bytes, float]] = {}

    def do_GET(self) -> None:
        status, content_type, body, delay = self.pages.get(self.path, (404, "text/plain", b"not found", 0.0))
        if delay:
            time.sleep(delay)
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *_args: Any) -> None:
        pass


@dataclasses.dataclass
class LocalServer:
    base_url: str
    pages: dict[str, tuple[int, str, bytes, float]]

    def serve(
        self, path: str, body: str, content_type: str = "text/html; charset=utf-8", delay: float = 0.0
    ) -> str:
        self.pages[path] = (200, content_type, body.encode(), delay)
        return self.base_url + path


@pytest.fixture()
def local_server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 (only reachable when the test allows that host)."""
    pages: dict[str, tuple[int, str, bytes, float]] = {}
    handler = type("Handler", (_Handler,), {"pages": pages})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalServer(f"http://127.0.0.1:{server.server_address[1]}", pages)
    finally:
        server.shutdown()
        server.server_close()
