"""The ``wikipedia`` source: MediaWiki Action API search, then the plain-text extract of each hit.

Two documented calls: ``action=query&list=search`` (titles and page ids), then per page
``action=query&prop=extracts|info&explaintext=1`` (text, ``lastrevid``, ``fullurl``). The
passage of each article that best fits the claim becomes a candidate; the revision id is
its source version.
"""

from __future__ import annotations

from typing import Any

from factcheck.config import Settings
from factcheck.references import fetch
from factcheck.references.extract import best_passage
from factcheck.references.sources import Candidate, ClaimQuery, Source
from factcheck.references.text import query_words

SEARCH_WORDS = 8


def api_url(settings: Settings) -> str:
    return settings.wikipedia_api_url.replace("{language}", settings.wikipedia_language)


def search(query: ClaimQuery, settings: Settings) -> list[Candidate]:
    words = query_words(query.claim)
    phrase = " ".join(words[:SEARCH_WORDS])
    hits = _search(settings, phrase) if phrase else []
    if not hits and len(words) > 3:
        phrase = " ".join(words[:3])
        hits = _search(settings, phrase)
    candidates = []
    for rank, hit in enumerate(hits[: settings.wikipedia_results]):
        page = _page(settings, int(hit["pageid"]))
        if page is None or not page.get("extract"):
            continue
        passage, overlap = best_passage(page["extract"], query.claim)
        candidates.append(
            Candidate(
                source="wikipedia",
                title=page.get("title") or hit.get("title"),
                url=page.get("fullurl"),
                passage=passage,
                query=phrase,
                source_score=overlap + 1.0 / (rank + 2),
                publisher=f"Wikipedia ({settings.wikipedia_language})",
                source_version=f"revision:{page['lastrevid']}" if page.get("lastrevid") else None,
            )
        )
    return candidates


def _search(settings: Settings, phrase: str) -> list[dict[str, Any]]:
    params = {
        "action": "query",
        "list": "search",
        "srsearch": phrase,
        "srlimit": settings.wikipedia_results,
        "srprop": "",
        "format": "json",
        "formatversion": "2",
    }
    data = fetch.get_json(settings, api_url(settings), params, settings.wikipedia_timeout)
    _raise_api_error(data)
    hits = data.get("query", {}).get("search", [])
    return [hit for hit in hits if isinstance(hit, dict) and "pageid" in hit]


def _page(settings: Settings, page_id: int) -> dict[str, Any] | None:
    params = {
        "action": "query",
        "prop": "extracts|info",
        "pageids": page_id,
        "explaintext": "1",
        "exsectionformat": "plain",
        "inprop": "url",
        "format": "json",
        "formatversion": "2",
    }
    data = fetch.get_json(settings, api_url(settings), params, settings.wikipedia_timeout)
    _raise_api_error(data)
    pages = data.get("query", {}).get("pages", [])
    if isinstance(pages, dict):  # formatversion=1 answers with an object keyed by page id
        pages = list(pages.values())
    return next((page for page in pages if isinstance(page, dict) and not page.get("missing")), None)


def _raise_api_error(data: Any) -> None:
    if not isinstance(data, dict):
        raise fetch.SourceHTTPError("unexpected answer from the MediaWiki API")
    if "error" in data:
        error = data["error"]
        raise fetch.SourceHTTPError(f"MediaWiki API error: {error.get('code')}: {error.get('info')}")


SOURCE = Source("wikipedia", trust=0.7, search=search, timeout=lambda settings: settings.wikipedia_timeout)
