"""Bad input to the tickets API: the exact 4xx as problem+json, and nothing stored. Never a 500."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from werkzeug.test import TestResponse

from factcheck import accounts
from factcheck.db import Base, unit_of_work
from factcheck.models import ApiToken, User
from tests.support import ApiClient, UserFactory, run_jobs

TICKETS = "/api/v1/tickets"
UNKNOWN_ID = "0" * 32
CLAIM = "The river Thames froze over every winter in the 1800s."
WATCHED_TABLES = ("tickets", "ticket_events", "outbox_events", "references", "idempotency_records")

Counts = Callable[[], dict[str, int]]


@pytest.fixture()
def stored_rows(app: Flask) -> Counts:
    """Row counts of the tables a write can touch, read straight from the app's engine."""
    engine = app.extensions["factcheck.engine"]

    def count() -> dict[str, int]:
        with engine.connect() as connection:
            return {
                name: connection.scalar(select(func.count()).select_from(Base.metadata.tables[name]))
                for name in WATCHED_TABLES
            }

    return count


@pytest.fixture()
def triage_ticket(api: ApiClient, app: Flask) -> dict[str, Any]:
    """A ticket whose collection has run, so people can act on it."""
    ticket = api.create_ticket(CLAIM)
    run_jobs(app)
    body: dict[str, Any] = api.get(f"{TICKETS}/{ticket['id']}").get_json()
    assert body["state"] == "triage"
    return body


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
    """The response is RFC 9457 problem+json with this status; returns the body."""
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    assert response.headers["Content-Type"].split(";")[0].strip() == "application/problem+json"
    body: dict[str, Any] = json.loads(response.get_data())
    assert {"type", "title", "status", "detail"} <= body.keys(), body
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# --- the ticket body -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"claim": ""}, "claim", id="empty-claim"),
        pytest.param({"claim": " \t\n\u00a0 "}, "claim", id="whitespace-only-claim"),
        pytest.param({"claim": "x" * 2001}, "claim", id="claim-of-2001-chars"),
        pytest.param({}, "claim", id="missing-claim"),
        pytest.param({"claim": None}, "claim", id="null-claim"),
        pytest.param({"claim": 5}, "claim", id="claim-is-a-number"),
        pytest.param({"claim": ["a claim"]}, "claim", id="claim-is-a-list"),
        pytest.param({"claim": CLAIM, "tags": "x"}, "tags", id="tags-is-a-string"),
        pytest.param({"claim": CLAIM, "tags": [1]}, "tags", id="tags-holds-a-number"),
        pytest.param({"claim": CLAIM, "priority": "high"}, "priority", id="priority-is-a-string"),
        pytest.param({"claim": CLAIM, "priority": 1.5}, "priority", id="priority-is-a-fraction"),
        pytest.param({"claim": CLAIM, "priority": True}, "priority", id="priority-is-a-boolean"),
        pytest.param({"claim": CLAIM, "claim_date": "yesterday"}, "claim_date", id="claim-date-yesterday"),
        pytest.param({"claim": CLAIM, "claim_date": "2026-02-30"}, "claim_date", id="claim-date-no-such-day"),
        pytest.param(
            {"claim": CLAIM, "source_url": "javascript:alert(1)"}, "source_url", id="source-url-javascript"
        ),
        pytest.param({"claim": CLAIM, "language": "english"}, "language", id="language-not-a-tag"),
        pytest.param({"claim": CLAIM, "language": "en\n"}, "language", id="language-trailing-newline"),
        pytest.param(
            {"claim": CLAIM, "language": "en-" + "-".join(["abcdefgh"] * 4)},
            "language",
            id="language-longer-than-the-column",
        ),
        pytest.param({"claim": CLAIM, "colour": "red"}, "colour", id="unknown-field"),
        pytest.param({"claim": "a\x00b"}, "claim", id="nul-byte-in-claim"),
        pytest.param({"claim": CLAIM, "speaker": "\x00"}, "speaker", id="nul-byte-in-speaker"),
        pytest.param({"claim": CLAIM, "tags": ["ok", "b\x00d"]}, "tags", id="nul-byte-in-a-tag"),
        pytest.param({"claim": "\ud800 lone surrogate"}, "claim", id="lone-surrogate-in-claim"),
    ],
)
def test_invalid_ticket_body_is_422_naming_the_field(
    api: ApiClient, stored_rows: Counts, body: dict[str, Any], field: str
) -> None:
    before = stored_rows()
    problem = assert_problem(api.post(TICKETS, json=body), 422)
    assert field in problem["errors"], problem
    assert isinstance(problem["errors"][field], list | dict)
    assert stored_rows() == before


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"claim": ', id="truncated-json"),
        pytest.param(b"{'claim': 'single quotes'}", id="not-json"),
        pytest.param(b"", id="empty-body"),
        pytest.param(b'["The moon is made of cheese."]', id="json-array"),
        pytest.param(b'"The moon is made of cheese."', id="json-string"),
        pytest.param(b"null", id="json-null"),
        pytest.param(b"42", id="json-number"),
        pytest.param(b'{"claim": "caf\xe9 au lait"}', id="invalid-utf8-bytes"),
        pytest.param(b'\xff\xfe{"claim": "x"}', id="utf16-bom-garbage"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="nested-too-deep"),
    ],
)
def test_body_that_is_not_a_json_object_is_400(api: ApiClient, stored_rows: Counts, raw: bytes) -> None:
    before = stored_rows()
    response = api.post(TICKETS, data=raw, headers={"Content-Type": "application/json"})
    assert_problem(response, 400)
    assert stored_rows() == before


