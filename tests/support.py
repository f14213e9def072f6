"""Test helpers: users with tokens, an API client, and running jobs with a real RQ worker."""

from __future__ import annotations

import itertools
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from factcheck import auth
from factcheck.db import unit_of_work
from factcheck.models import User

_counter = itertools.count(1)


class UserFactory:
    def __init__(self, app: Flask) -> None:
        self.app = app

    def create(self, role: str, password: str | None = None) -> User:
        with self.app.app_context(), unit_of_work() as session:
            return auth.create_user(session, f"{role}{next(_counter)}@newsroom.test", role, password)

    def token_for(self, role: str) -> str:
        return self.token_of(self.create(role))

    def token_of(self, user: User) -> str:
        with self.app.app_context(), unit_of_work() as session:
            return auth.create_token(session, session.get(User, user.id))  # type: ignore[arg-type]


class ApiClient:
    """Thin wrapper adding the bearer token; responses are werkzeug TestResponses."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.token = token

    def as_(self, token: str) -> ApiClient:
        return ApiClient(self.client, token)

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.post(path, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.put(path, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.patch(
            path, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )

    def create_ticket(self, claim: str = "The moon is made of cheese.", **fields: Any) -> dict[str, Any]:
        response = self.post("/api/v1/tickets", json={"claim": claim, **fields})
        assert response.status_code == 201, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    def act(
        self, ticket_id: str, action: str, body: dict[str, Any] | None = None, **kwargs: Any
    ) -> TestResponse:
        return self.post(f"/api/v1/tickets/{ticket_id}/actions/{action}", json=body or {}, **kwargs)


def run_jobs(app: Flask) -> None:
    """Run every queued job with a real RQ burst worker (forking a work-horse per job)."""
    from factcheck.worker import build_worker

    build_worker(app).work(burst=True, logging_level="WARNING")
