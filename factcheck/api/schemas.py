"""Marshmallow schemas: request validation and the OpenAPI description of responses."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import RAISE, validate

from factcheck.models import ROLES, STANCES
from factcheck.workflow import STATES


class StrictSchema(ma.Schema):
    """Unknown fields are an error (422), never silently dropped."""

    class Meta:
        unknown = RAISE


class TicketCreate(StrictSchema):
    claim = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    speaker = ma.fields.String(allow_none=True, validate=validate.Length(max=500))
    claim_date = ma.fields.Date(allow_none=True)
    source_url = ma.fields.Url(allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=2048))
    language = ma.fields.String(validate=validate.Regexp(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"))
    tags = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=50)
    )
    priority = ma.fields.Integer(validate=validate.Range(min=-1000, max=1000), strict=True)
    external_id = ma.fields.String(allow_none=True, validate=validate.Length(max=500))

    @ma.validates("claim")
    def _claim_not_blank(self, value: str, **_kwargs: Any) -> None:
        if not value.strip():
            raise ma.ValidationError("Must not be blank.")


class TicketListQuery(StrictSchema):
    state = ma.fields.String(validate=validate.OneOf(STATES))
    assignee = ma.fields.String(validate=validate.Length(max=320))
    q = ma.fields.String(validate=validate.Length(min=1, max=500))
    tag = ma.fields.String(validate=validate.Length(min=1, max=100))
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = ma.fields.String(validate=validate.Length(max=500))


class ActionBody(StrictSchema):
    """Every action's fields; each action reads only its own (API.md lists them)."""

    assignee = ma.fields.String(allow_none=True)
    reason = ma.fields.String()
    duplicate_of = ma.fields.String()
    rating = ma.fields.String()
    summary = ma.fields.String()
    note = ma.fields.String()
    kind = ma.fields.String(validate=validate.OneOf(("update", "correction")))


class VerdictBody(StrictSchema):
    rating = ma.fields.String(required=True)
    summary = ma.fields.String(required=True, validate=validate.Length(min=1, max=20000))


class ReferenceCreate(StrictSchema):
    url = ma.fields.Url(required=True, schemes={"http", "https"}, validate=validate.Length(max=2048))
    title = ma.fields.String(validate=validate.Length(max=1000))
    passage = ma.fields.String(validate=validate.Length(max=20000))
    stance = ma.fields.String(validate=validate.OneOf(STANCES))


class ReferencePatch(StrictSchema):
    stance = ma.fields.String(validate=validate.OneOf(STANCES))
    pinned = ma.fields.Boolean(truthy={True}, falsy={False})


# Response schemas: used for the OpenAPI document only (representations are built as dicts).
class User(ma.Schema):
    id = ma.fields.String()
    email = ma.fields.String()
    name = ma.fields.String()
    role = ma.fields.String(validate=validate.OneOf(ROLES))


class Collection(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(("queued", "running", "done", "failed")))
    progress = ma.fields.Float()
    sources = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Dict())


class Ticket(ma.Schema):
    id = ma.fields.String()
    claim = ma.fields.String()
    speaker = ma.fields.String(allow_none=True)
    claim_date = ma.fields.Date(allow_none=True)
    source_url = ma.fields.String(allow_none=True)
    language = ma.fields.String()
    tags = ma.fields.List(ma.fields.String())
    state = ma.fields.String(validate=validate.OneOf(STATES))
    version = ma.fields.Integer()
    priority = ma.fields.Integer()
    demand = ma.fields.Integer()
    checkworthiness = ma.fields.Float(allow_none=True)
    origin = ma.fields.Dict()
    assignee = ma.fields.Nested(User, allow_none=True)
    duplicate_of = ma.fields.String(allow_none=True)
    collection = ma.fields.Nested(Collection)
    references_count = ma.fields.Integer()
    matches = ma.fields.List(ma.fields.Dict())
    verdict = ma.fields.Dict(allow_none=True)
    publication = ma.fields.Dict(allow_none=True)
    created_at = ma.fields.String()
    updated_at = ma.fields.String()
    links = ma.fields.Dict()


class TicketPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(Ticket))
    next_cursor = ma.fields.String(allow_none=True)


class Event(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.String()
    actor = ma.fields.String()
    action = ma.fields.String()
    from_state = ma.fields.String(allow_none=True)
    to_state = ma.fields.String(allow_none=True)
    data = ma.fields.Dict()


class EventList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(Event))


class Reference(ma.Schema):
    id = ma.fields.String()
    source = ma.fields.String()
    title = ma.fields.String(allow_none=True)
    url = ma.fields.String(allow_none=True)
    publisher = ma.fields.String(allow_none=True)
    published_at = ma.fields.String(allow_none=True)
    passage = ma.fields.String(allow_none=True)
    score = ma.fields.Float(allow_none=True)
    rank = ma.fields.Integer(allow_none=True)
    stance = ma.fields.String(validate=validate.OneOf(STANCES))
    pinned = ma.fields.Boolean()
    added_by = ma.fields.String()
    retrieved_at = ma.fields.String()
    content_sha256 = ma.fields.String(allow_none=True)
    document_id = ma.fields.String(allow_none=True)


class ReferenceList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(Reference))
