"""The SSRF-safe client: which addresses are blocked, and proof on real sockets that they are never hit."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from factcheck.references.safe_http import (
    BlockedDestination,
    OutboundPolicy,
    ResponseTooLarge,
    SafeClient,
    blocked_reason,
)

BLOCKED = [
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "10.255.255.255",
    "100.64.0.1",
    "100.127.255.254",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254",  # cloud metadata
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.1",
    "192.88.99.1",
    "192.168.1.1",
    "198.18.0.1",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:169.254.169.254",
    "::ffff:8.8.8.8",  # any mapped form: DNS never returns one for a real host
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "::8.8.8.8",
    "::ffff:0:7f00:1",  # IPv4-translated
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::808:808",  # NAT64 of a public address: still a translator on our network
    "64:ff9b:1::a00:1",
    "2002:7f00:0001::1",  # 6to4 embedding 127.0.0.1
    "2002:0a00:0001::1",  # 6to4 embedding 10.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 embedding 169.254.169.254
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:db8::1",
    "100::1",
    "fc00::1",
    "fd12:3456:789a::1",
    "fe80::1",
    "fe80::1%1",
    "fec0::1",
    "ff02::1",
    "ff05::1:3",
]
ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "2002:0808:0808::1",
]


@pytest.mark.parametrize("address", BLOCKED)
def test_internal_and_special_addresses_are_blocked(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ALLOWED)
def test_public_unicast_addresses_are_allowed(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


def test_the_allow_list_takes_hosts_addresses_and_cidrs() -> None:
    policy = OutboundPolicy.parse(" Hooks.Internal. , 10.0.5.0/24,127.0.0.1, [::1] ,")
    assert policy.allow_hosts == frozenset({"hooks.internal"})
    policy.check("hooks.internal", ipaddress.ip_address("10.9.9.9"))
    policy.check("x", ipaddress.ip_address("10.0.5.77"))
    policy.check("x", ipaddress.ip_address("::1"))
    with pytest.raises(BlockedDestination):
        policy.check("x", ipaddress.ip_address("10.0.6.1"))
    with pytest.raises(BlockedDestination):
        (
            policy.check("x", ipaddress.ip_address("::ffff:127.0.0.1")),
            "a mapped form is not the allowed address",
        )
    with pytest.raises(ValueError, match="not a host name or CIDR"):
        OutboundPolicy.parse("10.0.0.0/33")


class CountingServer:
    """A real HTTP server that counts every TCP connection it accepts."""

    def __init__(self, host: str = "127.0.0.1", reply: Any = None) -> None:
        counter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, headers, body = counter.reply(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, *_args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def get_request(self) -> tuple[socket.socket, Any]:
                counter.connections += 1
                return super().get_request()

        self.connections = 0
        self.reply = reply or (lambda _path: (200, {}, b"hello"))
        self.server = Server((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def local() -> Iterator[CountingServer]:
    server = CountingServer()
    yield server
    server.stop()


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "[::ffff:127.0.0.1]",
        "2130706433",  # 127.0.0.1 as one decimal number
        "0x7f000001",
        "0177.0.0.1",  # octal
        "127.1",
        "127.0.0.1.nip.invalid",  # does not resolve: refused before connecting, too
    ],
)
def test_a_blocked_address_is_never_connected_to(local: CountingServer, host: str) -> None:
    with SafeClient(OutboundPolicy(), timeout=2) as client, pytest.raises(httpx.TransportError):
        client.request("GET", f"http://{host}:{local.port}/")
    assert local.connections == 0


def test_every_resolved_address_must_pass(local: CountingServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A name resolving to a public and a private address is refused (no "pick the good one")."""
    real = socket.getaddrinfo

    def mixed(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "mixed.test":
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", mixed)
    with (
        SafeClient(OutboundPolicy(), timeout=2) as client,
        pytest.raises(BlockedDestination, match=r"127\.0\.0\.1"),
    ):
        client.request("GET", f"http://mixed.test:{local.port}/")
    assert local.connections == 0


def test_an_allow_listed_receiver_is_reached(local: CountingServer) -> None:
    with SafeClient(OutboundPolicy.parse("127.0.0.1"), timeout=2) as client:
        response = client.request("GET", f"http://127.0.0.1:{local.port}/")
    assert (response.status_code, response.content) == (200, b"hello")
    assert local.connections == 1
    with SafeClient(OutboundPolicy.parse("localhost"), timeout=2) as client:
        assert client.request("GET", f"http://localhost:{local.port}/").status_code == 200


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1:70/", "http:///nohost"]
)
def test_only_http_and_https_urls_are_allowed(url: str) -> None:
    with (
        SafeClient(OutboundPolicy.parse("127.0.0.1"), timeout=2) as client,
        pytest.raises(BlockedDestination),
    ):
        client.request("GET", url)


