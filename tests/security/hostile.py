"""A hostile HTTP server on 127.0.0.1: what a malicious page or webhook receiver would send.

Routes (GET and POST alike): ``/endless`` streams up to 1 GiB with no Content-Length,
``/trickle`` sends one byte a second for an hour, ``/bomb`` is a gzip bomb (a small body that
inflates to 60 MB), ``/loop`` redirects to itself for ever, ``/nul`` is a text page sprinkled
with NUL bytes (the one character PostgreSQL cannot store). The server counts, per route, the
requests and the bytes it managed to send before the client went away, and how many trickles
are being served right now (so a test can see that other work finished meanwhile).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.references.servers import GZIP_BOMB

GIB = 1 << 30
CHUNK = 64 * 1024
TRICKLE_SECONDS = 3600
NUL_PAGE = (
    b"The minister said unemployment fell to 3%\x00 in 2025.\x00\n\n"
    b"Official figures show that unemployment stood at 4.1% in the fourth quarter of 2025.\x00"
)


class HostileServer:
    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.bytes_sent: Counter[str] = Counter()
        self.trickling = 0
        self.trickle_started = threading.Event()
        self.lock = threading.Lock()
        self.httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.hostile = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, route: str) -> str:
        return f"{self.base}/{route}"

    def count(self, route: str, requests: int = 0, sent: int = 0) -> None:
        with self.lock:
            self.requests[route] += requests
            self.bytes_sent[route] += sent

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    hostile: HostileServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, *_args: Any) -> None:
        pass

    def do_GET(self) -> None:
        route = self.path.strip("/").split("?")[0]
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.hostile.count(route, requests=1)
        answer = getattr(self, f"_{route}", self._missing)
        with suppress(BrokenPipeError, ConnectionResetError, TimeoutError):
            answer()

    do_POST = do_GET

    def _missing(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _start(self, content_type: str = "text/html", **headers: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()

    def _endless(self) -> None:
        self._start(Connection="close")
        chunk = b"<p>" + b"x" * (CHUNK - 7) + b"</p>"
        for _ in range(GIB // CHUNK):
            self.wfile.write(chunk)
            self.server.hostile.count("endless", sent=len(chunk))

    def _trickle(self) -> None:
        hostile = self.server.hostile
        self._start(Connection="close")
        with hostile.lock:
            hostile.trickling += 1
        hostile.trickle_started.set()
        try:
            for _ in range(TRICKLE_SECONDS):
                self.wfile.write(b" ")
                self.wfile.flush()
                hostile.count("trickle", sent=1)
                time.sleep(1)
        finally:
            with hostile.lock:
                hostile.trickling -= 1

    def _bomb(self) -> None:
        self._start(Content_Encoding="gzip", Content_Length=str(len(GZIP_BOMB)))
        self.wfile.write(GZIP_BOMB)
        self.server.hostile.count("bomb", sent=len(GZIP_BOMB))

    def _nul(self) -> None:
        self._start("text/plain; charset=utf-8", Content_Length=str(len(NUL_PAGE)))
        self.wfile.write(NUL_PAGE)
        self.server.hostile.count("nul", sent=len(NUL_PAGE))

    def _loop(self) -> None:
        self.send_response(302)
        self.send_header("Location", "/loop")
        self.send_header("Content-Length", "0")
        self.end_headers()