@pytest.mark.parametrize(
    "request_kwargs",
    [
        pytest.param({"data": json.dumps({"claim": CLAIM}), "content_type": "text/plain"}, id="text-plain"),
        pytest.param({"data": {"claim": CLAIM}}, id="form-encoded"),
        pytest.param(
            {"data": json.dumps({"claim": CLAIM}), "content_type": "multipart/form-data; boundary=x"},
            id="multipart",
        ),
        pytest.param({"data": json.dumps({"claim": CLAIM})}, id="no-content-type"),
    ],
)
def test_body_not_sent_as_application_json_is_415(
    api: ApiClient, stored_rows: Counts, request_kwargs: dict[str, Any]
) -> None:
    before = stored_rows()
    assert_problem(api.post(TICKETS, **request_kwargs), 415)
    assert stored_rows() == before


def test_body_over_max_content_length_is_413(api: ApiClient, app: Flask, stored_rows: Counts) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    raw = json.dumps({"claim": "x" * limit}).encode()
    assert len(raw) > limit
    before = stored_rows()
    response = api.post(TICKETS, data=raw, headers={"Content-Type": "application/json"})
    assert_problem(response, 413)
    assert stored_rows() == before


# --- the list's query string ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("not-a-cursor", id="garbage"),
        pytest.param("%%%", id="not-base64"),
        pytest.param("caf\u00e9", id="non-ascii"),
        pytest.param(b64('{"a": 1}'), id="json-object"),
        pytest.param(b64('["2026-01-01T00:00:00+00:00", 5]'), id="id-not-a-string"),
        pytest.param(b64('["yesterday", "abc"]'), id="not-a-timestamp"),
        pytest.param(b64('["2026-01-01T00:00:00", "abc"]'), id="naive-timestamp"),
        pytest.param(b64('["2026-01-01T00:00:00+00:00", "a\\u0000b"]'), id="nul-in-id"),
        pytest.param(b64('["0001-01-01T00:00:00+23:59", "abc"]'), id="before-year-one-in-utc"),
        pytest.param(b64('["9999-12-31T23:59:59-23:59", "abc"]'), id="after-year-9999-in-utc"),
        pytest.param(b64('["2026-01-01T00:00:00+00:00", "' + "a" * 200 + '"]'), id="id-too-long"),
    ],
)
def test_cursor_this_service_did_not_issue_is_400(api: ApiClient, cursor: str) -> None:
    api.create_ticket()
    assert_problem(api.get(TICKETS, query_string={"cursor": cursor}), 400)


