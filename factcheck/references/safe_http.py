"""SSRF-safe outbound HTTP: every address is checked when the connection is made.

Webhook deliveries and reference fetching send requests to URLs that users typed in. Such
a URL must never reach this machine, the private network or a cloud metadata endpoint, even
through a host name that resolves to one, a DNS answer that changes between check and use
(rebinding), an IPv6 form that embeds an IPv4 address, or a redirect.

So the check lives in the network backend under httpx: it resolves the host, refuses the
connection if *any* address is blocked, and connects to a validated address itself (TLS
still verifies the certificate against the host name). Every connection a client makes goes
through it, including those made while following redirects. An administrator opens
specific internal receivers with ``Settings.outbound_allow_hosts`` (host names or CIDRs).
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx
from flask import current_app

from factcheck.config import Settings, SettingsError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
SCHEMES = frozenset({"http", "https"})
USER_AGENT = "factcheck/0.1 (+https://github.com/factcheck)"

_V4_BLOCKED: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "unspecified"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
)
_V6_BLOCKED: tuple[tuple[str, str], ...] = (
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/96", "IPv4-compatible IPv6"),
    ("::ffff:0:0/96", "IPv4-mapped IPv6"),
    ("::ffff:0:0:0/96", "IPv4-translated IPv6"),
    ("64:ff9b::/96", "NAT64"),
    ("64:ff9b:1::/48", "NAT64 (local use)"),
    ("100::/64", "discard-only"),
    ("2001::/32", "Teredo"),
    ("2001::/23", "IETF protocol assignments"),
    ("2001:db8::/32", "documentation"),
    ("fc00::/7", "unique local (private)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
)
_BLOCKED_NETWORKS: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(cidr), reason) for cidr, reason in _V4_BLOCKED + _V6_BLOCKED
)


class BlockedDestination(httpx.TransportError):
    """The URL or an address it resolves to is not one this service may connect to."""


class ResponseTooLarge(httpx.TransportError):
    """The response body is larger than the caller's limit."""


