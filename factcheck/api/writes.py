"""Write plumbing shared by API endpoints: JSON body checks, Idempotency-Key, the commit point."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, ParamSpec

from flask import Response, g, json, request
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest

from factcheck import db, queue
from factcheck.actors import Actor
from factcheck.api.problems import Problem
from factcheck.models import IdempotencyRecord

P = ParamSpec("P")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def api_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    """A /api/v1 blueprint whose every route needs a signed-in user and, for writes, a JSON body."""
    blueprint = Blueprint(name, import_name, url_prefix="/api/v1", description=description)
    blueprint.before_request(_authenticate)
    blueprint.before_request(check_json_body)
    return blueprint


def _authenticate() -> None:
    require_user()


def check_json_body() -> None:
    """Before every API write: the body must be a JSON object sent as application/json."""
    if request.method not in BODY_METHODS:
        return
    if request.mimetype != "application/json":
        raise Problem(415, "Send the body as application/json.", title="Unsupported Media Type")
    try:
        body = request.get_json(force=False, silent=False, cache=True)
    except (BadRequest, RecursionError) as exc:  # json raises RecursionError on very deep nesting
        raise Problem(400, "The body is not valid UTF-8 JSON.", title="Malformed JSON") from exc
    if not isinstance(body, dict):
        raise Problem(400, "The body must be a JSON object.", title="Malformed JSON")


def require_user(role: str = "checker") -> Actor:
    """The authenticated person, or 401/403."""
    if not current_user.is_authenticated:
        raise Problem(401, "Send a valid API token as 'Authorization: Bearer <token>'.", title="Unauthorized")
    actor = Actor.for_user(current_user._get_current_object())
    if not actor.has_role(role):
        raise Problem(403, f"This needs the {role} role.", title="Forbidden")
    return actor


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def idempotent(view: Callable[P, Response]) -> Callable[P, Response]:
    """Honour ``Idempotency-Key``: a repeat of the same request returns the first response."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 255 or not key.isprintable():
            raise Problem(400, "Idempotency-Key must be 1 to 255 printable characters.", title="Bad Request")
        actor = require_user()
        fingerprint = hashlib.sha256(
            b"\n".join([request.method.encode(), request.path.encode(), request.get_data()])
        ).hexdigest()
        g.idempotency = (actor.user_id, key, fingerprint)
        stored = _stored(actor.user_id, key)
        if stored is not None:
            return _replay(stored, fingerprint)
        return view(*args, **kwargs)

    return wrapper


def commit(
    body: dict[str, Any],
    status: int,
    headers: dict[str, str] | None = None,
    after_commit: Iterable[Callable[[], object]] = (),
) -> Response:
    """The commit point of an API write: store the idempotent response, commit, then side effects."""
    session = db.session()
    idempotency = g.get("idempotency")
    if idempotency is not None:
        user_id, key, fingerprint = idempotency
        session.add(
            IdempotencyRecord(
                user_id=user_id,
                key=key,
                request_fingerprint=fingerprint,
                status_code=status,
                response_body=body,
            )
        )
    with queue.batched():  # the side effects' Redis writes go out together, after the commit
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            stored = _stored(idempotency[0], idempotency[1]) if idempotency else None
            if stored is None:
                raise
            return _replay(stored, idempotency[2])
        for side_effect in after_commit:
            side_effect()
    return json_response(body, status, headers)


def _stored(user_id: str | None, key: str) -> IdempotencyRecord | None:
    return db.session().scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
    )


def _replay(stored: IdempotencyRecord, fingerprint: str) -> Response:
    if stored.request_fingerprint != fingerprint:
        raise Problem(409, "This Idempotency-Key was used for a different request.", title="Conflict")
    headers = {"Idempotent-Replayed": "true"}
    if "version" in stored.response_body:
        headers["ETag"] = etag(stored.response_body["version"])
    return json_response(stored.response_body, stored.status_code, headers)


def etag(version: int) -> str:
    return f'"v{version}"'
