"""Marshmallow schemas: request validation and the OpenAPI description of responses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from marshmallow import RAISE, validate

from factcheck.models import ROLES, STANCES
from factcheck.workflow import STATES


class JsonBoolean(ma.fields.Boolean):
    """Only JSON ``true``/``false``: not 1, "yes" or "true"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class WholeMatch(validate.Regexp):
    """``Regexp`` that must match the whole value. Write the pattern for ECMA 262, the regex dialect
    of the OpenAPI document it appears in: end it with ``$``, not Python's ``\\Z``; a trailing
    newline, which ``re.match`` lets through before a ``$``, fails all the same."""

    def __call__(self, value: Any) -> Any:
        if self.regex.fullmatch(value) is None:
            raise ma.ValidationError(self._format_error(value))
        return value


class StrictSchema(ma.Schema):
    """Unknown fields are an error (422), never silently dropped; so is text no column can store."""

    class Meta:
        unknown = RAISE

    @ma.pre_load
    def _reject_unstorable_text(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, Mapping):
            errors = {
                str(name): [UNSTORABLE_TEXT]
                for name, value in data.items()
                if _holds_unstorable_text(name) or _holds_unstorable_text(value)
            }
            if errors:
                raise ma.ValidationError(errors)
        return data


UNSTORABLE_TEXT = "Must not contain NUL characters or unpaired surrogates."


def _holds_unstorable_text(value: Any) -> bool:
    """True if any string in ``value`` has a NUL (PostgreSQL refuses it) or is not valid Unicode.

    Iterative, so a deeply nested body cannot exhaust the stack.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item or not _is_utf8_encodable(item):
                return True
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


def _is_utf8_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class TicketCreate(StrictSchema):
    claim = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    speaker = ma.fields.String(allow_none=True, validate=validate.Length(max=500))
    claim_date = ma.fields.Date(allow_none=True)
    source_url = ma.fields.Url(allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=2048))
    language = ma.fields.String(
        validate=[validate.Length(max=16), WholeMatch(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    )
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
    pinned = JsonBoolean()


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
    request_id = ma.fields.String(
        allow_none=True, metadata={"description": "X-Request-ID of the request behind it"}
    )
    job_id = ma.fields.String(
        allow_none=True, metadata={"description": "the job that wrote it, if a job did"}
    )


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
    query = ma.fields.String(allow_none=True, metadata={"description": "What the source was asked"})
    source_version = ma.fields.String(
        allow_none=True, metadata={"description": "Version of what was retrieved (revision, ETag, hash)"}
    )


class ArchivedCopy(ma.Schema):
    content_sha256 = ma.fields.String()
    url = ma.fields.String(allow_none=True)
    content_type = ma.fields.String(allow_none=True)
    text = ma.fields.String()
    saved_at = ma.fields.String()


class ReferenceList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(Reference))
