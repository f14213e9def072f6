"""Webhook endpoints: integrations and subscriptions (admins), and the signed inbound intake.

``/api/v1/integrations``, ``/api/v1/webhooks``: bearer auth, admin role.
``/hooks/v1/<integration>``: no bearer token; the Standard Webhooks signature is the credential.
Creating an integration or a subscription ignores ``Idempotency-Key``: a stored replay would
keep the shown-once secret in plain text.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, current_app, g, request
from flask_smorest import Blueprint
from sqlalchemy import select
from werkzeug.exceptions import BadRequest

from factcheck import db, queue
from factcheck.api import webhook_schemas as schemas
from factcheck.api.problems import Problem
from factcheck.api.writes import api_blueprint, commit, json_response, require_user
from factcheck.config import Settings
from factcheck.limits import limit
from factcheck.models import Integration, WebhookDelivery, WebhookSubscription
from factcheck.references import safe_http
from factcheck.tickets.representation import rfc3339
from factcheck.webhooks import inbound, signing, subscriptions, transport
from factcheck.webhooks.retries import RetryPolicy

blp = api_blueprint("webhooks", __name__, "Integrations and outbound webhook subscriptions (admins only)")
hooks_blp = Blueprint(
    "hooks", __name__, url_prefix="/hooks/v1", description="Signed inbound webhooks from integrations"
)
ONE = "/webhooks/<string:subscription_id>"
DELIVERY = f"{ONE}/deliveries/<string:delivery_id>"
SIGNATURE_HEADERS = [
    {"in": "header", "name": name, "required": True, "schema": {"type": "string"}} for name in signing.HEADERS
]


def _settings() -> Settings:
    settings: Settings = current_app.extensions["factcheck.settings"]
    return settings


def _not_found(what: str, ident: str) -> Problem:
    return Problem(404, f"No {what} {ident!r}.", title="Not Found")


# --- integrations ------------------------------------------------------------------------------


def integration_dict(integration: Integration) -> dict[str, Any]:
    return {
        "name": integration.name,
        "active": integration.active,
        "created_at": rfc3339(integration.created_at),
        "hook_url": f"/hooks/v1/{integration.name}",
    }


@blp.route("/integrations", methods=["POST"])
@blp.arguments(schemas.IntegrationCreate())
@blp.alt_response(201, schema=schemas.IntegrationCreated, description="The secret is shown only here")
def create_integration(data: dict[str, Any]) -> Response:
    """Register an integration that may submit claims to ``/hooks/v1/{name}``."""
    require_user("admin")
    try:
        integration, secret = inbound.create_integration(db.session(), data["name"])
    except inbound.NameTaken as exc:
        raise Problem(409, str(exc), title="Conflict") from exc
    except ValueError as exc:
        raise Problem(
            422,
            "The request did not pass validation.",
            title="Unprocessable Entity",
            errors={"name": [str(exc)]},
        ) from exc
    body = {**integration_dict(integration), "secret": secret}
    return commit(body, 201, {"Location": body["hook_url"]})


@blp.route("/integrations", methods=["GET"])
@blp.alt_response(200, schema=schemas.IntegrationList)
def list_integrations() -> Response:
    require_user("admin")
    rows = db.session().scalars(select(Integration).order_by(Integration.name))
    return json_response({"items": [integration_dict(row) for row in rows]})


# --- subscriptions -----------------------------------------------------------------------------


def _subscription_or_404(subscription_id: str) -> WebhookSubscription:
    """The subscription, for admins. Anyone else gets the 404 of an unknown id (API.md: 404 also
    for objects the caller may not see), never a 403 that would confirm the id exists."""
    visible = require_user().has_role("admin") and len(subscription_id) <= 64
    found = db.session().get(WebhookSubscription, subscription_id) if visible else None
    if found is None:
        raise _not_found("webhook", subscription_id)
    return found


def _check_url(url: str) -> None:
    problem = subscriptions.url_problem(url, safe_http.current_policy())
    if problem is not None:
        raise Problem(
            422,
            "The request did not pass validation.",
            title="Unprocessable Entity",
            errors={"url": [problem]},
        )


@blp.route("/webhooks", methods=["POST"])
@blp.arguments(schemas.SubscriptionCreate())
@blp.alt_response(201, schema=schemas.SubscriptionCreated, description="The secret is shown only here")
def create_subscription(data: dict[str, Any]) -> Response:
    """Subscribe a receiver URL to event types; deliveries are signed with the returned secret."""
    actor = require_user("admin")
    _check_url(data["url"])
    subscription, secret = subscriptions.create(db.session(), data["url"], data["events"], actor)
    body = {**subscriptions.subscription_dict(subscription), "secret": secret}
    return commit(body, 201, {"Location": f"/api/v1/webhooks/{subscription.id}"})


@blp.route("/webhooks", methods=["GET"])
@blp.arguments(schemas.PageQuery(), location="query")
@blp.alt_response(200, schema=schemas.SubscriptionPage)
def list_subscriptions(args: dict[str, Any]) -> Response:
    require_user("admin")
    try:
        rows, next_cursor = subscriptions.list_subscriptions(db.session(), args["limit"], args.get("cursor"))
    except ValueError as exc:
        raise Problem(400, "The cursor is not one this service issued.", title="Bad cursor") from exc
    return json_response(
        {"items": [subscriptions.subscription_dict(row) for row in rows], "next_cursor": next_cursor}
    )


@blp.route(ONE, methods=["GET"])
@blp.alt_response(200, schema=schemas.Subscription)
def get_subscription(subscription_id: str) -> Response:
    return json_response(subscriptions.subscription_dict(_subscription_or_404(subscription_id)))


@blp.route(ONE, methods=["PATCH"])
@blp.arguments(schemas.SubscriptionUpdate())
@blp.alt_response(200, schema=schemas.Subscription)
def update_subscription(data: dict[str, Any], subscription_id: str) -> Response:
    """Change the URL or events, or set ``active`` (re-enabling clears the failure flags)."""
    subscription = _subscription_or_404(subscription_id)
    if "url" in data:
        _check_url(data["url"])
    subscriptions.update(db.session(), subscription, data)
    return commit(subscriptions.subscription_dict(subscription), 200)


@blp.route(ONE, methods=["DELETE"])
@blp.alt_response(204, description="Deleted, with its deliveries and their log")
def delete_subscription(subscription_id: str) -> Response:
    session = db.session()
    session.delete(_subscription_or_404(subscription_id))
    session.commit()
    return Response(status=204)


# --- deliveries --------------------------------------------------------------------------------


def _delivery_or_404(subscription: WebhookSubscription, delivery_id: str) -> WebhookDelivery:
    found = db.session().get(WebhookDelivery, delivery_id) if len(delivery_id) <= 64 else None
    if found is None or found.subscription_id != subscription.id:
        raise _not_found("delivery", delivery_id)
    return found


@blp.route(f"{ONE}/deliveries", methods=["GET"])
@blp.arguments(schemas.DeliveryListQuery(), location="query")
@blp.alt_response(200, schema=schemas.DeliveryPage)
def list_deliveries(args: dict[str, Any], subscription_id: str) -> Response:
    """This subscription's deliveries, newest first (``?status=`` to filter)."""
    subscription = _subscription_or_404(subscription_id)
    try:
        page = subscriptions.list_deliveries(
            db.session(), subscription.id, args["limit"], args.get("cursor"), args.get("status")
        )
    except ValueError as exc:
        raise Problem(400, "The cursor is not one this service issued.", title="Bad cursor") from exc
    items = [subscriptions.delivery_dict(item) for item in page.items]
    return json_response({"items": items, "next_cursor": page.next_cursor})


