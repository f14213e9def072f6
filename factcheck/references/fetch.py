"""Outbound HTTP for the network sources, always through the SSRF-safe client."""

from __future__ import annotations

import json
from typing import Any

import httpx

from factcheck.config import Settings
from factcheck.references import safe_http
from factcheck.references.safe_http import OutboundPolicy, SafeClient, SafeResponse

JSON_MAX_BYTES = 2_000_000
MAX_REDIRECTS = 3


class SourceHTTPError(Exception):
    """The remote service answered, but not with what the source needs."""


def policy(settings: Settings) -> OutboundPolicy:
    """Public internet only, plus the hosts the administrator allowed (``outbound_allow_hosts``)."""
    return safe_http.policy_from_settings(settings)


def client(settings: Settings, timeout: float, follow_redirects: bool = False) -> SafeClient:
    return SafeClient(
        policy(settings), timeout=timeout, follow_redirects=follow_redirects, max_redirects=MAX_REDIRECTS
    )


def get_json(settings: Settings, url: str, params: dict[str, Any], timeout: float) -> Any:
    """GET ``url`` with ``params`` and decode its JSON body (bounded in size and time)."""
    target = str(httpx.URL(url, params=params))
    with client(settings, timeout) as http:
        response = http.request(
            "GET",
            target,
            headers={"Accept": "application/json"},
            max_bytes=JSON_MAX_BYTES,
            total_timeout=timeout,
        )
    return decode_json(response)


def decode_json(response: SafeResponse) -> Any:
    if response.status_code != 200:
        raise SourceHTTPError(f"HTTP {response.status_code}")
    try:
        return json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceHTTPError("the answer is not JSON") from exc
