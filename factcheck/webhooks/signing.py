"""Standard Webhooks signatures (https://www.standardwebhooks.com), via the ``standardwebhooks`` library.

Secrets are ``whsec_`` + base64 of 32 random bytes. Every header the library reads or any
byte of the body may be hostile; ``verify`` turns all of its failures into ``InvalidSignature``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from datetime import datetime

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET_PREFIX = "whsec_"  # noqa: S105 (a public prefix, not a secret)
SECRET_BYTES = 32
HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class InvalidSignature(Exception):
    """Missing or malformed headers, a timestamp outside ±5 minutes, or no matching signature."""


def generate_secret() -> str:
    """A new signing secret in the Standard Webhooks format."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def sign(secret: str, message_id: str, timestamp: datetime, body: bytes) -> dict[str, str]:
    """The three signature headers for ``body``, signed at ``timestamp`` (use a fresh one per attempt)."""
    signature = Webhook(secret).sign(message_id, timestamp, body.decode())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }


def verify(secret: str, body: bytes, headers: Mapping[str, str]) -> None:
    """Check ``body`` against the signature headers (±5 minutes); raise InvalidSignature if it fails.

    The library raises its own error for most failures, but a plain ``ValueError`` (or its
    ``binascii.Error`` / ``UnicodeDecodeError`` subclasses) for a signature without a comma,
    bad base64 or a body that is not UTF-8, and ``OverflowError`` on absurd timestamps.
    """
    wanted = {name: headers.get(name, "") for name in HEADERS}
    try:
        Webhook(secret).verify(body, wanted, json_parse=False)
    except (WebhookVerificationError, ValueError, TypeError, OverflowError, binascii.Error) as exc:
        raise InvalidSignature(str(exc) or type(exc).__name__) from exc
