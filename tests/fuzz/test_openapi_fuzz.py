"""Schemathesis sends generated requests to every operation of /api/v1/openapi.json, in-process
through WSGI against the real database and Redis, signed in as an admin: no answer may be a
5xx, and every answer must match the document (status code, content type, body schema).

FACTCHECK_FUZZ_CASES (default 2000) bounds the generated cases of one run, spread evenly over
the operations. By default generation is derandomized, so CI sends the same requests every
run; FACTCHECK_FUZZ_SEED=<int> (or ``random``) explores instead (``make fuzz``).
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import TestResponse

from tests.fuzz.seed import Known
from tests.support import ApiClient
from tests.webhooks.helpers import Sender

OPENAPI_PATH = "/api/v1/openapi.json"
HOOK_PATH = "/hooks/v1/{integration}"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ_CASES = int(os.environ.get("FACTCHECK_FUZZ_CASES", "2000"))
_SEED_SETTING = os.environ.get("FACTCHECK_FUZZ_SEED", "")
FUZZ_SEED = random.SystemRandom().getrandbits(64) if _SEED_SETTING == "random" else int(_SEED_SETTING or 0)
"""0: derandomized (the same cases every run)."""


def fuzz_config(operations: int) -> schemathesis.Config:
    """Cases spread over the operations; derandomized unless a seed is asked for."""
    return schemathesis.Config.from_dict(
        {
            **({"seed": FUZZ_SEED} if FUZZ_SEED else {}),
            # Hypothesis' health checks time data generation: on a loaded CI machine they would flake.
            "suppress-health-check": ["all"],
            "generation": {
                "max-examples": max(1, FUZZ_CASES // operations),
                "deterministic": not FUZZ_SEED,
                "database": "none",
                # The admin's token goes with every request: cases that only drop or garble it
                # would spend the budget on 401s (tested in tests/web/test_authz.py and others).
                "with-security-parameters": False,
            },
        }
    )


@pytest.fixture()
def api_schema(app: Flask, admin: ApiClient, known: Known) -> BaseSchema:
    operations = sum(1 for _ in schemathesis.openapi.from_wsgi(OPENAPI_PATH, app).get_all_operations())
    schema = schemathesis.openapi.from_wsgi(OPENAPI_PATH, app, config=fuzz_config(operations))

    @schema.hook("flatmap_path_parameters")  # type: ignore[untyped-decorator]
    def with_known_ids(_context: Any, path_parameters: dict[str, Any]) -> Any:
        """Keep the generated values, or put real ids in their place (most of the time)."""
        if not path_parameters:
            return st.just(path_parameters)
        choices = {name: known.values.get(name, []) for name in path_parameters}
        swapped = st.fixed_dictionaries(
            {
                name: st.sampled_from(values) if values else st.just(path_parameters[name])
                for name, values in choices.items()
            }
        )
        return st.one_of(st.just(path_parameters), swapped, swapped, swapped)

    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_every_operation_answers_as_documented_and_never_5xx(
    case: Any, admin: ApiClient, known: Known, client: FlaskClient
) -> None:
    try:
        signed = signed_hook_call(case, client, known) if case.operation.path == HOOK_PATH else None
        if signed is not None:
            case.validate_response(signed, checks=CHECKS)
        else:
            case.call_and_validate(headers={"Authorization": f"Bearer {admin.token}"}, checks=CHECKS)
    except Exception as failure:
        failure.add_note(f"Generated with FACTCHECK_FUZZ_SEED={FUZZ_SEED or ''} (empty: derandomized).")
        raise


def signed_hook_call(case: Any, client: FlaskClient, known: Known) -> TestResponse | None:
    """Send a case for a real integration signed with its secret, so that the fuzzed body gets
    past the signature check to validation and intake (None: not a real one, or not UTF-8,
    which Standard Webhooks cannot sign; such cases go out as generated)."""
    name = case.path_parameters.get("integration", "")
    if name not in known.hook_secrets:
        return None
    request = case.as_transport_kwargs()
    body = json.dumps(request.pop("json")).encode() if "json" in request else request.pop("data", None) or b""
    body = body.encode() if isinstance(body, str) else body
    try:
        body.decode()
    except UnicodeDecodeError:
        return None
    signature = Sender(client, name, known.hook_secrets[name]).headers(body)
    return client.open(data=body, headers={**request.pop("headers"), **signature}, **request)
