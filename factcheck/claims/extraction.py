"""Article text to claims: sentences with offsets, speaker, claim date, check-worthiness, and
groups of sentences that state the same claim (a headline and the lede that repeats it)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from factcheck.claims import checkworthiness, dates, speakers
from factcheck.claims.matching import similarity
from factcheck.claims.sentences import Sentence, split
from factcheck.claims.terms import terms

SAME_CLAIM = 0.6
"""Similarity from which two check-worthy sentences of one article count as the same claim."""
COMPARED_LEADERS = 3
"""A claim is compared with at most this many earlier claims: those sharing the most terms."""
MIN_CLAIM_CHARS = 12
MAX_CLAIM_CHARS = 2000
"""A ticket's claim is at most this long (API.md); longer "sentences" are not claims."""


@dataclass
class ExtractedClaim:
    part: str
    """``title`` or ``body``: which text ``start``/``end`` index into."""
    sentence: str
    start: int
    end: int
    speaker: str | None
    speaker_rule: str | None
    claim_date: date | None
    score: checkworthiness.Score
    group: int | None = None
    """Claims with the same group state the same claim and share one ticket (check-worthy only)."""
    ticket_id: str | None = None
    """Set once the group's ticket is opened (or found open)."""


def extract(text: str, title: str | None, published: date | None, threshold: float) -> list[ExtractedClaim]:
    """Every sentence of the title and text as a scored claim; check-worthy ones are grouped."""
    claims = [_claim("title", sentence, speaker, published) for sentence, speaker in _title(title)]
    sentences = [s for s in split(text) if MIN_CLAIM_CHARS <= len(s.text) <= MAX_CLAIM_CHARS]
    for sentence, attribution in zip(sentences, speakers.attribute(sentences), strict=True):
        claims.append(_claim("body", sentence, attribution, published))
    _group(claims, threshold)
    return claims


def _title(title: str | None) -> list[tuple[Sentence, speakers.Attribution]]:
    if not title or not title.strip() or len(title) > MAX_CLAIM_CHARS:
        return []
    stripped = title.strip()
    start = title.index(stripped)
    sentence = Sentence(stripped, start, start + len(stripped), -1)
    return [(sentence, speakers.attribute([sentence])[0])]


def _claim(
    part: str, sentence: Sentence, attribution: speakers.Attribution, published: date | None
) -> ExtractedClaim:
    when = dates.claim_date(sentence.text, published)
    return ExtractedClaim(
        part=part,
        sentence=sentence.text,
        start=sentence.start,
        end=sentence.end,
        speaker=attribution.speaker,
        speaker_rule=attribution.rule,
        claim_date=when.value,
        score=checkworthiness.score(sentence.text),
    )


def _group(claims: list[ExtractedClaim], threshold: float) -> None:
    """Number the distinct check-worthy claims; a repeat joins the group of its first statement.

    Only leaders sharing at least two terms with a claim are compared with it, so long articles
    stay linear in practice.
    """
    leaders: list[ExtractedClaim] = []
    by_term: dict[str, list[int]] = defaultdict(list)
    for claim in claims:
        if claim.score.value < threshold:
            continue
        claim_terms = set(terms(claim.sentence))
        shared = Counter(index for term in claim_terms for index in by_term.get(term, ()))
        nearest = [index for index, count in shared.most_common(COMPARED_LEADERS) if count >= 2]
        for index in sorted(nearest):
            if _same(claim.sentence, leaders[index].sentence):
                claim.group = leaders[index].group
                break
        else:
            claim.group = len(leaders)
            for term in claim_terms:
                by_term[term].append(len(leaders))
            leaders.append(claim)


def _same(left: str, right: str) -> bool:
    return max(similarity(left, right), similarity(right, left)) >= SAME_CLAIM


def representative(members: list[ExtractedClaim]) -> ExtractedClaim:
    """The claim a group's ticket is opened with: the most check-worthy body sentence (headlines
    compress; the body says who claimed what)."""
    body = [claim for claim in members if claim.part == "body"] or members
    return max(body, key=lambda claim: (claim.score.value, -claim.start))
