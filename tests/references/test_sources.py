"""Each network source against a real local server that speaks the remote API's format."""

from __future__ import annotations

import resource
import time
from dataclasses import replace

import httpx
import pytest

from factcheck.config import Settings
from factcheck.references import factchecktools, fetch, web, wikipedia
from factcheck.references.safe_http import ResponseTooLarge
from factcheck.references.sources import ClaimQuery, SourceSkipped
from tests.references import servers

CLAIM = "Greenland lost 532 billion tonnes of ice in 2019."
QUERY = ClaimQuery(ticket_id="t", claim=CLAIM)


def test_wikipedia_searches_then_takes_the_best_passage_of_each_article(
    settings: Settings, remote: servers.LocalServer
) -> None:
    remote.requests.clear()
    found = wikipedia.search(QUERY, settings)
    assert found[0].title == "Greenland ice sheet"
    assert found[0].passage.startswith("In 2019 the ice sheet lost 532 billion tonnes")
    assert found[0].url == "https://en.wikipedia.org/wiki/Greenland_ice_sheet"
    assert found[0].source_version == "revision:1187654321"
    calls = [query for path, query in remote.requests if path == "/w/api.php"]
    assert (
        calls[0]["list"] == "search" and calls[0]["format"] == "json" and "greenland" in calls[0]["srsearch"]
    )
    assert calls[1]["prop"] == "extracts|info" and calls[1]["explaintext"] == "1"


def test_wikipedia_api_errors_and_language_are_honoured(
    settings: Settings, remote: servers.LocalServer
) -> None:
    german = replace(
        settings, wikipedia_api_url=f"{remote.base}/{{language}}/api.php", wikipedia_language="de"
    )
    assert wikipedia.api_url(german) == f"{remote.base}/de/api.php"
    with pytest.raises(fetch.SourceHTTPError, match="HTTP 404"):
        wikipedia.search(QUERY, german)


def test_factchecktools_reviews_become_candidates_and_close_ones_matches(settings: Settings) -> None:
    found = factchecktools.search(QUERY, settings)
    assert [c.url for c in found] == [
        "https://checks.example/greenland-ice-2019",
        "https://other.example/antarctica",
    ]
    first, second = found
    assert first.publisher == "Example Checks" and "Rating: True" in first.passage
    assert (
        first.match is not None and first.match["kind"] == "claimreview" and first.match["rating"] == "True"
    )
    assert second.match is None and second.publisher == "other.example"
    assert first.published_at is not None and first.published_at.year == 2020


def test_factchecktools_without_a_key_is_skipped_and_a_bad_key_is_an_error(settings: Settings) -> None:
    with pytest.raises(SourceSkipped):
        factchecktools.search(QUERY, replace(settings, factchecktools_api_key=""))
    with pytest.raises(fetch.SourceHTTPError, match="HTTP 400"):
        factchecktools.search(QUERY, replace(settings, factchecktools_api_key="wrong"))


def test_web_follows_up_to_three_redirects(settings: Settings, remote: servers.LocalServer) -> None:
    page = web.fetch_page(f"{remote.base}/hop3", QUERY, settings)
    assert page.url == f"{remote.base}/article" and "532 billion" in page.passage
    with pytest.raises(httpx.TooManyRedirects):
        web.fetch_page(f"{remote.base}/hop4", QUERY, settings)


def test_web_takes_plain_text_and_refuses_other_types(
    settings: Settings, remote: servers.LocalServer
) -> None:
    assert web.fetch_page(f"{remote.base}/plain", QUERY, settings).archived_text == CLAIM
    with pytest.raises(web.Unreadable, match="application/pdf"):
        web.fetch_page(f"{remote.base}/pdf", QUERY, settings)
    with pytest.raises(fetch.SourceHTTPError, match="404"):
        web.fetch_page(f"{remote.base}/gone", QUERY, settings)


def test_web_stops_a_body_that_trickles_in_at_the_total_timeout(
    settings: Settings, remote: servers.LocalServer
) -> None:
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        web.fetch_page(f"{remote.base}/slow", QUERY, replace(settings, web_timeout=1.0))
    assert time.monotonic() - started < 3


def test_web_refuses_huge_bodies_and_gzip_bombs_without_holding_them(
    settings: Settings, remote: servers.LocalServer
) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ResponseTooLarge):
        web.fetch_page(f"{remote.base}/huge", QUERY, settings)
    with pytest.raises(ResponseTooLarge):
        web.fetch_page(f"{remote.base}/gzip-bomb", QUERY, settings)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 30, f"peak memory grew by {grown_mb:.0f} MB (the bomb inflates to 60 MB)"


def test_web_reads_a_compressed_page_the_server_sent_anyway(
    settings: Settings, remote: servers.LocalServer
) -> None:
    page = web.fetch_page(f"{remote.base}/gzipped", QUERY, settings)
    assert "532 billion" in page.passage and page.extra["fetched_bytes"] == len(servers.ARTICLE)


def test_web_needs_a_url_and_collects_urls_from_the_claim() -> None:
    with pytest.raises(SourceSkipped):
        web.search(QUERY, Settings())
    query = ClaimQuery(
        "t", "See https://a.example/x, and http://b.example/y.", source_url="https://s.example/"
    )
    assert web.urls_of(query, 3) == ["https://s.example/", "https://a.example/x", "http://b.example/y"]
    assert web.urls_of(query, 1) == ["https://s.example/"]
