"""Fixtures for fuzzing the API: an app whose limits let thousands of requests through, an
admin's client, and a newsroom seeded with real objects for the fuzzer to find."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck.config import Settings
from tests.fuzz.seed import Known, seed_newsroom
from tests.support import ApiClient, UserFactory
from tests.webhooks.receiver import Receiver


@pytest.fixture()
def settings(settings: Settings) -> Settings:
    """The suite's settings with rate limits out of the way (the fuzzer sends thousands of requests
    from one address) and outbound HTTP only to this machine, with short timeouts."""
    return replace(
        settings,
        public_rate_limit="1000000 per minute",
        inbound_rate_limit="1000000 per minute",
        tip_rate_limit="1000000 per minute",
        outbound_allow_hosts="127.0.0.1",
        article_fetch_timeout=1.0,
        webhook_timeout=1.0,
    )


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture()
def admin(client: FlaskClient, users: UserFactory) -> ApiClient:
    return ApiClient(client, users.token_for("admin"))


@pytest.fixture()
def known(app: Flask, admin: ApiClient, users: UserFactory, receiver: Receiver) -> Known:
    return seed_newsroom(app, admin, users, receiver)