@pytest.mark.parametrize("limit", ["0", "501", "abc", "-1", "1.5", ""])
def test_limit_outside_1_to_500_is_422(api: ApiClient, limit: str) -> None:
    problem = assert_problem(api.get(TICKETS, query_string={"limit": limit}), 422)
    assert "limit" in problem["errors"]


def test_unknown_state_filter_is_422(api: ApiClient) -> None:
    problem = assert_problem(api.get(TICKETS, query_string={"state": "unknown"}), 422)
    assert "state" in problem["errors"]


# --- unknown objects -----------------------------------------------------------------------------


@pytest.mark.parametrize("ticket_id", [UNKNOWN_ID, "a" * 5000, "abc%00def", "%C3%A9", "..%2F..%2Fetc"])
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("get", "/events", None),
        ("post", "/actions/accept", {}),
        ("get", "/references", None),
        ("post", "/references", {"url": "https://example.org/report"}),
        ("patch", f"/references/{UNKNOWN_ID}", {"stance": "supports"}),
        ("put", "/verdict", {"rating": "false", "summary": "No."}),
    ],
)
def test_unknown_ticket_is_404(
    api: ApiClient,
    stored_rows: Counts,
    ticket_id: str,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    api.create_ticket()
    before = stored_rows()
    send = getattr(api, method)
    path = f"{TICKETS}/{ticket_id}{suffix}"
    response = send(path) if body is None else send(path, json=body)
    assert_problem(response, 404)
    assert stored_rows() == before


@pytest.mark.parametrize("reference_id", [UNKNOWN_ID, "r" * 5000, "a%00b"])
def test_unknown_reference_is_404(api: ApiClient, stored_rows: Counts, reference_id: str) -> None:
    ticket = api.create_ticket()
    before = stored_rows()
    response = api.patch(f"{TICKETS}/{ticket['id']}/references/{reference_id}", json={"pinned": True})
    assert_problem(response, 404)
    assert stored_rows() == before


@pytest.mark.parametrize("action", ["frobnicate", "start_collection", "finish_collection", "ACCEPT"])
def test_unknown_or_system_action_is_404(
    api: ApiClient, stored_rows: Counts, triage_ticket: dict[str, Any], action: str
) -> None:
    before = stored_rows()
    assert_problem(api.act(triage_ticket["id"], action), 404)
    assert stored_rows() == before


def test_unknown_api_path_is_404_problem(api: ApiClient) -> None:
    assert_problem(api.get("/api/v1/no-such-thing"), 404)


# --- workflow preconditions ----------------------------------------------------------------------


def test_action_not_allowed_in_state_is_409_with_allowed_list(
    api: ApiClient, stored_rows: Counts, triage_ticket: dict[str, Any]
) -> None:
    before = stored_rows()
    problem = assert_problem(api.act(triage_ticket["id"], "approve"), 409)
    assert problem["allowed"] == ["accept", "merge", "recollect", "reject"]
    assert stored_rows() == before
    assert api.get(f"{TICKETS}/{triage_ticket['id']}").get_json()["state"] == "triage"


def test_stale_if_match_is_412(api: ApiClient, stored_rows: Counts, triage_ticket: dict[str, Any]) -> None:
    stale = f'"v{triage_ticket["version"] - 1}"'
    before = stored_rows()
    assert_problem(api.act(triage_ticket["id"], "accept", headers={"If-Match": stale}), 412)
    assert stored_rows() == before
    assert api.get(f"{TICKETS}/{triage_ticket['id']}").get_json()["state"] == "triage"


def test_stale_if_match_on_verdict_draft_is_412(
    api: ApiClient, stored_rows: Counts, triage_ticket: dict[str, Any]
) -> None:
    stale = f'"v{triage_ticket["version"] + 1}"'
    before = stored_rows()
    response = api.put(
        f"{TICKETS}/{triage_ticket['id']}/verdict",
        json={"rating": "false", "summary": "It did not."},
        headers={"If-Match": stale},
    )
    assert_problem(response, 412)
    assert stored_rows() == before


@pytest.mark.parametrize(
    "if_match",
    ["garbage", '"vX"', '"v"', "v-1", "\u00b2", "\u0663", "1" * 5000, '"v1", "v2"'],
    ids=["word", "v-letter", "v-only", "negative", "superscript-two", "arabic-three", "5000-digits", "list"],
)
def test_malformed_if_match_is_400(
    api: ApiClient, stored_rows: Counts, triage_ticket: dict[str, Any], if_match: str
) -> None:
    before = stored_rows()
    assert_problem(api.act(triage_ticket["id"], "accept", headers={"If-Match": if_match}), 400)
    assert stored_rows() == before


# --- credentials ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-authorization"),
        pytest.param({"Authorization": "Bearer fct_not-a-real-token"}, id="unknown-token"),
        pytest.param({"Authorization": "Bearer "}, id="empty-bearer"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="basic-scheme"),
        pytest.param({"Authorization": "Bearer " + "x" * 10_000}, id="huge-token"),
    ],
)
def test_missing_or_invalid_token_is_401_with_www_authenticate(
    client: FlaskClient, stored_rows: Counts, headers: dict[str, str]
) -> None:
    before = stored_rows()
    response = client.post(TICKETS, json={"claim": CLAIM}, headers=headers)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(client.get(TICKETS, headers=headers), 401)
    assert stored_rows() == before


