"""Reading articles from a file for ``factcheck articles import``: plain text, HTML, or JSONL
(one ``{text|html|url, title?, source_url?, published_at?}`` object a line)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from factcheck.claims import maintext
from factcheck.claims.articles import ArticleSubmission
from factcheck.config import Settings

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})


def read_articles(
    path: Path, settings: Settings
) -> Iterator[tuple[str, ArticleSubmission | maintext.ArticleInputError]]:
    """``(label, submission or the error that made it unreadable)`` for each article in the file."""
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    yield f"{path.name}:{number}", _from_json_line(line, settings)
        return
    raw = path.read_bytes()
    kind = "html" if path.suffix.lower() in HTML_SUFFIXES or raw.lstrip()[:1] == b"<" else "text"
    try:
        main = maintext.from_html(raw) if kind == "html" else maintext.from_text(raw.decode("utf-8"))
    except UnicodeDecodeError:
        yield path.name, maintext.ArticleInputError(422, "The file is not UTF-8 text.")
        return
    except maintext.ArticleInputError as error:
        yield path.name, error
        return
    yield path.name, ArticleSubmission(main=main, input_kind=kind)


def _from_json_line(line: str, settings: Settings) -> ArticleSubmission | maintext.ArticleInputError:
    try:
        item: Any = json.loads(line)
        if not isinstance(item, dict):
            raise ValueError("not a JSON object")
        kinds = [kind for kind in ("text", "html", "url") if isinstance(item.get(kind), str)]
        if len(kinds) != 1:
            raise ValueError("needs exactly one of text, html or url")
        kind = kinds[0]
        if kind == "url":
            main = maintext.fetch(item["url"], settings)
        elif kind == "html":
            main = maintext.from_html(item["html"])
        else:
            main = maintext.from_text(item["text"])
        return ArticleSubmission(
            main=main,
            input_kind=kind,
            title=_string(item.get("title")),
            source_url=_string(item.get("source_url")) or _string(item.get("url")),
            published_at=_datetime(item.get("published_at")),
        )
    except maintext.ArticleInputError as error:
        return error
    except ValueError as error:  # JSON errors are ValueErrors too
        return maintext.ArticleInputError(422, str(error))


def _string(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
