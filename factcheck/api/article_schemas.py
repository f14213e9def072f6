"""Marshmallow schemas of the Articles endpoints (request validation and OpenAPI)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import marshmallow as ma
from marshmallow import validate

from factcheck.api.schemas import StrictSchema

INPUTS = ("text", "html", "url")


class ArticleCreate(StrictSchema):
    """Exactly one of ``text``, ``html`` or ``url``; the body limit caps their size (413)."""

    text = ma.fields.String()
    html = ma.fields.String()
    url = ma.fields.Url(schemes={"http", "https"}, validate=validate.Length(max=2048))
    title = ma.fields.String(allow_none=True, validate=validate.Length(max=1000))
    source_url = ma.fields.Url(allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=2048))
    published_at = ma.fields.AwareDateTime(allow_none=True, default_timezone=UTC)

    @ma.validates_schema
    def _exactly_one_input(self, data: dict[str, Any], **_kwargs: Any) -> None:
        given = [name for name in INPUTS if data.get(name) is not None]
        if len(given) != 1:
            message = "Send exactly one of text, html or url."
            raise ma.ValidationError({name: [message] for name in (given or INPUTS)})
        value = data[given[0]]
        if given[0] != "url" and not value.strip():
            raise ma.ValidationError({given[0]: ["Must not be blank."]})


class ArticleClaim(ma.Schema):
    sentence = ma.fields.String()
    start = ma.fields.Integer()
    end = ma.fields.Integer()
    part = ma.fields.String(validate=validate.OneOf(("title", "body")))
    speaker = ma.fields.String(allow_none=True)
    claim_date = ma.fields.Date(allow_none=True)
    checkworthiness = ma.fields.Float()
    reasons = ma.fields.List(ma.fields.Dict())
    ticket_id = ma.fields.String(allow_none=True)


class Article(ma.Schema):
    id = ma.fields.String()
    title = ma.fields.String(allow_none=True)
    source_url = ma.fields.String(allow_none=True)
    published_at = ma.fields.String(allow_none=True)
    created_at = ma.fields.String()
    claims = ma.fields.List(ma.fields.Nested(ArticleClaim))
    links = ma.fields.Dict()