def test_revoked_token_is_401(
    client: FlaskClient, app: Flask, users: UserFactory, stored_rows: Counts
) -> None:
    token = users.token_for("editor")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(TICKETS, headers=headers).status_code == 200  # its owner is remembered now
    with app.app_context(), unit_of_work() as session:
        accounts.revoke_token(session, session.scalars(select(ApiToken)).one())
    before = stored_rows()
    assert_problem(client.post(TICKETS, json={"claim": CLAIM}, headers=headers), 401)
    assert_problem(client.get(TICKETS, headers=headers), 401)
    assert stored_rows() == before


def test_token_of_deactivated_user_is_401(
    client: FlaskClient, app: Flask, users: UserFactory, stored_rows: Counts
) -> None:
    user = users.create("editor")
    headers = {"Authorization": f"Bearer {users.token_of(user)}"}
    with app.extensions["factcheck.engine"].begin() as connection:
        connection.execute(update(User).where(User.id == user.id).values(active=False))
    before = stored_rows()
    assert_problem(client.post(TICKETS, json={"claim": CLAIM}, headers=headers), 401)
    assert stored_rows() == before


# --- Idempotency-Key -----------------------------------------------------------------------------


def test_idempotency_key_reused_with_different_body_is_409(api: ApiClient, stored_rows: Counts) -> None:
    headers = {"Idempotency-Key": "intake-42"}
    assert api.post(TICKETS, json={"claim": CLAIM}, headers=headers).status_code == 201
    before = stored_rows()
    response = api.post(TICKETS, json={"claim": "A different claim entirely."}, headers=headers)
    assert_problem(response, 409)
    assert stored_rows() == before


def test_idempotency_key_reused_on_another_path_is_409(
    api: ApiClient, stored_rows: Counts, triage_ticket: dict[str, Any]
) -> None:
    headers = {"Idempotency-Key": "reused"}
    assert api.post(TICKETS, json={"claim": "Another claim."}, headers=headers).status_code == 201
    before = stored_rows()
    response = api.act(triage_ticket["id"], "reject", {"reason": "Opinion."}, headers=headers)
    assert_problem(response, 409)
    assert stored_rows() == before


