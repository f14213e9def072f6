"""Mass assignment: fields a client may not set (``state``, ``id``, ``version``, ``published_at``,
``created_by``, ``role`` ...) added to an otherwise valid JSON body never change anything. Every
JSON write of the OpenAPI document answers 422 problem+json naming each such field (StrictSchema
rejects unknown fields), at the top level and in nested objects, and the database is unchanged.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.security.calls import request_for
from tests.security.desk import Newsdesk
from tests.security.intended_access import ACTION, INTEGRATION, Operation, operations

SERVER_OWNED = (
    "id",
    "state",
    "version",
    "published_at",
    "created_at",
    "updated_at",
    "created_by",
    "created_by_id",
    "role",
    "user_id",
    "assignee_id",
    "researcher_id",
    "demand",
    "origin",
    "verdict",
    "publication",
    "secret",
    "active",
    "collection",
    "checkworthiness",
)
"""Fields of the representations (or of the rows behind them) that only the service sets."""
OPEN_VOCABULARY = {"claimreviews"}
"""Lists whose items are outside documents kept as sent (ClaimReview JSON-LD has an open vocabulary)."""
WRITES = [
    op for op in operations() if op.method in ("POST", "PUT", "PATCH") and op.action in (None, "publish")
]
"""Every write, the actions route once (all actions share its body schema)."""


def body_schema(document: dict[str, Any], operation: Operation) -> dict[str, Any] | None:
    """The JSON schema of the operation's request body in the OpenAPI document, if it has one."""
    item = document["paths"][operation.path][operation.method.lower()]
    content = item.get("requestBody", {}).get("content", {}).get("application/json")
    return None if content is None else resolved(document, content["schema"])


def resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def field_schema(document: dict[str, Any], schema: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    """The schema of the objects in field ``name`` (itself an object, or a list of them)."""
    spec = (schema or {}).get("properties", {}).get(name)
    if spec is None:
        return None
    spec = resolved(document, spec)
    return resolved(document, spec["items"]) if "items" in spec else spec


def extras_for(schema: dict[str, Any] | None) -> dict[str, Any]:
    """Every server-owned field that is not a real field of this body, with a plausible value."""
    own = set((schema or {}).get("properties", {}))
    values: dict[str, Any] = {
        "version": 99,
        "demand": 1000,
        "active": False,
        "published_at": "2020-01-01T00:00:00Z",
    }
    return {name: values.get(name, "published") for name in SERVER_OWNED if name not in own}


def nested_objects(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(field, object)`` for the first object of each list of objects, and each object value."""
    found = []
    for name, value in body.items():
        if name in OPEN_VOCABULARY:
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            found.append((name, value[0]))
        elif isinstance(value, dict):
            found.append((name, value))
    return found


def caller(operation: Operation) -> str:
    return INTEGRATION if operation.rule.least == INTEGRATION else "admin"


@pytest.fixture(scope="module")
def document(desk: Newsdesk) -> dict[str, Any]:
    body: dict[str, Any] = desk.client.get("/api/v1/openapi.json").get_json()
    return body


@pytest.mark.parametrize("operation", WRITES, ids=[op.label for op in WRITES])
def test_server_owned_fields_are_refused_and_change_nothing(
    desk: Newsdesk, document: dict[str, Any], operation: Operation
) -> None:
    path, valid = request_for(desk, operation, fresh=False)
    assert valid is not None, f"{operation.label} takes a JSON body"
    schema = body_schema(document, operation)
    extras = extras_for(schema)
    assert extras, "every body schema leaves some server-owned field out"
    attempts: list[tuple[str | None, dict[str, Any], dict[str, Any]]] = [(None, {**valid, **extras}, extras)]
    for name, _nested in nested_objects(valid):
        forged = copy.deepcopy(valid)
        target = forged[name][0] if isinstance(forged[name], list) else forged[name]
        inner = extras_for(field_schema(document, schema, name))
        target.update(inner)
        attempts.append((name, forged, inner))
    before = desk.fingerprint()

    for where, body, extras in attempts:
        response = desk.call(caller(operation), operation.method, path, body)

        assert response.status_code == 422, (where, response.get_data(as_text=True)[:300])
        assert response.mimetype == "application/problem+json"
        errors = response.get_json()["errors"]
        named = errors if where is None else errors[where]
        if isinstance(named, dict) and set(named) <= {"0"}:  # a list item's errors are keyed by index
            named = named.get("0", named)
        assert set(extras) <= set(named), (where, sorted(set(extras) - set(named)))
    assert desk.fingerprint() == before


def test_every_json_write_of_the_openapi_document_is_covered(
    desk: Newsdesk, document: dict[str, Any]
) -> None:
    takes_json = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method, spec in item.items()
        if isinstance(spec, dict) and "application/json" in spec.get("requestBody", {}).get("content", {})
    }

    assert takes_json <= {(op.method, op.path) for op in WRITES}
    assert ("POST", ACTION) in takes_json
