"""Inbound intake: integrations sign claims per Standard Webhooks; each message id counts once.

A message is checked in this order: the integration exists and is active, the signature
verifies over the raw body within ±5 minutes, the ``webhook-id`` is new (else the first
response is replayed), then the payload is validated by the caller and submitted here.
Nothing is stored for a rejected message. Service functions flush; the request commits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from factcheck.actors import Actor
from factcheck.models import InboundMessage, Integration
from factcheck.tickets import intake
from factcheck.webhooks import signing, vault

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
MESSAGE_ID_MAX = 255
CHANNEL = "webhook"
ACCEPTED = 202


class NameTaken(ValueError):
    """Another integration has this name."""


def create_integration(session: Session, name: str) -> tuple[Integration, str]:
    """Register an integration; returns it and its secret, which is shown once. Flushes.

    Raises ValueError for a name that cannot be a URL segment, NameTaken for a taken one.
    """
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(
            "use 1 to 100 lowercase letters, digits, '-' or '_', starting with a letter or digit"
        )
    if session.scalar(select(Integration.id).where(Integration.name == name)) is not None:
        raise NameTaken(f"an integration named {name!r} exists")
    secret = signing.generate_secret()
    integration = Integration(name=name, sealed_secret=vault.seal(secret))
    session.add(integration)
    session.flush()
    return integration, secret


def find_integration(session: Session, name: str) -> Integration | None:
    """The active integration called ``name``, or None."""
    if not NAME_PATTERN.fullmatch(name):
        return None
    return session.scalar(select(Integration).where(Integration.name == name, Integration.active))


def authenticate(integration: Integration, body: bytes, headers: Mapping[str, str]) -> str:
    """Verify the signature over the raw ``body``; returns the ``webhook-id``.

    Raises signing.InvalidSignature for any failure, including an id too long to store.
    """
    wanted = {name: headers.get(name, "") for name in signing.HEADERS}
    signing.verify(vault.unseal(integration.sealed_secret), body, wanted)
    message_id = wanted["webhook-id"]
    if len(message_id) > MESSAGE_ID_MAX or not message_id.isprintable():
        raise signing.InvalidSignature(f"webhook-id must be 1 to {MESSAGE_ID_MAX} printable characters")
    return message_id


def previous_response(session: Session, integration: Integration, message_id: str) -> InboundMessage | None:
    """The stored answer to a message already accepted under this ``webhook-id``."""
    return session.scalar(
        select(InboundMessage).where(
            InboundMessage.integration_id == integration.id, InboundMessage.message_id == message_id
        )
    )


def claim_message(session: Session, integration: Integration, message_id: str) -> InboundMessage | None:
    """Reserve the ``webhook-id`` (unique per integration); None if a concurrent request holds it.

    The row goes in first, inside a savepoint: a concurrent duplicate waits on the unique
    index, then fails here and replays the committed answer instead of creating tickets.
    """
    message = InboundMessage(
        integration_id=integration.id, message_id=message_id, status_code=ACCEPTED, response_body={}
    )
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:
        return None
    return message


def submit(
    session: Session, integration: Integration, message: InboundMessage, claims: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[str]]:
    """Open (or add demand to) a ticket per validated claim; store the response on the message.

    Returns the response body and the ids of newly created tickets (to enqueue after commit).
    """
    actor = Actor(label=f"integration:{integration.name}", role="integration")
    answers: list[dict[str, Any]] = []
    created_ids: list[str] = []
    for fields in claims:
        submission = replace(
            intake.Submission.from_api(fields, channel=CHANNEL), integration=integration.name
        )
        result = intake.submit_claim(session, submission, actor)
        answers.append({"id": result.ticket_id, "state": result.state, "created": result.created})
        if result.created:
            created_ids.append(result.ticket_id)
    body = {"tickets": answers}
    message.response_body = body
    session.flush()
    return body, created_ids
