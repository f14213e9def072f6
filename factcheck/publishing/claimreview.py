"""ClaimReview JSON-LD (schema.org) for a published fact-check, and its safe embedding in HTML.

Only types and properties of the schema.org ClaimReview vocabulary are used (a test checks
them against the vocabulary files). The organisation's logo goes in ``image``: ``logo`` is
not part of that vocabulary.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from factcheck.publishing.factchecks import FactCheck, Organisation
from factcheck.tickets.representation import rfc3339

CONTEXT = "https://schema.org"
_HTML_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def claimreview(fact_check: FactCheck, organisation: Organisation, url: str) -> dict[str, Any]:
    """The ClaimReview of the current version; ``url`` is the page's absolute URL.

    A retracted fact-check has none: callers must not ask (``ValueError``).
    """
    if fact_check.retracted:
        raise ValueError("a retracted fact-check has no ClaimReview")
    ticket, current = fact_check.ticket, fact_check.current
    review: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": ticket.claim,
        "itemReviewed": _claim(fact_check),
        "reviewRating": _rating(fact_check),
        "author": _organisation(organisation),
        "datePublished": rfc3339(fact_check.published_at),
        "dateModified": rfc3339(fact_check.modified_at),
        "inLanguage": ticket.language,
    }
    if current.summary:
        review["reviewBody"] = current.summary
    citations = [_citation(item) for item in fact_check.evidence if item.get("url")]
    if citations:
        review["citation"] = citations
    return review


def _claim(fact_check: FactCheck) -> dict[str, Any]:
    """The claim as it was made: who said it, when, and where it appeared."""
    ticket = fact_check.ticket
    claim: dict[str, Any] = {"@type": "Claim"}
    if ticket.speaker:
        claim["author"] = {"@type": "Person", "name": ticket.speaker}
    if ticket.claim_date:
        claim["datePublished"] = ticket.claim_date.isoformat()
    if ticket.source_url:
        # The submitter's link shows where the claim appeared, not necessarily where it first did.
        claim["appearance"] = [{"@type": "CreativeWork", "url": ticket.source_url}]
    return claim


def _rating(fact_check: FactCheck) -> dict[str, Any]:
    """``alternateName`` always; the number and the scale's ends when the rating has a number."""
    rating = fact_check.rating
    slug = fact_check.current.rating
    result: dict[str, Any] = {"@type": "Rating", "alternateName": rating.label if rating else slug}
    bounds = fact_check.bounds
    if rating is not None and rating.value is not None and bounds is not None:
        worst, best = bounds
        result.update(ratingValue=rating.value, bestRating=best, worstRating=worst)
    return result


def _organisation(organisation: Organisation) -> dict[str, Any]:
    result: dict[str, Any] = {"@type": "Organization", "name": organisation.name, "url": organisation.url}
    if organisation.logo:
        result["image"] = organisation.logo
    return result


def _citation(item: dict[str, Any]) -> dict[str, Any]:
    citation: dict[str, Any] = {"@type": "CreativeWork", "url": item["url"]}
    if item.get("title"):
        citation["name"] = item["title"]
    if item.get("published_at"):
        citation["datePublished"] = item["published_at"]
    return citation


def script_json(data: dict[str, Any]) -> Markup:
    """JSON for a ``<script type="application/ld+json">`` element.

    ``<``, ``>``, ``&`` and ``'`` become ``\\u003c``-style escapes, so no string inside (say a
    claim containing ``</script>``) can close the element or open a comment; JSON parsers read
    the escapes back as the same characters.
    """
    return Markup(json.dumps(data, ensure_ascii=False).translate(_HTML_SAFE))  # noqa: S704 (escaped above)
