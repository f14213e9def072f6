"""Fixtures for the web app: people with passwords, signed-in clients, tickets in a given state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask

from factcheck import auth
from factcheck.models import User
from tests.support import ApiClient, UserFactory, run_jobs
from tests.web.support import PASSWORD, WebClient


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with its smallest cost: sign-ins are what these tests do most, not what they test.

    Hashes carry their own parameters, so verification uses the same cheap ones.
    """
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture()
def person(users: UserFactory) -> Callable[[str], User]:
    """Make a user with the standard test password."""

    def make(role: str) -> User:
        return users.create(role, PASSWORD)

    return make


@pytest.fixture()
def signed_in(app: Flask, person: Callable[[str], User]) -> Callable[[str], WebClient]:
    """A fresh browser-like client signed in as a new user with ``role``."""

    def make(role: str) -> WebClient:
        user = person(role)
        web = WebClient(app.test_client(), user)
        response = web.sign_in(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return web

    return make


@pytest.fixture()
def anonymous(app: Flask) -> WebClient:
    return WebClient(app.test_client())


@pytest.fixture()
def ticket_in_triage(app: Flask, api: ApiClient) -> Callable[..., dict[str, Any]]:
    """Open a ticket through the API and let a real worker collect for it."""

    def make(claim: str = "Unemployment fell to 3% in 2025.", **fields: Any) -> dict[str, Any]:
        ticket = api.create_ticket(claim, **fields)
        run_jobs(app)
        body: dict[str, Any] = api.get(f"/api/v1/tickets/{ticket['id']}").get_json()
        return body

    return make
