"""Webhook test fixtures: short retry timings, receivers on 127.0.0.1 allowed, an admin client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from factcheck.config import Settings
from tests.support import ApiClient, UserFactory
from tests.webhooks.receiver import Receiver


@pytest.fixture()
def settings(settings: Settings) -> Settings:
    """The suite's settings, with receivers on loopback allowed and retries in seconds, not hours."""
    return replace(
        settings,
        outbound_allow_hosts="127.0.0.1",
        webhook_timeout=1.0,
        webhook_retry_base=1.0,
        webhook_retry_cap=2.0,
    )


@pytest.fixture()
def admin(api: ApiClient, users: UserFactory) -> ApiClient:
    return api.as_(users.token_for("admin"))


Subscribe = Callable[..., dict[str, Any]]


@pytest.fixture()
def subscribe(admin: ApiClient) -> Subscribe:
    """Create a subscription for ``receiver`` (its secret is set from the answer)."""

    def make(receiver: Receiver, events: list[str] | None = None) -> dict[str, Any]:
        from factcheck.models import EVENT_TYPES

        response = admin.post(
            "/api/v1/webhooks", json={"url": receiver.url, "events": events or list(EVENT_TYPES)}
        )
        assert response.status_code == 201, response.get_json()
        body: dict[str, Any] = response.get_json()
        receiver.secret = body["secret"]
        return body

    return make


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running