def test_redirects_are_checked_at_every_hop_and_not_followed_unless_asked() -> None:
    """An allowed server redirecting to a blocked one: the second server is never contacted."""
    target = CountingServer(host="127.0.0.2")
    start = CountingServer(
        reply=lambda _path: (302, {"Location": f"http://127.0.0.2:{target.port}/secret"}, b"")
    )
    try:
        policy = OutboundPolicy.parse("127.0.0.1")
        with SafeClient(policy, timeout=2) as client:
            assert client.request("GET", f"http://127.0.0.1:{start.port}/").status_code == 302
        with (
            SafeClient(policy, timeout=2, follow_redirects=True) as client,
            pytest.raises(BlockedDestination),
        ):
            client.request("GET", f"http://127.0.0.1:{start.port}/")
        assert target.connections == 0
        with SafeClient(OutboundPolicy.parse("127.0.0.0/8"), timeout=2, follow_redirects=True) as client:
            assert client.request("GET", f"http://127.0.0.1:{start.port}/").status_code == 200
        assert target.connections == 1, "the same redirect is followed once the target is allowed"
    finally:
        target.stop()
        start.stop()


def test_a_redirect_to_another_scheme_is_refused() -> None:
    start = CountingServer(reply=lambda _path: (302, {"Location": "file:///etc/passwd"}, b""))
    try:
        with (
            SafeClient(OutboundPolicy.parse("127.0.0.1"), timeout=2, follow_redirects=True) as client,
            pytest.raises(httpx.TransportError),
        ):
            client.request("GET", f"http://127.0.0.1:{start.port}/")
    finally:
        start.stop()


def test_the_body_size_is_capped() -> None:
    big = CountingServer(reply=lambda _path: (200, {}, b"x" * 50_000))
    try:
        with SafeClient(OutboundPolicy.parse("127.0.0.1"), timeout=2) as client:
            with pytest.raises(ResponseTooLarge):
                client.request("GET", f"http://127.0.0.1:{big.port}/", max_bytes=10_000)
            cut = client.request("GET", f"http://127.0.0.1:{big.port}/", max_bytes=10_000, truncate=True)
        assert (len(cut.content), cut.truncated) == (10_000, True)
    finally:
        big.stop()


def test_a_silent_server_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the TCP connection, never answers
        port = listener.getsockname()[1]
        with (
            SafeClient(OutboundPolicy.parse("127.0.0.1"), timeout=0.5) as client,
            pytest.raises(httpx.TimeoutException),
        ):
            client.request("GET", f"http://127.0.0.1:{port}/")


def test_proxy_settings_in_the_environment_are_ignored(
    local: CountingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy would connect on our behalf to wherever we ask, unchecked."""
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{local.port}")
    monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{local.port}")
    with SafeClient(OutboundPolicy(), timeout=2) as client, pytest.raises(BlockedDestination):
        client.request("GET", "http://10.1.2.3/")
    assert local.connections == 0


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 that no CA vouches for."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_https_certificates_are_verified(tmp_path: Path) -> None:
    """The transport's own pool is replaced: make sure TLS verification came along."""
    cert, key = _self_signed(tmp_path)
    server = CountingServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
    try:
        with (
            SafeClient(OutboundPolicy.parse("127.0.0.1"), timeout=2) as client,
            pytest.raises(httpx.ConnectError),
        ):
            client.request("GET", f"https://127.0.0.1:{server.port}/")
    finally:
        server.stop()
