"""Earlier fact-checks from other publishers: bulk import of ClaimReview JSON-LD."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response
from marshmallow import validate

from factcheck import db
from factcheck.api.schemas import StrictSchema
from factcheck.api.writes import api_blueprint, commit, idempotent, require_user
from factcheck.references.claimreviews import flatten, import_claimreviews

blp = api_blueprint("claimreviews", __name__, "Earlier fact-checks (ClaimReview import)")


class ClaimReviewBatch(StrictSchema):
    claimreviews = ma.fields.List(ma.fields.Dict(), required=True, validate=validate.Length(min=1, max=1000))


class ImportResult(ma.Schema):
    imported = ma.fields.Integer()
    updated = ma.fields.Integer()
    skipped = ma.fields.Integer()
    errors = ma.fields.List(ma.fields.Dict(), metadata={"description": "Why objects were skipped (first 20)"})


@blp.route("/claimreviews:batch", methods=["POST"])
@blp.arguments(ClaimReviewBatch())
@blp.alt_response(201, schema=ImportResult)
@idempotent
def import_batch(data: dict[str, Any]) -> Response:
    """Import ClaimReview objects keyed by ``url``: new ones are added, changed ones updated."""
    require_user("editor")
    report = import_claimreviews(db.session(), list(flatten(data["claimreviews"])))
    return commit(report.as_dict(), 201)
