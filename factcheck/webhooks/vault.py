"""Webhook secrets at rest: encrypted with a key derived from the app's SECRET_KEY.

An HMAC secret cannot be stored as a one-way hash (both signing and verifying need it), so
it is sealed with Fernet (AES-128-CBC + HMAC-SHA256). The Fernet key comes from SECRET_KEY
through HKDF-SHA256 with a purpose label, so it is never the session-signing key itself.
Rotating SECRET_KEY makes sealed secrets unreadable: rotate webhook secrets with it.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

_PURPOSE = b"factcheck webhook secrets v1"


class SealedSecretUnreadable(Exception):
    """The stored secret was sealed under another SECRET_KEY (or is corrupt)."""


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _current_key() -> str:
    key: str = current_app.config["SECRET_KEY"]
    return key


def seal(secret: str, secret_key: str | None = None) -> str:
    """Encrypt ``secret`` for storage (with the running app's SECRET_KEY unless one is given)."""
    return _fernet(secret_key or _current_key()).encrypt(secret.encode()).decode()


def unseal(sealed: str, secret_key: str | None = None) -> str:
    """Decrypt a value made by ``seal``."""
    try:
        return _fernet(secret_key or _current_key()).decrypt(sealed.encode()).decode()
    except InvalidToken as exc:
        raise SealedSecretUnreadable("the secret was sealed under a different SECRET_KEY") from exc
