"""Helpers for webhook tests: drive real RQ workers, read deliveries and the outbox, sign as a sender."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook
from werkzeug.test import TestResponse

from factcheck import db
from factcheck.models import DeliveryAttempt, OutboxEvent, WebhookDelivery


def drive(app: Flask, until: Callable[[], Any], timeout: float = 30.0, message: str = "deliveries") -> Any:
    """Run burst workers (with RQ's scheduler) until ``until()`` is truthy: scheduled retries included."""
    from factcheck.worker import build_worker

    deadline = time.monotonic() + timeout
    while True:
        build_worker(app).work(burst=True, with_scheduler=True, logging_level="WARNING")
        value = until()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(0.2)


def deliveries(app: Flask, **where: Any) -> list[WebhookDelivery]:
    with app.app_context():
        query = select(WebhookDelivery).order_by(WebhookDelivery.outbox_event_id, WebhookDelivery.id)
        for name, value in where.items():
            query = query.where(getattr(WebhookDelivery, name) == value)
        return list(db.session().scalars(query))


def attempts_of(app: Flask, delivery_id: str) -> list[DeliveryAttempt]:
    with app.app_context():
        return list(
            db.session().scalars(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.delivery_id == delivery_id)
                .order_by(DeliveryAttempt.number)
            )
        )


def outbox(app: Flask, ticket_id: str | None = None) -> list[OutboxEvent]:
    with app.app_context():
        query = select(OutboxEvent).order_by(OutboxEvent.id)
        if ticket_id is not None:
            query = query.where(OutboxEvent.ticket_id == ticket_id)
        return list(db.session().scalars(query))


def all_settled(app: Flask) -> bool:
    """Every outbox row dispatched and no delivery pending."""
    rows = outbox(app)
    return all(row.dispatched_at is not None for row in rows) and not deliveries(app, status="pending")


CLAIM = {"type": "claim.submitted", "data": {"claim": "Vaccines contain microchips.", "external_id": "tip-1"}}


class Sender:
    """An integration's side: signs bodies with its secret, as a Standard Webhooks sender does."""

    def __init__(self, client: FlaskClient, name: str, secret: str) -> None:
        self.client, self.name, self.secret = client, name, secret

    def headers(
        self, body: bytes, *, at: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
        at = at or datetime.now(UTC)
        signature = Webhook(self.secret).sign(msg_id, at, body.decode())
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature,
            "Content-Type": "application/json",
        }

    def post(self, body: bytes, headers: dict[str, str], name: str | None = None) -> TestResponse:
        return self.client.post(f"/hooks/v1/{name or self.name}", data=body, headers=headers)

    def send(self, payload: Any, **kwargs: Any) -> TestResponse:
        body = json.dumps(payload).encode()
        return self.post(body, self.headers(body, **kwargs))