@pytest.mark.parametrize(
    "key",
    [pytest.param("k" * 256, id="256-chars"), pytest.param("", id="empty"), pytest.param("a\x00b", id="nul")],
)
def test_malformed_idempotency_key_is_400(api: ApiClient, stored_rows: Counts, key: str) -> None:
    before = stored_rows()
    assert_problem(api.post(TICKETS, json={"claim": CLAIM}, headers={"Idempotency-Key": key}), 400)
    assert stored_rows() == before


# --- references ----------------------------------------------------------------------------------


@pytest.fixture()
def reference(api: ApiClient) -> tuple[str, str]:
    """(ticket id, reference id) of a hand-added reference on a fresh ticket."""
    ticket = api.create_ticket()
    response = api.post(f"{TICKETS}/{ticket['id']}/references", json={"url": "https://example.org/a"})
    assert response.status_code == 201, response.get_json()
    return ticket["id"], response.get_json()["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"stance": "maybe"}, "stance", id="stance-not-in-enum"),
        pytest.param({"stance": None}, "stance", id="stance-null"),
        pytest.param({"pinned": "yes"}, "pinned", id="pinned-not-boolean"),
        pytest.param({"url": "https://example.org/b"}, "url", id="url-not-patchable"),
    ],
)
def test_invalid_reference_patch_is_422(
    api: ApiClient, stored_rows: Counts, reference: tuple[str, str], body: dict[str, Any], field: str
) -> None:
    ticket_id, reference_id = reference
    before = stored_rows()
    problem = assert_problem(api.patch(f"{TICKETS}/{ticket_id}/references/{reference_id}", json=body), 422)
    assert field in problem["errors"], problem
    assert stored_rows() == before


def test_reference_patch_with_no_fields_is_422(
    api: ApiClient, stored_rows: Counts, reference: tuple[str, str]
) -> None:
    ticket_id, reference_id = reference
    before = stored_rows()
    problem = assert_problem(api.patch(f"{TICKETS}/{ticket_id}/references/{reference_id}", json={}), 422)
    assert problem["errors"]
    assert stored_rows() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({}, "url", id="missing-url"),
        pytest.param({"url": "ftp://example.org/report.pdf"}, "url", id="url-ftp"),
        pytest.param({"url": "javascript:alert(1)"}, "url", id="url-javascript"),
        pytest.param({"url": "not a url"}, "url", id="url-not-a-url"),
        pytest.param({"url": "https://example.org/a", "stance": "maybe"}, "stance", id="stance-not-in-enum"),
        pytest.param({"url": "https://example.org/a", "title": "t\x00"}, "title", id="nul-in-title"),
        pytest.param({"url": "https://example.org/a", "pinned": True}, "pinned", id="unknown-field"),
    ],
)
def test_invalid_reference_is_422(
    api: ApiClient, stored_rows: Counts, body: dict[str, Any], field: str
) -> None:
    ticket = api.create_ticket()
    before = stored_rows()
    problem = assert_problem(api.post(f"{TICKETS}/{ticket['id']}/references", json=body), 422)
    assert field in problem["errors"], problem
    assert stored_rows() == before


# --- methods -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", TICKETS, {"GET", "POST"}),
        ("put", TICKETS, {"GET", "POST"}),
        ("delete", f"{TICKETS}/{UNKNOWN_ID}", {"GET"}),
        ("get", f"{TICKETS}/{UNKNOWN_ID}/actions/accept", {"POST"}),
    ],
)
def test_wrong_method_is_405_problem_with_allow(
    api: ApiClient, stored_rows: Counts, method: str, path: str, allowed: set[str]
) -> None:
    before = stored_rows()
    response = getattr(api.client, method)(path, headers={"Authorization": f"Bearer {api.token}"})
    assert_problem(response, 405)
    assert allowed <= {name.strip() for name in response.headers["Allow"].split(",")}
    assert stored_rows() == before


