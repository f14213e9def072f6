"""Reference library endpoints: add trusted documents (one or a batch) and search their passages."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, current_app
from marshmallow import validate

from factcheck import db
from factcheck.api.schemas import StrictSchema
from factcheck.api.writes import api_blueprint, commit, idempotent, json_response, require_user
from factcheck.config import Settings
from factcheck.references import documents

blp = api_blueprint("library", __name__, "Reference library: trusted documents and their search")
MAX_BATCH = 1000


class DocumentCreate(StrictSchema):
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=1000))
    text = ma.fields.String(required=True, validate=validate.Length(min=1))
    url = ma.fields.Url(allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=2048))
    publisher = ma.fields.String(allow_none=True, validate=validate.Length(max=500))
    published_at = ma.fields.AwareDateTime(allow_none=True, default_timezone=None)

    @ma.validates("title")
    def _title_not_blank(self, value: str, **_kwargs: Any) -> None:
        if not value.strip():
            raise ma.ValidationError("Must not be blank.")


class DocumentBatch(StrictSchema):
    documents = ma.fields.List(
        ma.fields.Nested(DocumentCreate), required=True, validate=validate.Length(min=1, max=MAX_BATCH)
    )


class SearchQuery(StrictSchema):
    q = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    limit = ma.fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


class DocumentCreated(ma.Schema):
    id = ma.fields.String()
    passages = ma.fields.Integer()
    created = ma.fields.Boolean()


class DocumentBatchCreated(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(DocumentCreated))


class SearchHit(ma.Schema):
    document_id = ma.fields.String()
    title = ma.fields.String()
    url = ma.fields.String(allow_none=True)
    passage = ma.fields.String()
    score = ma.fields.Float()


class SearchResults(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SearchHit))


def _settings() -> Settings:
    settings: Settings = current_app.extensions["factcheck.settings"]
    return settings


def _add(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    new = [documents.NewDocument.from_dict(item) for item in items]
    stored = documents.add_documents(db.session(), new, _settings().library_passage_words)
    return [{"id": doc.id, "passages": doc.passage_count, "created": created} for doc, created in stored]


@blp.route("/library/documents", methods=["POST"])
@blp.arguments(DocumentCreate())
@blp.alt_response(
    201, schema=DocumentCreated, description="Stored (or already in the library: created false)"
)
@idempotent
def add_document(data: dict[str, Any]) -> Response:
    require_user("editor")
    return commit(_add([data])[0], 201)


@blp.route("/library/documents:batch", methods=["POST"])
@blp.arguments(DocumentBatch())
@blp.alt_response(201, schema=DocumentBatchCreated)
@idempotent
def add_documents(data: dict[str, Any]) -> Response:
    require_user("editor")
    return commit({"items": _add(data["documents"])}, 201)


@blp.route("/library/search", methods=["GET"])
@blp.arguments(SearchQuery(), location="query")
@blp.alt_response(200, schema=SearchResults)
def search(args: dict[str, Any]) -> Response:
    require_user()
    hits = documents.search(db.session(), args["q"], args["limit"], _settings().library_candidates)
    return json_response({"items": [hit.as_dict() for hit in hits]})
