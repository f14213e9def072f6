"""The authorisation matrix: every operation of the generated OpenAPI document times every role,
checked with real requests on real objects against the intended table (``intended_access``).

A refused write must also change nothing: the whole database is compared before and after.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask

from factcheck import workflow
from tests.security.calls import request_for
from tests.security.desk import Newsdesk
from tests.security.intended_access import ACTIONS, TABLE, Operation, cases

OPENAPI_METHODS = ("get", "post", "put", "patch", "delete")
DOCUMENTED_PREFIXES = ("/api/", "/hooks/", "/fact-checks")


def documented_operations(app: Flask) -> set[tuple[str, str]]:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in OPENAPI_METHODS
    }


def test_every_operation_of_the_openapi_document_is_classified(desk: Newsdesk) -> None:
    documented = documented_operations(desk.app)

    unclassified = sorted(documented - set(TABLE))
    stale = sorted(set(TABLE) - documented)

    assert not unclassified, f"add these to tests/security/intended_access.py: {unclassified}"
    assert not stale, f"no longer in the OpenAPI document: {stale}"


def test_every_workflow_action_is_classified() -> None:
    assert set(ACTIONS) == set(workflow.ACTIONS)


def test_every_api_route_is_in_the_openapi_document(desk: Newsdesk) -> None:
    """Nothing reachable under the API prefixes escapes the matrix by being undocumented."""
    documented = documented_operations(desk.app)
    routed = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in desk.app.url_map.iter_rules()
        if rule.rule.startswith(DOCUMENTED_PREFIXES) and not rule.rule.endswith("openapi.json")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }

    assert routed - documented == set()


@pytest.mark.parametrize(
    ("operation", "role"), cases(), ids=[f"{operation.label} as {role}" for operation, role in cases()]
)
def test_each_role_gets_the_intended_answer(desk: Newsdesk, operation: Operation, role: str) -> None:
    rule = operation.rule
    expected = rule.expected(role)
    allowed = expected == rule.success
    writes = operation.method != "GET"
    path, body = request_for(desk, operation, fresh=allowed and writes)
    before = desk.fingerprint() if writes and not allowed else None

    response = desk.call(role, operation.method, path, body)

    assert response.status_code == expected, (operation.label, role, response.get_data(as_text=True)[:300])
    if not allowed:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == expected
    if before is not None:
        assert desk.fingerprint() == before, "a refused request changed the database"
