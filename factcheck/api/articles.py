"""Article endpoints: post an article (text, HTML or a URL), get it back with its claims."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Response, current_app

from factcheck import db, queue
from factcheck.api import article_schemas
from factcheck.api.problems import Problem
from factcheck.api.writes import api_blueprint, commit, idempotent, json_response, require_user
from factcheck.claims import articles, maintext
from factcheck.config import Settings
from factcheck.models import Article

blp = api_blueprint("articles", __name__, "Articles: claims extracted, attributed, scored and ticketed")


@blp.route("/articles", methods=["POST"])
@blp.arguments(article_schemas.ArticleCreate())
@blp.alt_response(201, schema=article_schemas.Article, description="Article stored; tickets opened")
@blp.alt_response(200, schema=article_schemas.Article, description="The same article was posted before")
@idempotent
def create_article(data: dict[str, Any]) -> Response:
    actor = require_user()
    settings: Settings = current_app.extensions["factcheck.settings"]
    try:
        submission = articles.ArticleSubmission(
            main=_main_text(data, settings),
            input_kind=next(kind for kind in article_schemas.INPUTS if data.get(kind) is not None),
            title=data.get("title"),
            source_url=data.get("source_url") or data.get("url"),
            published_at=data.get("published_at"),
        )
        outcome = articles.submit_article(db.session(), submission, actor, settings)
    except maintext.ArticleInputError as error:
        raise _problem(error) from error
    body = articles.article_dict(outcome.article)
    after = [partial(queue.enqueue_collection, ticket_id) for ticket_id in outcome.new_ticket_ids]
    headers = {"Location": body["links"]["self"]}
    return commit(body, 201 if outcome.created else 200, headers, after_commit=after)


@blp.route("/articles/<string:article_id>", methods=["GET"])
@blp.alt_response(200, schema=article_schemas.Article)
def get_article(article_id: str) -> Response:
    require_user()
    article = (
        db.session().get(Article, article_id) if len(article_id) <= 64 and article_id.isprintable() else None
    )
    if article is None:
        raise Problem(404, f"No article {article_id!r}.", title="Not Found")
    return json_response(articles.article_dict(article))


def _main_text(data: dict[str, Any], settings: Settings) -> maintext.MainText:
    if data.get("url") is not None:
        return maintext.fetch(data["url"], settings)
    if data.get("html") is not None:
        return maintext.from_html(data["html"])
    return maintext.from_text(data["text"])


def _problem(error: maintext.ArticleInputError) -> Problem:
    titles = {413: "Content Too Large", 422: "Unprocessable Entity", 502: "Bad Gateway"}
    extra: dict[str, Any] = (
        {"errors": {error.field: [error.detail]}} if error.field and error.status == 422 else {}
    )
    return Problem(error.status, error.detail, title=titles.get(error.status, "Error"), **extra)
