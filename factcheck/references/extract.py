"""Main text of a fetched page (trafilatura), and the passage of a text that best fits a claim."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import trafilatura

from factcheck.references.documents import split_passages
from factcheck.references.text import terms

PASSAGE_WORDS = 90


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str | None
    site: str | None
    published_at: datetime | None


def extract_html(body: bytes | str, url: str) -> Extracted | None:
    """The article text and metadata of an HTML page; None when no main text is found."""
    raw = trafilatura.extract(
        body,
        url=url,
        output_format="json",
        with_metadata=True,
        include_comments=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if not raw:
        return None
    data = json.loads(raw)
    text = (data.get("text") or "").strip()
    if not text:
        return None
    return Extracted(
        text=text,
        title=data.get("title") or None,
        site=data.get("source-hostname") or data.get("hostname") or None,
        published_at=_date(data.get("date")),
    )


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return None


def best_passage(text: str, claim: str, max_words: int = PASSAGE_WORDS) -> tuple[str, float]:
    """The passage of ``text`` sharing the most (rare-weighted) claim terms, and that share (0..1)."""
    passages = split_passages(text, max_words) or [text[:2000]]
    claim_terms = set(terms(claim))
    if not claim_terms:
        return passages[0], 0.0
    sets = [set(terms(passage)) & claim_terms for passage in passages]
    frequency = Counter(term for found in sets for term in found)
    weight = {term: math.log(1 + len(passages) / (frequency[term] + 0.5)) for term in claim_terms}
    total = sum(weight.values())
    scores = [sum(weight[term] for term in found) / total for found in sets]
    best = max(range(len(passages)), key=lambda index: (scores[index], -index))
    return passages[best], round(scores[best], 4)
