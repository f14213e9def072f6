"""Marshmallow schemas of the webhook endpoints: integrations, subscriptions, deliveries, inbound."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from factcheck.api.schemas import StrictSchema, TicketCreate
from factcheck.models import DELIVERY_STATUSES, EVENT_TYPES

INBOUND_TYPES = ("claim.submitted", "claims.submitted")
BATCH_MAX = 100


def _url_field(**kwargs: Any) -> ma.fields.Url:
    # require_tld=False: an allow-listed internal receiver may be called "receiver" or 10.0.0.5.
    return ma.fields.Url(
        schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2048), **kwargs
    )


def _events_field(**kwargs: Any) -> ma.fields.List:
    return ma.fields.List(
        ma.fields.String(validate=validate.OneOf(EVENT_TYPES)),
        validate=validate.Length(min=1, max=len(EVENT_TYPES) * 2),
        **kwargs,
    )


class IntegrationCreate(StrictSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))


class Integration(ma.Schema):
    name = ma.fields.String()
    active = ma.fields.Boolean()
    created_at = ma.fields.String()
    hook_url = ma.fields.String(metadata={"description": "Where the integration POSTs its signed claims."})


class IntegrationCreated(Integration):
    secret = ma.fields.String(metadata={"description": "The whsec_ signing secret. Shown only once."})


class IntegrationList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(Integration))


class SubscriptionCreate(StrictSchema):
    url = _url_field(required=True)
    events = _events_field(required=True)


class SubscriptionUpdate(StrictSchema):
    url = _url_field()
    events = _events_field()
    active = ma.fields.Boolean(truthy={True}, falsy={False})  # not "yes", "on" or "1"


class Subscription(ma.Schema):
    id = ma.fields.String()
    url = ma.fields.String()
    events = ma.fields.List(ma.fields.String())
    active = ma.fields.Boolean()
    health = ma.fields.String(
        metadata={
            "description": "ok, failing (no success since failing_since) or disabled (see disabled_reason)."
        }
    )
    disabled_reason = ma.fields.String(allow_none=True)
    failing_since = ma.fields.String(allow_none=True)
    created_at = ma.fields.String()
    updated_at = ma.fields.String()


class SubscriptionCreated(Subscription):
    secret = ma.fields.String(metadata={"description": "The whsec_ signing secret. Shown only once."})


class Redeliver(StrictSchema):
    """No fields: ``{}``."""


class PageQuery(StrictSchema):
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = ma.fields.String(validate=validate.Length(max=64))


class DeliveryListQuery(PageQuery):
    status = ma.fields.String(validate=validate.OneOf(DELIVERY_STATUSES))


class SubscriptionPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(Subscription))
    next_cursor = ma.fields.String(allow_none=True)


class Attempt(ma.Schema):
    number = ma.fields.Integer()
    at = ma.fields.String()
    status_code = ma.fields.Integer(allow_none=True)
    duration_ms = ma.fields.Integer()
    error = ma.fields.String(allow_none=True)
    outcome = ma.fields.String(metadata={"description": "delivered, retry, failed or gone (410)."})
    response_excerpt = ma.fields.String(allow_none=True)


class Delivery(ma.Schema):
    id = ma.fields.String()
    event = ma.fields.String()
    event_id = ma.fields.String(metadata={"description": "The webhook-id, the same for every attempt."})
    ticket_id = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"description": "pending, delivered or failed."})
    attempts = ma.fields.Integer()
    last_status_code = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    next_attempt_at = ma.fields.String(allow_none=True)
    created_at = ma.fields.String()
    delivered_at = ma.fields.String(allow_none=True)
    attempt_log = ma.fields.List(ma.fields.Nested(Attempt), metadata={"description": "Single delivery only."})


class DeliveryPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(Delivery))
    next_cursor = ma.fields.String(allow_none=True)


class InboundEnvelope(StrictSchema):
    type = ma.fields.String(required=True, validate=validate.OneOf(INBOUND_TYPES))
    timestamp = ma.fields.String(validate=validate.Length(max=64))
    data = ma.fields.Dict(required=True)


class ClaimBatch(StrictSchema):
    claims = ma.fields.List(
        ma.fields.Nested(TicketCreate), required=True, validate=validate.Length(min=1, max=BATCH_MAX)
    )


class InboundTicket(ma.Schema):
    id = ma.fields.String()
    state = ma.fields.String()
    created = ma.fields.Boolean(
        metadata={"description": "False when the claim was already open (demand +1)."}
    )


class InboundAccepted(ma.Schema):
    tickets = ma.fields.List(ma.fields.Nested(InboundTicket))
