"""Import earlier fact-checks as ClaimReview records (schema.org JSON-LD), keyed by review URL.

Accepts ClaimReview objects as publishers embed them: alone, in a list, or inside ``@graph``.
Service functions flush; the API request or the CLI command commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from factcheck.models import ClaimReviewRecord
from factcheck.tickets.intake import claim_key

MAX_ERRORS_REPORTED = 20


class NotAClaimReview(ValueError):
    """The object lacks what a usable ClaimReview needs (type, url, claimReviewed)."""


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "skipped": self.skipped,
            "errors": self.errors,
        }


def flatten(document: Any) -> Iterator[Any]:
    """Every object of a JSON-LD document: lists and ``@graph`` are opened, one level deep each."""
    if isinstance(document, list):
        for item in document:
            yield from flatten(item)
    elif isinstance(document, dict) and isinstance(document.get("@graph"), list):
        yield from flatten(document["@graph"])
    else:
        yield document


def parse_file(content: str) -> list[Any]:
    """A JSON-LD file (one document) or JSONL (one object a line)."""
    stripped = content.strip()
    if not stripped:
        return []
    try:
        return list(flatten(json.loads(stripped)))
    except json.JSONDecodeError:
        return [item for line in stripped.splitlines() if line.strip() for item in flatten(json.loads(line))]


def _text(value: Any, limit: int) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, list) and value:
        return _text(value[0], limit)
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        return None
    return value.strip()[:limit]


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _types(item: dict[str, Any]) -> set[str]:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).removeprefix("http://schema.org/").removeprefix("https://schema.org/") for k in kinds}


def fields_of(item: Any) -> dict[str, Any]:
    """The columns of a ``ClaimReviewRecord`` from one JSON-LD object, or NotAClaimReview."""
    if not isinstance(item, dict) or "ClaimReview" not in _types(item):
        raise NotAClaimReview("not a ClaimReview object")
    url, claim = _text(item.get("url"), 2048), _text(item.get("claimReviewed"), 20_000)
    if url is None or not url.startswith(("http://", "https://")):
        raise NotAClaimReview("url (http or https) is required")
    if claim is None:
        raise NotAClaimReview("claimReviewed is required")
    rating = _object(item.get("reviewRating"))
    reviewed = _object(item.get("itemReviewed"))
    value = rating.get("ratingValue")
    try:
        rating_value = float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        rating_value = None
    return {
        "url": url,
        "claim": claim,
        "claim_key": claim_key(claim),
        "claimant": _text(reviewed.get("author"), 500),
        "publisher": _text(item.get("author"), 500) or _text(item.get("publisher"), 500),
        "rating": _text(rating.get("alternateName"), 200) or _text(rating.get("name"), 200),
        "rating_value": rating_value,
        "language": _text(item.get("inLanguage"), 16),
        "date_published": _date(item.get("datePublished")),
        "raw": item,
    }


def import_claimreviews(session: Session, items: Iterable[Any]) -> ImportReport:
    """Insert new reviews, update changed ones (same ``url``), skip unchanged or unusable ones."""
    report = ImportReport()
    pending: dict[str, ClaimReviewRecord] = {}
    for index, item in enumerate(items):
        try:
            values = fields_of(item)
        except NotAClaimReview as exc:
            report.skipped += 1
            if len(report.errors) < MAX_ERRORS_REPORTED:
                report.errors.append({"index": index, "error": str(exc)})
            continue
        record = pending.get(values["url"]) or session.scalar(
            select(ClaimReviewRecord).where(ClaimReviewRecord.url == values["url"])
        )
        if record is None:
            record = ClaimReviewRecord(**values)
            session.add(record)
            report.imported += 1
        elif record.raw == values["raw"]:
            report.skipped += 1
        else:
            for name, value in values.items():
                setattr(record, name, value)
            report.updated += 1
        pending[values["url"]] = record
    session.flush()
    return report
