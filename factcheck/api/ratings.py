"""Rating scale endpoints: read it (anyone signed in), replace it (admins)."""

from __future__ import annotations

from typing import Any

from flask import Response
from sqlalchemy.exc import IntegrityError

from factcheck import db, ratings
from factcheck.api import publication_schemas as schemas
from factcheck.api.problems import Problem
from factcheck.api.writes import api_blueprint, commit, idempotent, json_response, require_user
from factcheck.models import Rating

blp = api_blueprint("ratings", __name__, "The rating scale verdicts are given on")


def scale_dict(scale: list[Rating]) -> dict[str, Any]:
    bounds = ratings.numeric_bounds(scale)
    return {
        "items": [
            {"slug": r.slug, "label": r.label, "description": r.description, "value": r.value} for r in scale
        ],
        "worst": bounds[0] if bounds else None,
        "best": bounds[1] if bounds else None,
    }


@blp.route("/ratings", methods=["GET"])
@blp.alt_response(200, schema=schemas.RatingScale)
def get_scale() -> Response:
    require_user()
    return json_response(scale_dict(ratings.scale(db.session())))


@blp.route("/ratings", methods=["PUT"])
@blp.arguments(schemas.RatingScaleBody())
@blp.alt_response(200, schema=schemas.RatingScale, description="The new scale, in force at once")
@blp.alt_response(409, description="Ratings that published or pending verdicts use cannot be removed")
@idempotent
def put_scale(data: dict[str, Any]) -> Response:
    """Replace the whole scale (admins). A rating kept by slug is edited in place."""
    require_user("admin")
    session = db.session()
    specs = [
        ratings.RatingSpec(
            slug=item["slug"],
            label=item["label"].strip(),
            value=item["value"],
            description=item["description"].strip(),
        )
        for item in data["ratings"]
    ]
    try:
        scale = ratings.replace_scale(session, specs)
    except ratings.RatingsInUse as exc:
        raise Problem(
            409,
            "Published fact-checks or verdicts awaiting publication use these ratings: "
            + ", ".join(exc.slugs),
            title="Conflict",
            in_use=exc.slugs,
        ) from exc
    except IntegrityError as exc:  # another admin replaced the scale at the same moment
        raise Problem(409, "The scale was changed at the same time; retry.", title="Conflict") from exc
    return commit(scale_dict(scale), 200)
