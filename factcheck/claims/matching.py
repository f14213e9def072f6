"""Claim matching: which open tickets and earlier fact-checks a new claim is (nearly) the same as.

Two steps. Candidates come from the inverted index (``match_terms``): the BM25 score of the
claim's most selective terms, summed in SQL, so the cost grows with the posting lists of those
terms and not with the number of indexed claims. The best candidates are then scored 0..1 in
Python: the mean of (a) the candidate's BM25 score relative to the claim's own and (b) the
cosine of IDF-weighted character n-grams (spelling variants, inflections). Candidates dated
close to the claim (fact-checks follow claims by days) rank a little higher; the ``score``
itself is text similarity only, and is what the suggest / auto-link thresholds apply to.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, case, func, select
from sqlalchemy.orm import Session

from factcheck.claims.index import term_weights
from factcheck.claims.terms import char_profile, content_words, cosine, norm, stem, terms
from factcheck.models.matching import MatchEntry, MatchTerm

POOL = 60
"""Candidates taken from the index for exact scoring."""
QUERY_TERMS = 16
"""At most this many of a claim's rarest terms pick candidates (all of them score)."""
COMMON_SHARE = 0.2
"""Terms in more than this share of entries do not pick candidates when rarer ones exist."""
MIN_ENTRIES = 1000
"""Document frequencies from a handful of entries say little; idf assumes at least this many."""
DATE_WEIGHT = 0.15
"""Largest rank bonus for a candidate dated at (or just after) the claim's date."""


@dataclass(frozen=True)
class Found:
    entry_id: int
    kind: str
    ticket_id: str | None
    claim_review_id: int | None
    text: str
    score: float
    """Text similarity, 0..1."""
    rank: float
    """``score`` plus the date bonus: the order results come in."""


@dataclass(frozen=True)
class _Query:
    text: str
    terms: list[str]
    idf: dict[str, float]
    frequency: dict[str, int] = field(default_factory=dict)
    """Entries each term occurs in."""
    total: int = 0
    """Entries in the index."""


def search(
    session: Session,
    claim: str,
    *,
    claim_date: date | None = None,
    limit: int = 10,
    min_score: float = 0.0,
) -> list[Found]:
    """Indexed claims most similar to ``claim``, best first, each scoring at least ``min_score``."""
    query = _prepare(session, claim)
    if query is None:
        return []
    scorer = _Scorer(query)
    found = [scorer.found(row, claim_date) for row in _candidates(session, query)]
    found = [item for item in found if item.score >= min_score and item.score > 0]
    found.sort(key=lambda item: (-item.rank, item.entry_id))
    return found[:limit]


def similarity(left: str, right: str) -> float:
    """Corpus-free similarity of two texts (0..1): the same measure with every term equally rare."""
    left_terms, right_terms = _uniform_terms(left), _uniform_terms(right)
    if not left_terms or not right_terms:
        return 0.0
    own = float(sum(term_weights(list(left_terms)).values()))
    right_weights = term_weights(list(right_terms))
    relative = min(1.0, sum(right_weights.get(term, 0.0) for term in set(left_terms)) / own)
    return (relative + cosine(_uniform_profile(left), _uniform_profile(right))) / 2


@lru_cache(maxsize=4096)
def _uniform_terms(text: str) -> tuple[str, ...]:
    return tuple(terms(text))


@lru_cache(maxsize=4096)
def _uniform_profile(text: str) -> dict[str, float]:
    return char_profile(content_words(text), lambda _term: 1.0)


def _prepare(session: Session, claim: str) -> _Query | None:
    claim_terms = terms(claim)
    if not claim_terms:
        return None
    distinct = sorted(set(claim_terms))
    total = session.scalar(select(func.count()).select_from(MatchEntry)) or 0
    if total == 0:
        return None
    rows = session.execute(
        select(MatchTerm.term, func.count()).where(MatchTerm.term.in_(distinct)).group_by(MatchTerm.term)
    ).all()
    frequencies: dict[str, int] = {term: count for term, count in rows}
    idf = {term: _idf(total, frequencies.get(term, 0)) for term in distinct}
    return _Query(claim, claim_terms, idf, {term: frequencies.get(term, 0) for term in distinct}, total)


def _idf(total: int, frequency: int) -> float:
    """BM25's idf, counting at least ``MIN_ENTRIES`` entries: in a young index every term is rare."""
    total = max(total, MIN_ENTRIES)
    return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))


def _selective_terms(query: _Query) -> list[str]:
    """The rarest terms that occur in the index; common ones only if nothing rarer is there."""
    present = sorted(
        (term for term, count in query.frequency.items() if count), key=query.frequency.__getitem__
    )
    selective = [term for term in present if query.frequency[term] <= COMMON_SHARE * query.total]
    return (selective or present[:3])[:QUERY_TERMS]


def _candidates(session: Session, query: _Query) -> Sequence[Row[Any]]:
    selective = _selective_terms(query)
    if not selective:
        return []
    weight = case({term: query.idf[term] for term in selective}, value=MatchTerm.term, else_=0.0)
    score = func.sum(MatchTerm.weight * weight).label("score")
    best = (
        select(MatchTerm.entry_id, score)
        .where(MatchTerm.term.in_(selective))
        .group_by(MatchTerm.entry_id)
        .order_by(score.desc(), MatchTerm.entry_id)
        .limit(POOL)
        .subquery()
    )
    columns = (MatchEntry.id, MatchEntry.kind, MatchEntry.ticket_id, MatchEntry.claim_review_id)
    return session.execute(
        select(*columns, MatchEntry.text, MatchEntry.dated).join(best, best.c.entry_id == MatchEntry.id)
    ).all()


class _Scorer:
    """Scores candidates against one claim; what depends on the claim alone is computed once."""

    def __init__(self, query: _Query) -> None:
        self.query = query
        self.own = _bm25(query, term_weights(query.terms))
        default = sum(query.idf.values()) / len(query.idf)
        self.weight: Callable[[str], float] = lambda term: query.idf.get(term, default)
        self.profile = char_profile(content_words(query.text), self.weight)
        self.profile_norm = norm(self.profile)

    def score(self, text: str) -> float:
        """Mean of the relative BM25 score and the character n-gram cosine."""
        words = content_words(text)
        relative = (
            min(1.0, _bm25(self.query, term_weights([stem(w) for w in words])) / self.own)
            if self.own
            else 0.0
        )
        return (relative + cosine(self.profile, char_profile(words, self.weight), self.profile_norm)) / 2

    def found(self, row: Row[Any], claim_date: date | None) -> Found:
        entry_id, kind, ticket_id, claim_review_id, text, dated = row
        score = self.score(text)
        return Found(
            entry_id=entry_id,
            kind=kind,
            ticket_id=ticket_id,
            claim_review_id=claim_review_id,
            text=text,
            score=round(score, 4),
            rank=score + DATE_WEIGHT * date_proximity(claim_date, dated),
        )


def _bm25(query: _Query, weights: dict[str, float]) -> float:
    return sum(query.idf[term] * weights[term] for term in Counter(query.terms) if term in weights)


def date_proximity(claim_date: date | None, dated: date | None) -> float:
    """1 when the candidate is dated at the claim or up to a week before; decays over ~2 months after.

    Fact-checks are published after the claim spreads, so later dates decay slower than earlier
    ones. Unknown dates give 0 (no bonus, no penalty).
    """
    if claim_date is None or dated is None:
        return 0.0
    days = (dated - claim_date).days
    if days >= 0:
        return math.exp(-days / 60)
    if days >= -7:
        return 1.0
    return math.exp((days + 7) / 30)
