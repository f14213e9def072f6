"""The ``factchecktools`` source: Google Fact Check Tools ``claims:search`` (v1alpha1).

``GET {api}?query=&languageCode=&pageSize=&key=`` answers ``{claims: [{text, claimant,
claimDate, claimReview: [{publisher: {name, site}, url, title, reviewDate, textualRating,
languageCode}]}]}``. Each review is a candidate; close ones are also ``matches``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from factcheck.config import Settings
from factcheck.references import fetch
from factcheck.references.factchecks import similarity
from factcheck.references.sources import Candidate, ClaimQuery, Source, SourceSkipped

PAGE_SIZE = 10
API_VERSION = "v1alpha1"


def search(query: ClaimQuery, settings: Settings) -> list[Candidate]:
    if not settings.factchecktools_api_key:
        raise SourceSkipped("no API key (FACTCHECK_FACTCHECKTOOLS_API_KEY)")
    params = {
        "query": query.claim[:500],
        "languageCode": query.language or "en",
        "pageSize": PAGE_SIZE,
        "key": settings.factchecktools_api_key,
    }
    data = fetch.get_json(settings, settings.factchecktools_api_url, params, settings.factchecktools_timeout)
    if not isinstance(data, dict):
        raise fetch.SourceHTTPError("unexpected answer from Fact Check Tools")
    if "error" in data:
        raise fetch.SourceHTTPError(f"Fact Check Tools error: {data['error'].get('message', data['error'])}")
    candidates = []
    for claim in data.get("claims") or []:
        if not isinstance(claim, dict) or not isinstance(claim.get("text"), str):
            continue
        for review in claim.get("claimReview") or []:
            if isinstance(review, dict) and isinstance(review.get("url"), str):
                candidates.append(_candidate(query, settings, claim, review))
    return candidates


def _candidate(
    query: ClaimQuery, settings: Settings, claim: dict[str, Any], review: dict[str, Any]
) -> Candidate:
    text, rating = claim["text"], review.get("textualRating")
    publisher = (review.get("publisher") or {}).get("name") or (review.get("publisher") or {}).get("site")
    score = similarity(query.claim, text)
    claimant = f" ({claim['claimant']})" if claim.get("claimant") else ""
    match = None
    if score >= settings.factchecks_match_threshold:
        match = {
            "kind": "claimreview",
            "claim": text,
            "url": review["url"],
            "publisher": publisher,
            "rating": rating,
            "score": score,
        }
    return Candidate(
        source="factchecktools",
        title=review.get("title") or f"Fact-check: {text}",
        url=review["url"],
        passage=f"Claim{claimant}: {text}" + (f" Rating: {rating}." if rating else ""),
        query=query.claim[:500],
        source_score=score,
        publisher=publisher,
        published_at=_date(review.get("reviewDate")),
        source_version=API_VERSION,
        match=match,
    )


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


SOURCE = Source(
    "factchecktools", trust=0.85, search=search, timeout=lambda settings: settings.factchecktools_timeout
)
