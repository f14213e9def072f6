"""Signed inbound intake at /hooks/v1/<integration>: the signature suite, replays, payloads, limits."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rq.job import Job
from sqlalchemy import func, select

from factcheck import db
from factcheck.config import Settings
from factcheck.models import InboundMessage, Ticket, TicketEvent
from factcheck.queue import collect_job_id
from tests.support import ApiClient
from tests.webhooks.helpers import CLAIM, Sender


@pytest.fixture()
def sender(client: FlaskClient, admin: ApiClient) -> Sender:
    created = admin.post("/api/v1/integrations", json={"name": "tipline"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["secret"].startswith("whsec_")
    return Sender(client, body["name"], body["secret"])


def stored(app: Flask) -> dict[str, int]:
    with app.app_context():
        session = db.session()
        return {
            "tickets": session.scalar(select(func.count()).select_from(Ticket)) or 0,
            "messages": session.scalar(select(func.count()).select_from(InboundMessage)) or 0,
        }


def test_a_signed_claim_opens_a_ticket_from_the_integration_and_queues_collection(
    app: Flask, sender: Sender, api: ApiClient, redis_conn: Any
) -> None:
    response = sender.send(CLAIM)
    assert response.status_code == 202, response.get_json()
    (answer,) = response.get_json()["tickets"]
    assert answer["state"] == "submitted" and answer["created"] is True
    ticket = api.get(f"/api/v1/tickets/{answer['id']}").get_json()
    assert ticket["origin"] == {"channel": "webhook", "integration": "tipline", "external_id": "tip-1"}
    assert Job.fetch(collect_job_id(answer["id"]), connection=redis_conn) is not None
    with app.app_context():
        actors = db.session().scalars(
            select(TicketEvent.actor_label).where(TicketEvent.ticket_id == answer["id"])
        )
        assert list(actors) == ["integration:tipline"]


def _reserialised(s: Sender) -> tuple[bytes, dict[str, str]]:
    compact = json.dumps(CLAIM, separators=(",", ":")).encode()
    return json.dumps(CLAIM, indent=2).encode(), s.headers(compact)


def _one_byte_changed(s: Sender) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(CLAIM).encode()
    return body.replace(b"microchips", b"microchipz"), s.headers(body)


def _shifted(minutes: int) -> Callable[[Sender], tuple[bytes, dict[str, str]]]:
    def build(s: Sender) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(CLAIM).encode()
        return body, s.headers(body, at=datetime.now(UTC) + timedelta(minutes=minutes))

    return build


def _header(name: str, value: str | None) -> Callable[[Sender], tuple[bytes, dict[str, str]]]:
    def build(s: Sender) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(CLAIM).encode()
        headers = s.headers(body)
        if value is None:
            del headers[name]
        else:
            headers[name] = value
        return body, headers

    return build


def _several_signatures(s: Sender) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(CLAIM).encode()
    headers = s.headers(body)
    forged = "v1,Zm9yZ2VkIHNpZ25hdHVyZSBmb3JnZWQgc2lnbmF0dXJlIQ=="
    headers["webhook-signature"] = f"{forged} v2,whatever {headers['webhook-signature']}"
    return body, headers


def _oversized(s: Sender) -> tuple[bytes, dict[str, str]]:
    payload = {"type": "claim.submitted", "data": {"claim": "Big.", "speaker": "x" * 300_000}}
    body = json.dumps(payload).encode()
    return body, s.headers(body)


def _garbage_base64(s: Sender) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(CLAIM).encode()
    return body, {**s.headers(body), "webhook-signature": "v1,@@not-base64@@"}


def _other_secret(s: Sender) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(CLAIM).encode()
    other = Sender(s.client, s.name, "whsec_" + "A" * 43 + "=")
    return body, other.headers(body)


SUITE: list[Any] = [
    pytest.param(
        lambda s: (json.dumps(CLAIM).encode(), s.headers(json.dumps(CLAIM).encode())), 202, id="valid"
    ),
    pytest.param(_reserialised, 401, id="body-re-serialised"),
    pytest.param(_one_byte_changed, 401, id="one-byte-changed"),
    pytest.param(_shifted(-6), 401, id="timestamp-minus-6-min"),
    pytest.param(_shifted(+6), 401, id="timestamp-plus-6-min"),
    pytest.param(_shifted(-4), 202, id="timestamp-minus-4-min-is-inside-tolerance"),
    pytest.param(_header("webhook-timestamp", "yesterday"), 401, id="non-numeric-timestamp"),
    pytest.param(_header("webhook-timestamp", "1e400"), 401, id="absurd-timestamp"),
    pytest.param(_header("webhook-id", None), 401, id="webhook-id-missing"),
    pytest.param(_header("webhook-timestamp", None), 401, id="webhook-timestamp-missing"),
    pytest.param(_header("webhook-signature", None), 401, id="webhook-signature-missing"),
    pytest.param(_header("webhook-signature", "garbage"), 401, id="signature-garbage"),
    pytest.param(_header("webhook-signature", "v1,a,b"), 401, id="signature-two-commas"),
    pytest.param(_garbage_base64, 401, id="signature-bad-base64"),
    pytest.param(_header("webhook-id", "x" * 300), 401, id="webhook-id-changed-after-signing"),
    pytest.param(lambda s: (b"{}", s.headers(b"{}", msg_id="x" * 300)), 401, id="signed-webhook-id-too-long"),
    pytest.param(_other_secret, 401, id="signed-with-another-secret"),
    pytest.param(_several_signatures, 202, id="several-signatures-one-valid"),
    pytest.param(_oversized, 413, id="body-over-the-limit"),
]


@pytest.mark.parametrize(("build", "status"), SUITE)
def test_signature_suite(app: Flask, sender: Sender, build: Any, status: int) -> None:
    body, headers = build(sender)
    response = sender.post(body, headers)

    assert response.status_code == status, response.get_data(as_text=True)[:500]
    if status == 202:
        assert stored(app) == {"tickets": 1, "messages": 1}
        return
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == status
    assert stored(app) == {"tickets": 0, "messages": 0}, "nothing is stored for a rejected message"
    if status == 401:
        assert "WWW-Authenticate" in response.headers


def test_an_unknown_integration_is_401_like_a_bad_signature(sender: Sender, app: Flask) -> None:
    body = json.dumps(CLAIM).encode()
    response = sender.post(body, sender.headers(body), name="nobody")
    assert response.status_code == 401
    assert sender.post(body, sender.headers(body), name="Bad Name!").status_code in (401, 404)
    assert stored(app)["tickets"] == 0


def test_a_replayed_webhook_id_returns_the_first_response_and_creates_nothing(
    app: Flask, sender: Sender
) -> None:
    first = sender.send(CLAIM, msg_id="msg_replayed")
    again = sender.send(CLAIM, msg_id="msg_replayed")
    other_body = sender.send(
        {"type": "claim.submitted", "data": {"claim": "Another one."}}, msg_id="msg_replayed"
    )

    assert first.status_code == again.status_code == other_body.status_code == 202
    assert again.get_json() == first.get_json() == other_body.get_json()
    assert again.headers["Webhook-Replayed"] == "true"
    assert stored(app) == {"tickets": 1, "messages": 1}
    with app.app_context():
        ticket = db.session().get(Ticket, first.get_json()["tickets"][0]["id"])
        assert ticket is not None and ticket.demand == 1, "a replay is not more demand"


def test_a_batch_opens_a_ticket_per_claim_and_counts_repeats_as_demand(app: Flask, sender: Sender) -> None:
    claims = [
        {"claim": "The sea is rising 1 cm a year."},
        {"claim": "Bread costs €5."},
        {"claim": "bread costs €5"},
    ]
    response = sender.send({"type": "claims.submitted", "data": {"claims": claims}})

    assert response.status_code == 202, response.get_json()
    tickets = response.get_json()["tickets"]
    assert [t["created"] for t in tickets] == [True, True, False]
    assert tickets[1]["id"] == tickets[2]["id"]
    assert stored(app) == {"tickets": 2, "messages": 1}


@pytest.mark.parametrize(
    ("payload", "content_type", "status"),
    [
        pytest.param(b"{not json", "application/json", 400, id="not-json"),
        pytest.param(b"[1, 2]", "application/json", 400, id="not-an-object"),
        pytest.param(json.dumps(CLAIM).encode(), "text/plain", 415, id="not-application-json"),
        pytest.param(b'{"type": "claim.deleted", "data": {}}', "application/json", 422, id="unknown-type"),
        pytest.param(b'{"type": "claim.submitted"}', "application/json", 422, id="no-data"),
        pytest.param(
            b'{"type": "claim.submitted", "data": {"claim": ""}}', "application/json", 422, id="empty-claim"
        ),
        pytest.param(
            b'{"type": "claims.submitted", "data": {"claims": []}}', "application/json", 422, id="empty-batch"
        ),
        pytest.param(
            b'{"type": "claim.submitted", "data": {"claim": "x", "rating": "true"}}',
            "application/json",
            422,
            id="unknown-field",
        ),
    ],
)
def test_a_signed_but_invalid_payload_is_refused_and_does_not_use_up_its_webhook_id(
    app: Flask, sender: Sender, payload: bytes, content_type: str, status: int
) -> None:
    headers = {**sender.headers(payload, msg_id="msg_fixed"), "Content-Type": content_type}
    response = sender.post(payload, headers)

    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert stored(app) == {"tickets": 0, "messages": 0}
    assert sender.send(CLAIM, msg_id="msg_fixed").status_code == 202, "the corrected message goes through"


@pytest.fixture()
def three_per_minute(app: Flask) -> None:
    settings: Settings = app.extensions["factcheck.settings"]
    app.extensions["factcheck.settings"] = replace(settings, inbound_rate_limit="3 per minute")


def test_each_integration_is_rate_limited_and_forgeries_do_not_use_its_quota(
    app: Flask, sender: Sender, admin: ApiClient, three_per_minute: None
) -> None:
    body = json.dumps(CLAIM).encode()
    for _ in range(5):
        forged = {**sender.headers(body), "webhook-signature": "v1,Zm9yZ2Vk"}
        assert sender.post(body, forged).status_code == 401
    answers = [sender.send({"type": "claim.submitted", "data": {"claim": f"Claim {n}."}}) for n in range(4)]

    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    limited = answers[-1]
    assert limited.mimetype == "application/problem+json"
    assert int(limited.headers["Retry-After"]) >= 1
    other = admin.post("/api/v1/integrations", json={"name": "cms"}).get_json()
    assert Sender(sender.client, "cms", other["secret"]).send(CLAIM).status_code == 202, "per integration"


def test_integrations_are_for_admins_and_names_are_unique(api: ApiClient, admin: ApiClient) -> None:
    assert api.post("/api/v1/integrations", json={"name": "tipline"}).status_code == 403
    assert admin.post("/api/v1/integrations", json={"name": "tipline"}).status_code == 201
    assert admin.post("/api/v1/integrations", json={"name": "tipline"}).status_code == 409
    invalid = admin.post("/api/v1/integrations", json={"name": "Tip Line!"})
    assert invalid.status_code == 422 and "name" in invalid.get_json()["errors"]
    listed = admin.get("/api/v1/integrations").get_json()["items"]
    assert [(i["name"], i["hook_url"]) for i in listed] == [("tipline", "/hooks/v1/tipline")]
    assert all("secret" not in i for i in listed), "the secret is shown once"


def test_the_secret_is_encrypted_at_rest(app: Flask, admin: ApiClient) -> None:
    secret = admin.post("/api/v1/integrations", json={"name": "slack-bot"}).get_json()["secret"]
    with app.app_context():
        from factcheck.models import Integration
        from factcheck.webhooks import vault

        (row,) = db.session().scalars(select(Integration)).all()
        assert secret not in row.sealed_secret and secret[6:] not in row.sealed_secret
        assert vault.unseal(row.sealed_secret) == secret
    with pytest.raises(vault.SealedSecretUnreadable):
        vault.unseal(row.sealed_secret, secret_key="another-key")
