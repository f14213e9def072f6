"""How error answers appear in the OpenAPI document: ``application/problem+json`` (RFC 9457).

flask-smorest documents every error as its own ``{code, status, message}`` JSON; the service
answers with problem details instead (``factcheck.api.problems``), so the document says so.
"""

from __future__ import annotations

import http
from typing import Any

import marshmallow as ma
from apispec import APISpec
from flask_smorest.utils import prepare_response

from factcheck.api.problems import PROBLEM_MIME


class ProblemSchema(ma.Schema):
    """Problem details; members beyond these (``errors``, ``allowed``, ...) depend on the error."""

    class Meta:
        unknown = ma.INCLUDE  # RFC 9457 extension members: documented as additional properties

    type = ma.fields.String(required=True, metadata={"description": "'about:blank' or a problem type URI"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True, metadata={"description": "the HTTP status code"})
    detail = ma.fields.String(required=True)
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={"description": "422 only: the messages for each field that failed validation"},
    )
    allowed = ma.fields.List(
        ma.fields.String(), metadata={"description": "409 only: the actions allowed in the ticket's state"}
    )


def register_problem_responses(spec: APISpec, default_name: str) -> None:
    """Register the named responses flask-smorest refers to (one per status, and the default)."""
    for status in http.HTTPStatus:
        response: dict[str, Any] = {"description": status.phrase}
        if not 100 <= status < 200 and status not in (204, 304):
            response["schema"] = ProblemSchema
        prepare_response(response, spec, PROBLEM_MIME)
        spec.components.response(status.name, response, lazy=True)
    default: dict[str, Any] = {"description": "An error, as problem details", "schema": ProblemSchema}
    prepare_response(default, spec, PROBLEM_MIME)
    spec.components.response(default_name, default, lazy=True)
