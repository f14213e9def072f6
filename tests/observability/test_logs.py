"""Structured logs in the web process: JSON lines (or readable text) carrying the request id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask

from factcheck import create_app
from factcheck.config import Settings, SettingsError
from factcheck.observability import logs
from tests.support import UserFactory

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture()
def app_without_redis(app: Flask, settings: Settings) -> Iterator[Any]:
    """A second app on the test database whose Redis is down: intake still answers, and logs why
    the job could not be queued. ``app`` (the fixture) empties the database afterwards."""

    def make(**overrides: Any) -> Flask:
        broken = create_app(replace(settings, redis_url=UNREACHABLE_REDIS, **overrides))
        made.append(broken)
        return broken

    made: list[Flask] = []
    yield make
    for broken in made:
        broken.extensions["factcheck.engine"].dispose()
    logs.configure()  # back to the suite's own settings' format


def submit(app: Flask, token: str, request_id: str) -> None:
    response = app.test_client().post(
        "/api/v1/tickets",
        json={"claim": "The metro carried a billion riders in 2025."},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id},
    )
    assert response.status_code == 201, response.get_json()


def test_lines_written_during_a_request_are_json_with_its_request_id(
    app_without_redis: Any, users: UserFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    token = users.token_for("editor")
    broken = app_without_redis(log_format="json")
    capsys.readouterr()

    submit(broken, token, "intake-9f2")

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    warnings = [line for line in lines if line["level"] == "WARNING"]
    assert any("could not enqueue collection" in line["message"] for line in warnings), lines
    for line in lines:
        assert {"timestamp", "level", "logger", "message", "request_id", "job_id"} <= line.keys()
        assert line["request_id"] == "intake-9f2"
        assert line["job_id"] is None
    assert all(line["logger"].startswith("factcheck.") for line in warnings)


def test_text_lines_name_the_request_id(
    app_without_redis: Any, users: UserFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    token = users.token_for("editor")
    broken = app_without_redis(log_format="text")
    capsys.readouterr()

    submit(broken, token, "intake-text-1")

    lines = [line for line in capsys.readouterr().err.splitlines() if "could not enqueue collection" in line]
    assert lines and all(" WARNING factcheck." in line and "[req=intake-text-1]" in line for line in lines)


def test_configuring_twice_keeps_one_service_handler() -> None:
    logs.configure("json")
    logs.configure("text")

    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logs.ServiceHandler)]
    assert len(handlers) == 1
    assert isinstance(handlers[0].formatter, logs.TextFormatter)
    logs.configure()


def logged_lines(*messages: tuple[str, dict[str, Any] | None]) -> list[dict[str, Any]]:
    """Log each message (with its ``extra``) through a JSON service handler; the lines, parsed."""
    stream = io.StringIO()
    logs.configure("json", stream=stream)
    try:
        for message, extra in messages:
            logging.getLogger("factcheck.test").warning(message, extra=extra)
    finally:
        logs.configure()
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_lines_outside_any_request_or_job_carry_empty_ids() -> None:
    [line] = logged_lines(("between requests", None))

    assert line["message"] == "between requests"
    assert (line["request_id"], line["job_id"], line["level"], line["logger"]) == (
        None,
        None,
        "WARNING",
        "factcheck.test",
    )


def test_a_record_bringing_its_own_ids_keeps_them_and_logging_does_not_fail() -> None:
    """RQ logs a failing job with ``extra={"job_id": ...}``: a record factory adding the same
    attribute would make that call raise, and the work-horse die without recording the failure."""
    [line] = logged_lines(("job failed", {"job_id": "collect-1", "queue": "collect"}))

    assert (line["job_id"], line["queue"], line["request_id"]) == ("collect-1", "collect", None)


@pytest.mark.parametrize(
    ("name", "value"),
    [("LOG_FORMAT", "xml"), ("LOG_FORMAT", "JSON "), ("LOG_LEVEL", "loud"), ("LOG_LEVEL", "")],
)
def test_bad_log_settings_fail_at_start(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"FACTCHECK_{name}"):
        Settings.from_env({f"FACTCHECK_{name}": value})


def test_log_level_is_case_insensitive() -> None:
    assert Settings.from_env({"FACTCHECK_LOG_LEVEL": "warning"}).log_level == "warning"
