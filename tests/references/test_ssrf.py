"""The web source's SSRF guard: nothing a claim points to may reach this machine or a private
network. A canary listens on every loopback address at one port and must see zero connections.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from factcheck.config import Settings
from factcheck.references import web
from factcheck.references.safe_http import BlockedDestination
from factcheck.references.sources import ClaimQuery
from tests.references import servers

BATTERY = [
    "http://127.0.0.1:{port}/",
    "http://localhost:{port}/",
    "http://[::1]:{port}/",
    "http://0.0.0.0:{port}/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://100.64.0.1/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[64:ff9b::7f00:1]:{port}/",
    "http://2130706433:{port}/",
    "http://0x7f000001:{port}/",
    "http://127.1:{port}/",
    "http://user@127.0.0.1:{port}/",
    "http://user:pass@localhost:{port}/",
    "https://127.0.0.1:{port}/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:{port}/_GET%20/",
    "ftp://127.0.0.1:{port}/",
]


@pytest.fixture(scope="module")
def canary() -> Iterator[servers.Canary]:
    with servers.Canary() as listener:
        yield listener


@pytest.fixture()
def closed(settings: Settings) -> Settings:
    """No allow-list: only public addresses may be reached."""
    return replace(settings, outbound_allow_hosts="")


@pytest.mark.parametrize("template", BATTERY)
def test_internal_destinations_are_refused_before_connecting(
    template: str, canary: servers.Canary, closed: Settings
) -> None:
    url = template.format(port=canary.port)
    query = ClaimQuery(ticket_id="t", claim="A claim", source_url=url)
    with pytest.raises((BlockedDestination, httpx.ConnectError)) as raised:
        web.fetch_page(url, query, closed)
    assert (
        "resolves to" in str(raised.value)
        or "only http and https" in str(raised.value)
        or ("cannot resolve" in str(raised.value))
    )
    assert canary.connections == 0


def test_a_redirect_to_a_private_address_is_refused(
    canary: servers.Canary, settings: Settings, remote: servers.LocalServer
) -> None:
    """The first hop is allow-listed (127.0.0.1); the redirect's target, 127.0.0.2, is not."""
    remote.httpd.routes["/to-private"] = servers.redirect_to(f"http://127.0.0.2:{canary.port}/secret")
    remote.httpd.routes["/to-file"] = servers.redirect_to("file:///etc/passwd")
    query = ClaimQuery(ticket_id="t", claim="A claim")
    with pytest.raises(BlockedDestination, match=r"127\.0\.0\.2"):
        web.fetch_page(f"{remote.base}/to-private", query, settings)
    with pytest.raises(BlockedDestination, match="only http and https"):
        web.fetch_page(f"{remote.base}/to-file", query, settings)
    assert canary.connections == 0


def test_the_allow_list_opens_exactly_the_listed_host(canary: servers.Canary, settings: Settings) -> None:
    query = ClaimQuery(ticket_id="t", claim="A claim")
    opened = replace(settings, outbound_allow_hosts="127.0.0.2")
    with pytest.raises(httpx.HTTPError):  # reached: the canary closes the connection without answering
        web.fetch_page(f"http://127.0.0.2:{canary.port}/", query, opened)
    assert canary.connections == 1
    canary.connections = 0