def blocked_reason(address: IPAddress) -> str | None:
    """Why connecting to ``address`` is refused, or None if it is a public unicast address.

    Explicit tables rather than ``is_global`` alone: the standard library's answer differs
    between Python patch releases (3.11.7 calls ``::ffff:127.0.0.1`` global).
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.sixtofour
        if embedded is not None:
            inner = blocked_reason(embedded)
            return f"6to4 address embedding a {inner} IPv4 address" if inner else None
    for network, reason in _BLOCKED_NETWORKS:
        if address.version == network.version and address in network:
            return reason
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        return "scoped IPv6"
    if address.is_multicast:
        return "multicast"
    if not address.is_global:
        return "not globally routable"
    return None


@dataclass(frozen=True)
class OutboundPolicy:
    """Which destinations are allowed beyond the public internet (the admin allow-list)."""

    allow_hosts: frozenset[str] = frozenset()
    allow_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, spec: str) -> OutboundPolicy:
        """``"hooks.internal, 10.0.5.0/24, 127.0.0.1"``: host names, addresses or CIDRs.

        Raises ValueError on an entry that is neither a network nor a plausible host name.
        """
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in spec.split(","):
            entry = raw.strip().lower().rstrip(".")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if "/" in entry or ":" in entry or " " in entry:
                raise ValueError(f"not a host name or CIDR: {raw.strip()!r}")
            hosts.add(entry)
        return cls(frozenset(hosts), tuple(networks))

    def check(self, host: str, address: IPAddress) -> None:
        """Raise BlockedDestination unless ``address`` (which ``host`` resolved to) may be used."""
        if host.lower().rstrip(".") in self.allow_hosts:
            return
        if any(address.version == net.version and address in net for net in self.allow_networks):
            return
        reason = blocked_reason(address)
        if reason is not None:
            raise BlockedDestination(f"{host} resolves to {address}, a {reason} address")

    def check_url(self, url: httpx.URL) -> None:
        """Scheme and host checks that need no DNS (the address checks happen at connect time)."""
        if url.scheme not in SCHEMES:
            raise BlockedDestination(f"only http and https URLs are allowed, not {url.scheme!r}")
        if not url.host:
            raise BlockedDestination("the URL has no host")


class GuardedBackend(httpcore.NetworkBackend):
    """An httpcore network backend that resolves, validates every address, then connects."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = _resolve(host, port)
        for address in addresses:
            self._policy.check(host, address)
        error: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                return self._inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise BlockedDestination("Unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to, in the resolver's order, without duplicates."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        text = str(sockaddr[0])
        if len(sockaddr) == 4 and sockaddr[3]:  # IPv6 with a scope id
            text = f"{text.split('%')[0]}%{sockaddr[3]}"
        address = ipaddress.ip_address(text)
        if address not in addresses:
            addresses.append(address)
    return addresses


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport (exception mapping, streaming) over a ``GuardedBackend`` pool.

    httpx 0.28 has no public way to pass a network backend (encode/httpx#3749), so the pool
    built by ``HTTPTransport`` is replaced; the tests prove the guard is on the path and that
    certificates are verified.
    """

    def __init__(self, policy: OutboundPolicy) -> None:
        # The pool HTTPTransport builds here is thrown away at once: ``verify=False`` only
        # spares loading the CA bundle for it. Ours verifies with ``_ssl_context()``.
        super().__init__(verify=False, trust_env=False)
        self._pool = _GuardedPool(GuardedBackend(policy))


class _GuardedPool(httpcore.ConnectionPool):
    """Every connection through the guarded backend; TLS set up only for https origins."""

    def __init__(self, backend: GuardedBackend) -> None:
        super().__init__(max_connections=10, network_backend=backend)
        self._guarded_backend = backend

    def create_connection(self, origin: httpcore.Origin) -> httpcore.ConnectionInterface:
        return httpcore.HTTPConnection(
            origin=origin,
            ssl_context=_ssl_context() if origin.scheme == b"https" else None,
            network_backend=self._guarded_backend,
        )


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Built once per process, on the first https connection (loading the CA bundle takes ~50 ms)."""
    return httpx.create_ssl_context()


@dataclass(frozen=True)
class SafeResponse:
    status_code: int
    headers: httpx.Headers
    content: bytes
    """At most the caller's ``max_bytes``."""
    truncated: bool
    url: str
    """The final URL (after redirects, if followed)."""


class SafeClient:
    """A blocking HTTP client that only reaches allowed destinations; use it as a context manager."""

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        timeout: float = 10.0,
        follow_redirects: bool = False,
        max_redirects: int = 5,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.policy = policy
        self.timeout = timeout
        self._client = httpx.Client(
            transport=GuardedTransport(policy),
            timeout=httpx.Timeout(timeout),
            follow_redirects=follow_redirects,
            max_redirects=max_redirects,
            trust_env=False,  # a proxy from the environment would connect on our behalf, unchecked
            headers={"User-Agent": user_agent, "Accept-Encoding": "identity"},
            event_hooks={"request": [self._check_request]},
        )

    def _check_request(self, request: httpx.Request) -> None:
        self.policy.check_url(request.url)  # runs for every redirect hop too

    def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int = 2_000_000,
        truncate: bool = False,
        total_timeout: float | None = None,
    ) -> SafeResponse:
        """Send one request; read at most ``max_bytes`` of the body.

        Beyond the limit: ResponseTooLarge, or with ``truncate`` the first ``max_bytes``.
        ``total_timeout`` (default: the client's ``timeout``) bounds the whole exchange, since a
        body that trickles in byte by byte never trips the per-read timeout: past it,
        ``httpx.ReadTimeout``.
        Network errors and timeouts raise httpx's exceptions; blocked destinations raise
        BlockedDestination (also an ``httpx.TransportError``).
        """
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise BlockedDestination(f"not a valid URL: {exc}") from exc
        self.policy.check_url(target)
        deadline = time.monotonic() + (self.timeout if total_timeout is None else total_timeout)
        with self._client.stream(method, target, content=content, headers=headers) as response:
            declared = response.headers.get("Content-Length", "")
            if not truncate and declared.isdigit() and int(declared) > max_bytes:
                raise ResponseTooLarge(f"the response declares {declared} bytes, over {max_bytes}")
            body, truncated = _read_limited(response, max_bytes, deadline)
            if truncated and not truncate:
                raise ResponseTooLarge(f"the response is larger than {max_bytes} bytes")
            return SafeResponse(response.status_code, response.headers, body, truncated, str(response.url))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> SafeClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _read_limited(
    response: httpx.Response, max_bytes: int, deadline: float | None = None
) -> tuple[bytes, bool]:
    """The first ``max_bytes`` of the (decoded) body and whether there was more.

    Requests ask for ``identity`` encoding; a server that compresses anyway (gzip, deflate)
    is inflated here with a cap on the output of every step, so a compression bomb never
    expands beyond ``max_bytes`` + 1 in memory. Other encodings are refused.
    """
    inflate = _inflater(response.headers.get("Content-Encoding", "identity"))
    chunks: list[bytes] = []
    size = 0
    for raw in response.iter_raw():
        if deadline is not None and time.monotonic() > deadline:
            raise httpx.ReadTimeout("the response took longer than the total timeout")
        chunk = inflate(raw, max_bytes + 1 - size)
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            return b"".join(chunks)[:max_bytes], True
    return b"".join(chunks), False


def _inflater(encoding: str) -> Callable[[bytes, int], bytes]:
    """A function decoding the next raw chunk into at most ``limit`` bytes (the rest is dropped:
    the caller stops reading once it has more than it wanted)."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return lambda raw, limit: raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise httpx.DecodingError(f"unsupported Content-Encoding {encoding!r}")
    decoder = zlib.decompressobj(wbits=47)  # 32 + 15: a gzip or a zlib header, detected

    def inflate(raw: bytes, limit: int) -> bytes:
        try:
            return decoder.decompress(raw, max(limit, 1))
        except zlib.error as exc:
            raise httpx.DecodingError(f"corrupt {encoding} body: {exc}") from exc

    return inflate


def policy_from_settings(settings: Settings) -> OutboundPolicy:
    """The admin allow-list of ``settings``; SettingsError names the variable if it is malformed."""
    try:
        return OutboundPolicy.parse(settings.outbound_allow_hosts)
    except ValueError as exc:
        raise SettingsError(f"FACTCHECK_OUTBOUND_ALLOW_HOSTS: {exc}") from exc


def current_policy() -> OutboundPolicy:
    """The running app's outbound policy, parsed once per app."""
    policy: OutboundPolicy | None = current_app.extensions.get("factcheck.outbound_policy")
    if policy is None:
        policy = policy_from_settings(current_app.extensions["factcheck.settings"])
        current_app.extensions["factcheck.outbound_policy"] = policy
    return policy
