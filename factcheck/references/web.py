"""The ``web`` source: the pages a claim points to, fetched safely and saved.

The ticket's ``source_url`` and the URLs written in the claim are fetched through the
SSRF-safe client (public addresses only unless allow-listed, checked at every connection and
redirect; at most 3 redirects, ``web_max_bytes`` decoded, ``web_timeout`` seconds each). The
main text is extracted with trafilatura and kept whole as the saved copy (with its SHA-256),
so the evidence survives the page changing or disappearing.
"""

from __future__ import annotations

import re
from datetime import datetime

import httpx

from factcheck.config import Settings
from factcheck.references import fetch
from factcheck.references.extract import best_passage, extract_html
from factcheck.references.safe_http import SafeResponse
from factcheck.references.sources import Candidate, ClaimQuery, Source, SourceSkipped

_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'()\[\]]+", re.IGNORECASE)
HTML_TYPES = ("text/html", "application/xhtml+xml")


class Unreadable(Exception):
    """The page was fetched but holds no text we can use."""


def urls_of(query: ClaimQuery, limit: int) -> list[str]:
    """The ticket's source URL, then URLs in the claim text, without repeats."""
    found = [query.source_url] if query.source_url else []
    found += [url.rstrip(".,;:!?") for url in _URL_IN_TEXT.findall(query.claim)]
    return list(dict.fromkeys(found))[:limit]


def search(query: ClaimQuery, settings: Settings) -> list[Candidate]:
    urls = urls_of(query, settings.web_max_urls)
    if not urls:
        raise SourceSkipped("no URL on the ticket or in the claim")
    candidates, errors = [], []
    for url in urls:
        try:
            candidates.append(fetch_page(url, query, settings))
        except (httpx.HTTPError, fetch.SourceHTTPError, Unreadable) as exc:
            errors.append(f"{url}: {type(exc).__name__}: {exc}")
    if errors and not candidates:
        raise fetch.SourceHTTPError("; ".join(errors))
    return candidates


def fetch_page(url: str, query: ClaimQuery, settings: Settings) -> Candidate:
    """Fetch one page (redirects followed), extract its main text and pick the best passage."""
    with fetch.client(settings, settings.web_timeout, follow_redirects=True) as http:
        response = http.request(
            "GET",
            url,
            headers={"Accept": "text/html,application/xhtml+xml,text/plain;q=0.8"},
            max_bytes=settings.web_max_bytes,
            total_timeout=settings.web_timeout,
        )
    if response.status_code != 200:
        raise fetch.SourceHTTPError(f"HTTP {response.status_code}")
    title, site, published, text = _text(response)
    passage, overlap = best_passage(text, query.claim)
    return Candidate(
        source="web",
        title=title,
        url=response.url,
        passage=passage,
        query=url,
        source_score=overlap,
        publisher=site or httpx.URL(response.url).host,
        published_at=published,
        source_version=response.headers.get("ETag") or response.headers.get("Last-Modified"),
        archived_text=text,
        content_type=response.headers.get("Content-Type", "")[:200] or None,
        extra={"fetched_bytes": len(response.content)},
    )


def _text(response: SafeResponse) -> tuple[str | None, str | None, datetime | None, str]:
    kind = response.headers.get("Content-Type", "text/html").split(";")[0].strip().lower()
    if kind in HTML_TYPES:
        extracted = extract_html(response.content, response.url)
        if extracted is None:
            raise Unreadable("no main text found in the page")
        return extracted.title, extracted.site, extracted.published_at, extracted.text
    if kind == "text/plain":
        text = response.content.decode(_charset(response) or "utf-8", errors="replace")
        text = text.replace("\x00", "").strip()  # NUL is the one character PostgreSQL cannot store
        if not text:
            raise Unreadable("the page is empty")
        return None, None, None, text
    raise Unreadable(f"unsupported content type {kind!r}")


def _charset(response: SafeResponse) -> str | None:
    match = re.search(r"charset=([\w-]+)", response.headers.get("Content-Type", ""), re.IGNORECASE)
    return match.group(1) if match else None


SOURCE = Source(
    "web",
    trust=0.6,
    search=search,
    timeout=lambda settings: settings.web_timeout * settings.web_max_urls + 1,
)
