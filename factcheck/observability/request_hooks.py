"""Per-request hooks: the request id (bound for logs, echoed in ``X-Request-ID``) and the one
latency observation each request makes."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from factcheck.observability import context, metrics

UNMATCHED_ROUTE = "unmatched"
"""The route label of requests no URL rule matched (404, 405): raw paths would be unbounded."""


def init_app(app: Flask) -> None:
    """Register first, so that every other hook and every error answer runs under the request id."""
    app.before_request(_begin)
    app.after_request(_finish)
    app.teardown_request(_end)


def _begin() -> None:
    g.request_started = time.perf_counter()
    g.request_id = context.accept_request_id(request.headers.get(context.REQUEST_ID_HEADER))
    context.bind(request=g.request_id)


def _finish(response: Response) -> Response:
    request_id = g.get("request_id") or context.accept_request_id(None)
    response.headers[context.REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    if started is not None:
        rule = request.url_rule
        route = rule.rule if rule is not None else UNMATCHED_ROUTE
        metrics.observe_http(route, request.method, response.status_code, time.perf_counter() - started)
    return response


def _end(_error: BaseException | None) -> None:
    context.clear()
