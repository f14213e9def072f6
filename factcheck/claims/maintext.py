"""An article's main text: from plain text, from HTML (trafilatura), or fetched from a URL
through the SSRF-safe client. Markup never gets through: scripts and styles are dropped,
only text is kept."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import httpx
import trafilatura

from factcheck.config import Settings
from factcheck.references import safe_http

_BLANK_LINES = re.compile(r"\n\s*\n+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
MIN_LETTER_SHARE = 0.5
"""Below this share of letters among non-space characters, input is not prose (binary junk)."""


class ArticleInputError(Exception):
    """The article cannot be read; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field


@dataclass(frozen=True)
class MainText:
    text: str
    title: str | None = None
    published: date | None = None
    """A publication date found in the page, if any."""


def from_text(text: str) -> MainText:
    """Plain text as given, with line endings unified and NULs (which PostgreSQL cannot store)
    dropped; rejects text that is not prose."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    check_prose(text, "text")
    return MainText(text=text)


def from_html(html: str | bytes, field: str = "html") -> MainText:
    """The main text of an HTML page, one paragraph per block; headline and date if found."""
    document = trafilatura.bare_extraction(
        html, include_comments=False, include_tables=False, with_metadata=True, favor_recall=True
    )
    text = getattr(document, "text", None) or ""
    if not text.strip():
        text = trafilatura.html2txt(html) or ""
    if not text.strip():
        raise ArticleInputError(422, "No readable main text was found in the HTML.", field)
    text = "\n\n".join(line.strip() for line in text.splitlines() if line.strip())
    check_prose(text, field)
    title = getattr(document, "title", None)
    return MainText(text=text, title=title or None, published=_iso_date(getattr(document, "date", None)))


def fetch(url: str, settings: Settings) -> MainText:
    """Fetch ``url`` (public addresses only, redirects checked too) and extract its main text.

    A refused destination is the client's mistake (422); a page that cannot be had is the
    other server's (502).
    """
    policy = safe_http.policy_from_settings(settings)
    try:
        with safe_http.SafeClient(
            policy, timeout=settings.article_fetch_timeout, follow_redirects=True
        ) as client:
            response = client.request("GET", url, max_bytes=settings.article_fetch_max_bytes)
    except safe_http.BlockedDestination as exc:
        raise ArticleInputError(422, f"This URL may not be fetched: {exc}", "url") from exc
    except safe_http.ResponseTooLarge as exc:
        raise ArticleInputError(502, f"The page is too large: {exc}", "url") from exc
    except httpx.HTTPError as exc:
        raise ArticleInputError(
            502, f"The page could not be fetched: {type(exc).__name__}: {exc}", "url"
        ) from exc
    if response.status_code >= 400:
        raise ArticleInputError(502, f"The page answered HTTP {response.status_code}.", "url")
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type.startswith("text/plain"):
        return from_text(response.content.decode("utf-8", errors="replace"))
    if content_type and "html" not in content_type and "xml" not in content_type:
        raise ArticleInputError(502, f"The page is {content_type}, not HTML or text.", "url")
    return from_html(response.content, "url")


def check_prose(text: str, field: str) -> None:
    """Reject empty text and binary junk: control characters or too few letters."""
    visible = [char for char in text if not char.isspace()]
    if not visible:
        raise ArticleInputError(422, "The article text is empty.", field)
    if len(_CONTROL.findall(text)) > max(3, len(text) // 1000):
        raise ArticleInputError(422, "The article text contains binary data, not prose.", field)
    letters = sum(1 for char in visible if unicodedata.category(char).startswith("L"))
    if letters / len(visible) < MIN_LETTER_SHARE:
        raise ArticleInputError(422, "The article text does not look like prose (too few letters).", field)


def normalise_paragraphs(text: str) -> str:
    """Paragraphs separated by exactly one blank line (for hashing the content)."""
    return _BLANK_LINES.sub("\n\n", text.strip())


def _iso_date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