# --- nothing is a 500 ----------------------------------------------------------------------------

NASTY_TICKET_BODIES: list[Any] = [
    {"claim": {"nested": {"deeper": [1, {"x": None}]}}},
    {"claim": [[[[[[[[[["deep"]]]]]]]]]]},
    {
        name: None
        for name in (
            "claim",
            "speaker",
            "claim_date",
            "source_url",
            "language",
            "tags",
            "priority",
            "external_id",
        )
    },
    {"claim": CLAIM, "speaker": None, "claim_date": None, "source_url": None, "external_id": None},
    {"claim": CLAIM, "tags": None},
    {"claim": CLAIM, "tags": [None]},
    {"claim": CLAIM, "priority": 10**100},
    {"claim": CLAIM, "priority": -(10**100)},
    {"claim": CLAIM, "priority": 1e308},
    {"claim": 10**400},
    {"claim": "\U0001f600" * 2000},
    {"claim": "\u202eevil right-to-left override\u202c and e\u0301\u0301\u0301 combining marks"},
    {"claim": "\u200b"},
    {"claim": "\ufeffBOM-prefixed claim"},
    {"claim": "NUL\x00in the middle"},
    {"claim": CLAIM, "speaker": "\x00", "external_id": "\x00", "tags": ["\x00"]},
    {"claim": CLAIM, "source_url": "http://example.org/\x00"},
    {"claim": CLAIM, "source_url": "http://" + "a" * 3000 + ".org/"},
    {"claim": CLAIM, "source_url": "https://\u00e9xample.org/\u00e9"},
    {"claim": CLAIM, "tags": ["t"] * 10_000},
    {"claim": CLAIM, "tags": ["t" * 101]},
    {"claim": CLAIM, "language": "x" * 1000},
    {"claim": CLAIM, "claim_date": "0000-01-01"},
    {"claim": CLAIM, "claim_date": "9999-12-31"},
    {"claim": CLAIM, "claim_date": 20260101},
    {"claim": CLAIM, "speaker": "s" * 501},
    {"claim": CLAIM, "external_id": "e" * 501},
    {"\x00": "key with NUL", "claim": CLAIM},
    {"claim\u00e9": CLAIM},
    {"": ""},
]

NASTY_RAW_BODIES: list[bytes] = [
    b'{"claim": "x", "priority": 1e400}',
    b'{"claim": "x", "priority": NaN}',
    b'{"claim": "x", "priority": -Infinity}',
    b'{"claim": "\\ud800"}',
    b'{"claim": "\\udfff\\ud800"}',
    b'{"claim": "ok", "speaker": "\\ud83d"}',
    b'{"claim": "a", "claim": "b"}',
    b'{"claim": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    b'{"claim": "' + b"\\u0000" * 1000 + b'"}',
    b'{"claim": "x"}' + b" " * 10 + b"trailing",
    b"\xef\xbb\xbf" + b'{"claim": "utf-8 BOM before the object"}',
]


def _server_errors(responses: list[tuple[Any, TestResponse]]) -> list[tuple[str, int, str]]:
    return [
        (repr(sent)[:120], response.status_code, response.get_data(as_text=True)[:200])
        for sent, response in responses
        if response.status_code >= 500
    ]


def test_nasty_ticket_bodies_never_cause_a_server_error(api: ApiClient) -> None:
    responses = [(body, api.post(TICKETS, json=body)) for body in NASTY_TICKET_BODIES]
    responses += [
        (raw, api.post(TICKETS, data=raw, headers={"Content-Type": "application/json"}))
        for raw in NASTY_RAW_BODIES
    ]
    assert _server_errors(responses) == []
    for _sent, response in responses:
        if response.status_code >= 400:
            assert_problem(response, response.status_code)


