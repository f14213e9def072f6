"""Merge what the sources found, drop duplicates, rank by relevance to the claim and trust.

Relevance is lexical (claim terms found in the candidate, weighted by how rare they are among
all candidates) plus the overlap of names, numbers and dates, plus the source's own score
(normalised within that source). The final score multiplies relevance by the source's trust
tier. Duplicates share a canonical URL or a content hash; the better-scored one stays.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from factcheck.references.sources import Candidate
from factcheck.references.text import names_and_numbers, terms

TRACKING_PARAMETERS = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid", "ref", "ref_src", "igshid"})


def canonical_url(url: str | None) -> str | None:
    """The URL with what does not change the page removed: case of scheme and host, ``www.``,
    default ports, fragments, tracking parameters, parameter order and a trailing slash."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").removeprefix("www.")
    if port and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in TRACKING_PARAMETERS
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def passage_hash(candidate: Candidate) -> str:
    """Hash of the passage text with case and spacing normalised."""
    return hashlib.sha256(" ".join(candidate.passage.lower().split()).encode()).hexdigest()


def rank(claim: str, candidates: Iterable[Candidate], trust: dict[str, float], keep: int) -> list[Candidate]:
    """The ``keep`` best distinct candidates, best first, each with its ``score`` set."""
    pool = list(candidates)
    if not pool:
        return []
    claim_terms = set(terms(claim))
    claim_entities = names_and_numbers(claim)
    documents = [set(terms(f"{c.title or ''} {c.passage}")) for c in pool]
    frequency = Counter(term for document in documents for term in document & claim_terms)
    idf = {t: math.log(1 + (len(pool) + 1) / (frequency[t] + 0.5)) for t in claim_terms}
    best_per_source: dict[str, float] = {}
    for candidate in pool:
        best_per_source[candidate.source] = max(
            best_per_source.get(candidate.source, 0.0), candidate.source_score
        )
    total_idf = sum(idf.values()) or 1.0
    for candidate, document in zip(pool, documents, strict=True):
        lexical = sum(idf[t] for t in claim_terms & document) / total_idf
        own = (
            candidate.source_score / best_per_source[candidate.source]
            if best_per_source[candidate.source]
            else 0
        )
        if claim_entities:
            found = names_and_numbers(f"{candidate.title or ''} {candidate.passage}")
            overlap = len(claim_entities & found) / len(claim_entities)
            relevance = 0.55 * lexical + 0.25 * overlap + 0.2 * own
        else:
            relevance = 0.7 * lexical + 0.3 * own
        candidate.score = round(relevance * (0.6 + 0.4 * trust.get(candidate.source, 0.5)), 4)
    return deduplicate(sorted(pool, key=lambda c: -c.score))[:keep]


def deduplicate(ranked: list[Candidate]) -> list[Candidate]:
    """Keep the first of every group sharing a canonical URL, a content hash or a passage."""
    seen: set[str] = set()
    kept = []
    for candidate in ranked:
        keys = {f"sha:{candidate.content_sha256}", f"passage:{passage_hash(candidate)}"}
        url = canonical_url(candidate.url)
        if url:
            keys.add(f"url:{url}")
        if keys & seen:
            continue
        seen |= keys
        kept.append(candidate)
    return kept
