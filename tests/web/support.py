"""Helpers for web tests: a browser-like test client that signs in and sends CSRF tokens."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from factcheck.models import User

PASSWORD = "correct horse battery staple"
_META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"


class WebClient:
    """A test client used like a browser: forms carry the page's CSRF token."""

    def __init__(self, client: FlaskClient, user: User | None = None) -> None:
        self.client = client
        self.user = user

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, **kwargs)

    def csrf_token(self) -> str:
        page = self.client.get("/tips/new")
        found = _META_TOKEN.search(page.get_data(as_text=True))
        assert found, "every page carries a csrf-token meta tag"
        return found.group(1)

    def post(
        self, path: str, data: dict[str, Any] | None = None, csrf: bool = True, **kwargs: Any
    ) -> TestResponse:
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf_token())
        return self.client.post(path, data=data, **kwargs)

    def post_json(self, path: str, data: dict[str, Any], **kwargs: Any) -> TestResponse:
        """Like our script: form data, the token in the X-CSRFToken header, asking for JSON."""
        headers = {"X-CSRFToken": self.csrf_token(), "Accept": "application/json"}
        return self.client.post(path, data=data, headers=headers, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD) -> TestResponse:
        return self.post("/app/sign-in", {"email": email, "password": password})


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)
