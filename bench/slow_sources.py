"""Local stand-ins for the remote reference sources, slow like the real ones: for ``bench/load.py``.

    .venv/bin/python bench/slow_sources.py [--timeout-after 12] [--seed 1]

One ``ThreadingHTTPServer`` on 127.0.0.1 serves the MediaWiki Action API (``/w/api.php``) and
Google Fact Check Tools (``/v1alpha1/claims:search``, key ``test-key``) with the handlers of
``tests/references/servers.py`` (the documented JSON shapes). Every answer waits a uniform
100 ms to 2 s first; 1% of requests instead hold the connection for ``--timeout-after``
seconds (longer than the service's source timeouts, so they time out) and then close it
without answering. Listens on a free port, prints it on stdout, and runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.references import servers  # noqa: E402

MIN_DELAY, MAX_DELAY, TIMEOUT_SHARE = 0.1, 2.0, 0.01


def slow(route: servers.Route, rng: random.Random, timeout_after: float) -> servers.Route:
    """``route``, answered after a random delay, or (1%) not answered in time at all."""
    lock = threading.Lock()

    def answer(handler: servers.Handler) -> None:
        with lock:  # random.Random is not thread-safe
            times_out, delay = rng.random() < TIMEOUT_SHARE, rng.uniform(MIN_DELAY, MAX_DELAY)
        if times_out:
            time.sleep(timeout_after)
            handler.close_connection = True
            return
        time.sleep(delay)
        route(handler)

    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout-after", type=float, default=12.0, help="seconds a timed-out request hangs")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    routes = {
        "/w/api.php": slow(servers.mediawiki, rng, args.timeout_after),
        "/v1alpha1/claims:search": slow(servers.factchecktools, rng, args.timeout_after),
    }
    server = servers.LocalServer(routes)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    with server:
        print(server.httpd.server_address[1], flush=True)
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
