"""Real local HTTP servers speaking each remote API's documented format, and a canary.

``LocalServer`` serves routes from a thread (``ThreadingHTTPServer`` on 127.0.0.1). The
MediaWiki and Fact Check Tools handlers answer like the real APIs (JSON shapes from their
documentation); the web routes serve pages, redirects, slow, huge and gzip-bomb bodies.
``Canary`` only counts the connections it receives: SSRF tests require zero.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Route = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *_args: Any) -> None:
        pass

    @property
    def query(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(urlsplit(self.path).query).items()}

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.server.requests.append((path, self.query))
        route = self.server.routes.get(path)
        if route is None:
            self.send_answer(404, b"not found", "text/plain")
            return
        with suppress(BrokenPipeError, ConnectionResetError):
            route(self)

    def send_answer(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, data: Any, status: int = 200) -> None:
        self.send_answer(status, json.dumps(data).encode(), "application/json; charset=utf-8")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Route]
    requests: list[tuple[str, dict[str, str]]]


class LocalServer:
    def __init__(self, routes: dict[str, Route], host: str = "127.0.0.1") -> None:
        self.httpd = _Server((host, 0), Handler)
        self.httpd.routes = routes
        self.httpd.requests = []
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def requests(self) -> list[tuple[str, dict[str, str]]]:
        return self.httpd.requests

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- MediaWiki Action API (https://www.mediawiki.org/wiki/API:Search, Extension:TextExtracts) ---

WIKI_PAGES = {
    101: {
        "title": "Greenland ice sheet",
        "lastrevid": 1187654321,
        "extract": (
            "The Greenland ice sheet is an ice sheet covering about 80% of the surface of Greenland.\n\n"
            "In 2019 the ice sheet lost 532 billion tonnes of ice, a record, according to a study in "
            "Communications Earth & Environment.\n\nThe ice sheet is about 1.9 km thick on average."
        ),
    },
    102: {
        "title": "Sea level rise",
        "lastrevid": 1187000001,
        "extract": "Between 1901 and 2018, the global mean sea level rose by 15 to 25 cm.",
    },
}


def mediawiki(handler: Handler) -> None:
    query = handler.query
    if query.get("format") != "json" or query.get("action") != "query":
        handler.send_json({"error": {"code": "badparams", "info": "Unrecognized parameters."}})
        return
    if query.get("list") == "search":
        words = query.get("srsearch", "").lower().split()
        hits = [
            {"ns": 0, "title": page["title"], "pageid": page_id}
            for page_id, page in WIKI_PAGES.items()
            if any(word in str(page["extract"]).lower() for word in words)
        ][: int(query.get("srlimit", "10"))]
        handler.send_json(
            {"batchcomplete": True, "query": {"searchinfo": {"totalhits": len(hits)}, "search": hits}}
        )
        return
    if query.get("prop") == "extracts|info":
        pages = []
        for page_id in query.get("pageids", "").split("|"):
            page = WIKI_PAGES.get(int(page_id))
            if page is None:
                pages.append({"pageid": int(page_id), "missing": True})
                continue
            title = str(page["title"])
            pages.append(
                {
                    "pageid": int(page_id),
                    "ns": 0,
                    "title": title,
                    "extract": page["extract"],
                    "lastrevid": page["lastrevid"],
                    "fullurl": f"https://en.wikipedia.org/wiki/{title.replace(' ', '_')}",
                    "contentmodel": "wikitext",
                }
            )
        handler.send_json({"batchcomplete": True, "query": {"pages": pages}})
        return
    handler.send_json({"error": {"code": "badvalue", "info": "Unrecognized value for parameter."}})


# --- Google Fact Check Tools claims:search (v1alpha1) ---

FACTCHECKTOOLS_KEY = "test-key"


def factchecktools(handler: Handler) -> None:
    if handler.query.get("key") != FACTCHECKTOOLS_KEY:
        handler.send_json(
            {"error": {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT"}},
            status=400,
        )
        return
    handler.send_json(
        {
            "claims": [
                {
                    "text": "Greenland lost 532 billion tonnes of ice in 2019",
                    "claimant": "Social media posts",
                    "claimDate": "2020-08-20T00:00:00Z",
                    "claimReview": [
                        {
                            "publisher": {"name": "Example Checks", "site": "checks.example"},
                            "url": "https://checks.example/greenland-ice-2019",
                            "title": "Did Greenland lose a record amount of ice in 2019?",
                            "reviewDate": "2020-08-21T10:00:00Z",
                            "textualRating": "True",
                            "languageCode": "en",
                        }
                    ],
                },
                {
                    "text": "Antarctica is gaining ice overall",
                    "claimReview": [
                        {
                            "publisher": {"site": "other.example"},
                            "url": "https://other.example/antarctica",
                            "textualRating": "Misleading",
                            "languageCode": "en",
                        }
                    ],
                },
            ],
            "nextPageToken": "CAo",
        }
    )


# --- Web pages ---

ARTICLE = b"""<!doctype html><html><head><title>Record melt | Polar News</title>
<meta property="og:site_name" content="Polar News"></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article><h1>Greenland's record melt</h1>
<p>Scientists measured the ice sheet with satellites for two decades and described the method.</p>
<p>In 2019 Greenland lost 532 billion tonnes of ice, the largest loss since records began,
the study found.</p>
<p>The researchers said the loss raised the global sea level by 1.5 millimetres in that single year.</p>
</article><footer>Copyright Polar News</footer></body></html>"""


def article(handler: Handler) -> None:
    handler.send_answer(200, ARTICLE, "text/html; charset=utf-8", ETag='"v1"')


def plain(handler: Handler) -> None:
    handler.send_answer(
        200, b"Greenland lost 532 billion tonnes of ice in 2019.", "text/plain; charset=utf-8"
    )


def redirect_to(location: str, status: int = 302) -> Route:
    def route(handler: Handler) -> None:
        handler.send_answer(status, b"", "text/plain", Location=location)

    return route


def slow(handler: Handler) -> None:
    """Headers at once, then one byte every 0.3 s for ever: only a total deadline stops it."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.end_headers()
    for _ in range(200):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.3)