@blp.route(DELIVERY, methods=["GET"])
@blp.alt_response(200, schema=schemas.Delivery)
def get_delivery(subscription_id: str, delivery_id: str) -> Response:
    """One delivery with its attempt log (status code, duration, error, response excerpt)."""
    delivery = _delivery_or_404(_subscription_or_404(subscription_id), delivery_id)
    log = subscriptions.attempt_log(db.session(), delivery.id)
    return json_response(subscriptions.delivery_dict(delivery, log))


@blp.route(f"{DELIVERY}/redeliver", methods=["POST"])
@blp.arguments(schemas.Redeliver())
@blp.alt_response(202, schema=schemas.Delivery, description="Queued again, with the same webhook-id")
def redeliver(_body: dict[str, Any], subscription_id: str, delivery_id: str) -> Response:
    """Send it again now, same webhook-id, fresh retry window (after any earlier one in its lane)."""
    delivery = _delivery_or_404(_subscription_or_404(subscription_id), delivery_id)
    try:
        head = subscriptions.redeliver(db.session(), delivery, RetryPolicy.from_settings(_settings()))
    except subscriptions.SubscriptionInactive as exc:
        raise Problem(409, str(exc), title="Conflict") from exc
    after = []
    if head is not None:
        after.append(
            lambda: transport.enqueue_delivery(head.delivery_id, head.attempts, replace_scheduled=True)
        )
    return commit(subscriptions.delivery_dict(delivery), 202, after_commit=after)


