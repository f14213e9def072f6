"""The JSON API (/api/v1): blueprints, OpenAPI generation and error mapping."""

from __future__ import annotations

from flask import Flask, Response
from flask_smorest import Api

from factcheck.api import (
    articles,
    claimreviews,
    library,
    problem_docs,
    problems,
    publications,
    ratings,
    references,
    tickets,
    webhooks,
)
from factcheck.publishing import pages
from factcheck.tickets import effects
from factcheck.workflow import WorkflowError

BLUEPRINTS = (
    tickets.blp,
    references.blp,
    ratings.blp,
    publications.blp,
    publications.public_blp,
    pages.blp,
    webhooks.blp,
    webhooks.hooks_blp,
    library.blp,
    claimreviews.blp,
    articles.blp,
)


class ProblemApi(Api):
    """flask-smorest's Api, answering (and documenting) every HTTP error as problem+json."""

    def handle_http_exception(self, error: Exception) -> Response:
        return problems.from_http_exception(error)  # type: ignore[arg-type]

    def _register_responses(self) -> None:
        # flask-smorest's hook (called once by Api.__init__) that registers the error responses
        problem_docs.register_problem_responses(self.spec, self.DEFAULT_ERROR_RESPONSE_NAME)


def init_app(app: Flask) -> None:
    app.config.update(
        API_TITLE="factcheck",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = ProblemApi(
        app,
        spec_kwargs={
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_error_handler(WorkflowError, _workflow_error)
    app.register_error_handler(effects.Forbidden, _forbidden)
    app.register_error_handler(effects.Invalid, _invalid)


def _workflow_error(error: WorkflowError) -> Response:
    titles = {409: "Conflict", 412: "Precondition Failed"}
    return problems.problem_response(
        error.status, titles.get(error.status, "Error"), error.detail, **error.extra
    )


def _forbidden(error: effects.Forbidden) -> Response:
    return problems.problem_response(403, "Forbidden", error.detail)


def _invalid(error: effects.Invalid) -> Response:
    return problems.problem_response(422, "Unprocessable Entity", str(error), errors=error.errors)
