"""Marshmallow schemas of the rating-scale and publication endpoints (requests and OpenAPI)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from factcheck.api.schemas import StrictSchema, WholeMatch

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class RatingBody(StrictSchema):
    slug = ma.fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=50),
            WholeMatch(SLUG_PATTERN, error="Lower-case letters, digits and single hyphens."),
        ],
    )
    label = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = ma.fields.String(load_default="", validate=validate.Length(max=2000))
    value = ma.fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=-1000, max=1000)
    )

    @ma.validates("label")
    def _label_not_blank(self, value: str, **_kwargs: Any) -> None:
        if not value.strip():
            raise ma.ValidationError("Must not be blank.")


class RatingScaleBody(StrictSchema):
    """The whole scale, in display order; it replaces the scale in force."""

    ratings = ma.fields.List(
        ma.fields.Nested(RatingBody), required=True, validate=validate.Length(min=1, max=50)
    )

    @ma.validates_schema
    def _one_to_one(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """Each slug once, and each number names one rating (the text↔number mapping is public)."""
        ratings = data.get("ratings") or []
        slugs = [rating["slug"] for rating in ratings]
        values = [rating["value"] for rating in ratings if rating["value"] is not None]
        errors = []
        if len(set(slugs)) != len(slugs):
            errors.append("Each slug may appear only once.")
        if len(set(values)) != len(values):
            errors.append("Each number may belong to only one rating.")
        if errors:
            raise ma.ValidationError(errors, field_name="ratings")


class FactCheckListQuery(StrictSchema):
    rating = ma.fields.String(validate=validate.Length(min=1, max=50))
    speaker = ma.fields.String(validate=validate.Length(min=1, max=500))
    since = ma.fields.Date(metadata={"description": "First published on or after this day (UTC)."})
    until = ma.fields.Date(metadata={"description": "First published on or before this day (UTC)."})
    q = ma.fields.String(
        validate=validate.Length(min=1, max=500), metadata={"description": "Words in the claim or summary."}
    )
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = ma.fields.String(validate=validate.Length(max=500))


# Response schemas: used for the OpenAPI document only (representations are built as dicts).
class Rating(ma.Schema):
    slug = ma.fields.String()
    label = ma.fields.String()
    description = ma.fields.String()
    value = ma.fields.Integer(allow_none=True)


class RatingScale(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(Rating))
    best = ma.fields.Integer(allow_none=True)
    worst = ma.fields.Integer(allow_none=True)


class FactCheckSummary(ma.Schema):
    id = ma.fields.String(metadata={"description": "The ticket id."})
    slug = ma.fields.String()
    url = ma.fields.String()
    claim = ma.fields.String()
    speaker = ma.fields.String(allow_none=True)
    claim_date = ma.fields.Date(allow_none=True)
    language = ma.fields.String()
    rating = ma.fields.String()
    rating_label = ma.fields.String()
    rating_value = ma.fields.Integer(allow_none=True)
    summary = ma.fields.String()
    version = ma.fields.Integer()
    kind = ma.fields.String()
    under_review = ma.fields.Boolean()
    published_at = ma.fields.String()
    modified_at = ma.fields.String()


class FactCheckPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(FactCheckSummary))
    next_cursor = ma.fields.String(allow_none=True)


class ClaimReview(ma.Schema):
    """schema.org ClaimReview (JSON-LD); see https://schema.org/ClaimReview."""

    class Meta:
        unknown = ma.INCLUDE