def test_nasty_action_and_reference_bodies_never_cause_a_server_error(
    api: ApiClient, triage_ticket: dict[str, Any]
) -> None:
    ticket_id = triage_ticket["id"]
    nasty_values: list[Any] = [
        None,
        "\x00",
        "a\x00b",
        10**100,
        1e308,
        {"x": [None]},
        ["\x00"],
        "\U0001f600" * 6000,
    ]
    sent: list[tuple[Any, TestResponse]] = []
    for value in nasty_values:
        for action in ("reject", "merge", "accept", "request_changes", "recollect"):
            field = {"reject": "reason", "merge": "duplicate_of", "accept": "assignee"}.get(action, "note")
            sent.append(((action, value), api.act(ticket_id, action, {field: value})))
        sent.append(
            (
                ("verdict", value),
                api.put(f"{TICKETS}/{ticket_id}/verdict", json={"rating": "false", "summary": value}),
            )
        )
        sent.append(
            (
                ("verdict-rating", value),
                api.put(f"{TICKETS}/{ticket_id}/verdict", json={"rating": value, "summary": "s"}),
            )
        )
        for field in ("url", "title", "passage", "stance"):
            body = {"url": "https://example.org/r", field: value}
            sent.append(((field, value), api.post(f"{TICKETS}/{ticket_id}/references", json=body)))
    assert _server_errors(sent) == []


def test_nasty_query_strings_and_paths_never_cause_a_server_error(api: ApiClient) -> None:
    api.create_ticket()
    nasty = ["\x00", "a\x00b", "%", "_", "\\", "'; DROP TABLE tickets; --", "\U0001f600", "x" * 600]
    responses: list[tuple[Any, TestResponse]] = []
    for value in nasty:
        for name in ("q", "tag", "assignee", "state", "cursor", "limit"):
            responses.append(((name, value), api.get(TICKETS, query_string={name: value})))
    for raw_query in ("q=%ED%A0%80", "q=%FF%FE", "tag=%C0%80", "q=a&q=%00", "limit=1&limit=abc", "q"):
        responses.append((raw_query, api.get(TICKETS, query_string=raw_query)))
    for path in ("%00", "a%00b", "%FF%FE", "%ED%A0%80", "\U0001f600", "%2e%2e"):
        responses.append((path, api.get(f"{TICKETS}/{path}")))
        responses.append((path, api.get(f"{TICKETS}/{path}/events")))
        responses.append((path, api.act(path, "accept")))
    assert _server_errors(responses) == []
    for _sent, response in responses:
        if response.status_code >= 400:
            assert_problem(response, response.status_code)


def test_nasty_headers_never_cause_a_server_error(api: ApiClient, triage_ticket: dict[str, Any]) -> None:
    ticket_id = triage_ticket["id"]
    nasty = ["\x00", "\u00e9", "\U0001f600", "*", "W/", '""', "v" * 10_000, " "]
    responses: list[tuple[Any, TestResponse]] = []
    for value in nasty:
        for header in ("If-Match", "If-None-Match", "Idempotency-Key", "Authorization", "Accept"):
            headers = {header: value}
            responses.append(((header, value), api.get(f"{TICKETS}/{ticket_id}", headers=headers)))
            responses.append(
                ((header, value), api.post(TICKETS, json={"claim": f"{header} {value!r}"}, headers=headers))
            )
    assert _server_errors(responses) == []


@pytest.mark.parametrize("value", [1, 0, "true", "yes", None])
def test_pinned_accepts_only_json_booleans(api: ApiClient, app: Flask, value: object) -> None:
    ticket = api.create_ticket("Pinned flags are strict booleans.")
    added = api.post(f"/api/v1/tickets/{ticket['id']}/references", json={"url": "https://example.org/a"})
    response = api.patch(
        f"/api/v1/tickets/{ticket['id']}/references/{added.get_json()['id']}", json={"pinned": value}
    )
    assert response.status_code == 422
    assert "pinned" in response.get_json()["errors"]