# --- inbound -----------------------------------------------------------------------------------


def _inbound_limit() -> str:
    return _settings().inbound_rate_limit


def _integration_key() -> str:
    return "hooks:" + str((request.view_args or {}).get("integration", ""))


def _authenticated(_response: Response) -> bool:
    """Only signed requests use up an integration's quota: forgeries cannot exhaust it."""
    return bool(g.get("hook_authenticated"))


@hooks_blp.route("/<string:integration>", methods=["POST"])
@hooks_blp.doc(
    security=[],
    parameters=SIGNATURE_HEADERS,
    # read raw (the signature covers the exact bytes), so documented here rather than by @arguments
    requestBody={"required": True, "content": {"application/json": {"schema": schemas.InboundEnvelope}}},
)
@hooks_blp.alt_response(202, schema=schemas.InboundAccepted, description="Tickets opened (or demand added)")
@limit(_inbound_limit, key_func=_integration_key, deduct_when=_authenticated)
def receive(integration: str) -> Response:
    """Submit claims, signed per Standard Webhooks; a repeated ``webhook-id`` replays the first answer."""
    request.max_content_length = _settings().inbound_max_body
    body = request.get_data(cache=True)  # 413 beyond the limit, before any other work
    session = db.session()
    found = inbound.find_integration(session, integration)
    try:
        if found is None:
            raise signing.InvalidSignature("unknown integration")
        message_id = inbound.authenticate(
            found, body, {name: request.headers.get(name, "") for name in signing.HEADERS}
        )
    except signing.InvalidSignature as exc:
        raise Problem(
            401,
            "Missing or invalid webhook signature, or a timestamp outside ±5 minutes.",
            title="Unauthorized",
        ) from exc
    g.hook_authenticated = True
    stored = inbound.previous_response(session, found, message_id)
    if stored is None:
        claims = _validated_claims(body)
        message = inbound.claim_message(session, found, message_id)
        if message is not None:
            answer, created = inbound.submit(session, found, message, claims)
            after = [lambda ticket_id=ticket_id: queue.enqueue_collection(ticket_id) for ticket_id in created]
            return commit(answer, inbound.ACCEPTED, after_commit=after)
        stored = inbound.previous_response(session, found, message_id)
        assert stored is not None, "the unique constraint failed, so the row exists"
    return json_response(stored.response_body, stored.status_code, {"Webhook-Replayed": "true"})


def _validated_claims(body: bytes) -> list[dict[str, Any]]:
    """The claims of a ``claim.submitted`` or ``claims.submitted`` payload, or 415/400/422."""
    if request.mimetype != "application/json":
        raise Problem(415, "Send the body as application/json.", title="Unsupported Media Type")
    try:
        payload = request.get_json(force=True, silent=False, cache=True)
    except (BadRequest, RecursionError) as exc:  # json raises RecursionError on absurd nesting
        raise Problem(400, "The body is not valid UTF-8 JSON.", title="Malformed JSON") from exc
    if not isinstance(payload, dict):
        raise Problem(400, "The body must be a JSON object.", title="Malformed JSON")
    envelope = _load(schemas.InboundEnvelope(), payload, wrap=None)
    if envelope["type"] == "claim.submitted":
        return [_load(schemas.TicketCreate(), envelope["data"], wrap="data")]
    batch = _load(schemas.ClaimBatch(), envelope["data"], wrap="data")
    claims: list[dict[str, Any]] = batch["claims"]
    return claims


def _load(schema: ma.Schema, data: Any, wrap: str | None) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ma.ValidationError as exc:
        errors = {wrap: exc.messages} if wrap else exc.messages
        raise Problem(
            422, "The request did not pass validation.", title="Unprocessable Entity", errors=errors
        ) from exc
    return loaded