def huge(handler: Handler) -> None:
    """6 MB of HTML sent without Content-Length (streamed)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.end_headers()
    chunk = b"<p>" + b"x" * 65_530 + b"</p>"
    for _ in range(100):
        handler.wfile.write(chunk)


GZIP_BOMB = gzip.compress(b"\0" * 60_000_000, compresslevel=9)
"""About 60 KB that inflate to 60 MB."""


def gzipped_article(handler: Handler) -> None:
    """Compressed although the client asked for ``identity``: still read correctly."""
    handler.send_answer(200, gzip.compress(ARTICLE), "text/html; charset=utf-8", Content_Encoding="gzip")


def gzip_bomb(handler: Handler) -> None:
    handler.send_answer(200, GZIP_BOMB, "text/html", Content_Encoding="gzip")


class Canary:
    """Listens on 0.0.0.0 and [::1] at one port and counts every connection it accepts."""

    def __init__(self, host: str = "0.0.0.0") -> None:
        self.connections = 0
        self.sockets = [socket.create_server((host, 0))]
        self.port = self.sockets[0].getsockname()[1]
        if host == "0.0.0.0":
            with suppress(OSError):
                self.sockets.append(socket.create_server(("::1", self.port), family=socket.AF_INET6))
        self._stop = False
        self.threads = [
            threading.Thread(target=self._accept, args=(sock,), daemon=True) for sock in self.sockets
        ]

    def _accept(self, sock: socket.socket) -> None:
        sock.settimeout(0.2)
        while not self._stop:
            try:
                connection, _address = sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            connection.close()

    def __enter__(self) -> Canary:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop = True
        for thread in self.threads:
            thread.join(timeout=2)
        for sock in self.sockets:
            sock.close()


@contextmanager
def serving(routes: dict[str, Route]) -> Iterator[LocalServer]:
    with LocalServer(routes) as server:
        yield server
