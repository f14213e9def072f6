"""Ranking: merge, de-duplicate by canonical URL and content, relevance plus trust."""

from __future__ import annotations

from factcheck.references.ranking import canonical_url, rank
from factcheck.references.sources import Candidate
from factcheck.references.store import merge_matches

CLAIM = "Greenland lost 532 billion tonnes of ice in 2019."
TRUST = {"library": 0.9, "web": 0.6, "wikipedia": 0.7}


def candidate(source: str, passage: str, url: str | None = None, score: float = 1.0) -> Candidate:
    return Candidate(source=source, title=None, url=url, passage=passage, query=CLAIM, source_score=score)


def test_canonical_url_drops_what_does_not_change_the_page() -> None:
    assert (
        canonical_url("HTTPS://www.Example.org:443/a/b/?utm_source=x&b=2&a=1#top")
        == "https://example.org/a/b?a=1&b=2"
    )
    assert canonical_url("http://example.org") == "http://example.org/"
    assert canonical_url("http://example.org:8080/x?fbclid=1") == "http://example.org:8080/x"
    assert canonical_url(None) is None


def test_duplicates_by_url_or_content_keep_the_better_scored_one() -> None:
    ranked = rank(
        CLAIM,
        [
            candidate(
                "web", "Greenland lost 532 billion tonnes of ice in 2019.", "https://a.example/x?utm_medium=y"
            ),
            candidate("library", "Greenland lost 532 billion tonnes of ice in 2019.", "https://a.example/x/"),
            candidate(
                "wikipedia", "  greenland LOST 532 billion tonnes of ice in 2019. ", "https://b.example/"
            ),
            candidate("web", "Something else about ice.", "https://c.example/"),
        ],
        TRUST,
        keep=10,
    )
    assert [c.source for c in ranked] == ["library", "web"]
    assert ranked[0].score > ranked[1].score


def test_names_numbers_and_dates_outrank_topical_but_wrong_passages() -> None:
    right = candidate("web", "In 2019 Greenland lost 532 billion tonnes of ice.", "https://right.example/")
    wrong = candidate(
        "web", "Greenland lost ice, tonnes of ice, in most years of the decade.", "https://w.example/"
    )
    assert rank(CLAIM, [wrong, right], TRUST, keep=2)[0] is right


def test_trust_breaks_ties_between_equally_relevant_passages() -> None:
    passage = "In 2019 Greenland lost 532 billion tonnes of ice."
    web = candidate("web", passage, "https://web.example/")
    library = candidate("library", passage + " ", "https://library.example/")
    ranked = rank(CLAIM, [web, library], TRUST, keep=5)
    assert ranked[0].source == "library" and len(ranked) == 1, "same content: one kept, the trusted one"


def test_only_the_top_n_are_kept() -> None:
    many = [
        candidate("library", f"Ice note {i} about Greenland in 2019.", f"https://l.example/{i}")
        for i in range(30)
    ]
    assert len(rank(CLAIM, many, TRUST, keep=7)) == 7
    assert rank(CLAIM, [], TRUST, keep=7) == []


def test_matches_merge_keeps_entries_from_elsewhere_and_sorts_best_first() -> None:
    existing = [{"kind": "ticket", "ticket_id": "t1", "claim": "x", "url": "/a", "score": 0.7}]
    found = [
        {"kind": "claimreview", "claim": "y", "url": "https://r.example", "score": 0.9, "rating": None},
        {"kind": "ticket", "ticket_id": "t1", "claim": "x", "url": "/a", "score": 0.8},
    ]
    merged = merge_matches(existing, found)
    assert [m["score"] for m in merged] == [0.9, 0.8]
    assert "rating" not in merged[0]
