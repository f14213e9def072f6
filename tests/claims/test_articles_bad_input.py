"""Bad article input never opens a ticket and never answers 500: empty text, binary junk,
oversized bodies, HTML with scripts, blocked, unreachable and slow URLs."""

from __future__ import annotations

import dataclasses
import socket
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from factcheck import create_app, db
from factcheck.config import Settings
from factcheck.models import Article, Ticket
from tests.claims.conftest import LocalServer
from tests.claims.news import HEADLINE, WIRE_STORY
from tests.support import ApiClient, UserFactory

ARTICLES = "/api/v1/articles"
SCRIPTED_PAGE = f"""<!doctype html><html><head><title>{HEADLINE}</title>
<script>window.stolen = document.cookie; alert("owned")</script><style>body {{ color: red }}</style></head>
<body><nav>Home | World | Sport</nav><article><h1>{HEADLINE}</h1>
{"".join(f"<p>{paragraph}</p>" for paragraph in WIRE_STORY.split(chr(10) + chr(10)))}
<p>Click <a href="javascript:alert(1)" onclick="steal()">here</a>.</p>
<script>document.write("<p>The army said 500 people were injured.</p>")</script>
<img src=x onerror="alert(2)"></article><footer>Copyright Wire</footer></body></html>"""


def nothing_stored(app: Flask) -> bool:
    with app.app_context():
        session = db.session()
        return not session.scalar(select(func.count()).select_from(Ticket)) and not session.scalar(
            select(func.count()).select_from(Article)
        )


def assert_problem(response: Any, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["detail"]
    if field is not None:
        assert field in body["errors"], body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \n\n  "}, "text"),
        ({}, "text"),
        ({"text": "The army said 80 died.", "html": "<p>x</p>"}, "text"),
        ({"text": "\x00\x01\x02\x03 binary"}, "text"),
        ({"text": "".join(chr(0x2580 + i % 64) for i in range(3000))}, "text"),  # box drawing junk
        ({"text": "\x07\x08\x0b\x0e\x0f" * 50 + " some words"}, "text"),
        ({"text": "1234 5678 %%%% //// ---- 0x00ff 0xdead 9999 " * 40}, "text"),
        ({"html": "<html><body><script>var x = 1;</script></body></html>"}, "html"),
        ({"url": "file:///etc/passwd"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"text": "The army said 80 died.", "title": 5}, "title"),
        ({"text": "The army said 80 died.", "published_at": "yesterday"}, "published_at"),
        ({"text": "The army said 80 died.", "extra": 1}, "extra"),
    ],
)
def test_unusable_input_is_a_422_with_the_field_and_opens_nothing(
    api: ApiClient, app: Flask, body: dict[str, Any], field: str
) -> None:
    assert_problem(api.post(ARTICLES, json=body), 422, field)
    assert nothing_stored(app)


def test_five_megabytes_of_text_is_refused_with_413(api: ApiClient, app: Flask) -> None:
    response = api.post(ARTICLES, json={"text": "The army said 80 people died. " * 175_000})

    assert_problem(response, 413)
    assert nothing_stored(app)


def test_text_over_the_article_limit_is_refused_with_413(api: ApiClient, app: Flask) -> None:
    response = api.post(ARTICLES, json={"text": "The ministry said 12 soldiers died on Tuesday. " * 1200})

    assert_problem(response, 413)
    assert "limit is 50000" in response.get_json()["detail"]
    assert nothing_stored(app)


def test_html_scripts_are_never_run_nor_stored(api: ApiClient, app: Flask) -> None:
    response = api.post(ARTICLES, json={"html": SCRIPTED_PAGE, "published_at": "2017-04-05T12:00:00Z"})

    assert response.status_code == 201, response.get_json()
    article = response.get_json()
    assert article["title"] == HEADLINE
    with app.app_context():
        stored = db.session().get(Article, article["id"])
        assert stored is not None
        text = stored.text
    for fragment in ("<", "script", "alert", "cookie", "onclick", "onerror", "color: red", "500 people"):
        assert fragment not in text
        assert all(fragment not in claim["sentence"] for claim in article["claims"])
    assert "Russian Foreign Minister Sergei Lavrov said on Wednesday" in text
    lavrov = next(claim for claim in article["claims"] if "rebel depot" in claim["sentence"])
    assert text[lavrov["start"] : lavrov["end"]] == lavrov["sentence"]
    assert lavrov["speaker"] == "Russian Foreign Minister Sergei Lavrov"


def test_a_url_to_this_machine_is_blocked_with_422(
    api: ApiClient, app: Flask, local_server: LocalServer
) -> None:
    url = local_server.serve("/story", SCRIPTED_PAGE)

    for blocked in (url, "http://169.254.169.254/latest/meta-data/", "http://[::1]/"):
        assert_problem(api.post(ARTICLES, json={"url": blocked}), 422, "url")
    assert nothing_stored(app)


@pytest.fixture()
def allowed_client(settings: Settings, users: UserFactory, app: Flask) -> Any:
    """An API client on an app that may fetch from 127.0.0.1 (the admin allow-list)."""
    local = create_app(
        dataclasses.replace(settings, outbound_allow_hosts="127.0.0.1", article_fetch_timeout=0.5)
    )
    local.config["TESTING"] = True
    client: FlaskClient = local.test_client()
    yield ApiClient(client, users.token_for("checker"))
    local.extensions["factcheck.engine"].dispose()


def test_an_allowed_url_is_fetched_and_extracted(
    allowed_client: ApiClient, local_server: LocalServer
) -> None:
    url = local_server.serve("/story", SCRIPTED_PAGE)

    response = allowed_client.post(ARTICLES, json={"url": url})

    assert response.status_code == 201, response.get_json()
    article = response.get_json()
    assert article["source_url"] == url
    assert sum(1 for claim in article["claims"] if claim["ticket_id"]) >= 10


@pytest.mark.parametrize(
    ("path", "setup"),
    [
        ("/slow", lambda server: server.serve("/slow", SCRIPTED_PAGE, delay=2.0)),
        ("/missing", lambda server: None),
        ("/image", lambda server: server.serve("/image", "GIF89a", content_type="image/gif")),
    ],
)
def test_a_slow_missing_or_non_html_page_is_a_502(
    allowed_client: ApiClient, app: Flask, local_server: LocalServer, path: str, setup: Any
) -> None:
    setup(local_server)

    assert_problem(allowed_client.post(ARTICLES, json={"url": local_server.base_url + path}), 502)
    assert nothing_stored(app)


def test_an_unreachable_host_is_a_502(allowed_client: ApiClient, app: Flask) -> None:
    with socket.socket() as probe:  # a port nobody listens on: bound, then closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    assert_problem(allowed_client.post(ARTICLES, json={"url": f"http://127.0.0.1:{port}/story"}), 502)
    assert nothing_stored(app)
