"""Matching, the first step of collection: near duplicates of open tickets and of imported or
published fact-checks go into ``matches`` with a score, the prior rating and a link; thresholds
decide suggest vs auto. Intake itself only inserts: the matches appear once the job has run."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from factcheck.claims import index, matching
from factcheck.db import unit_of_work
from factcheck.models import ClaimReviewRecord, MatchEntry, MatchTerm, Publication, Ticket, TicketEvent
from factcheck.tickets.intake import claim_key
from tests.support import ApiClient, run_jobs

LAVROV = (
    "Russian Foreign Minister Sergei Lavrov said a rebel depot containing toxic substances"
    " was hit by an air strike"
)


def add_review(app: Flask, claim: str, url: str, published: date | None = None, **fields: Any) -> int:
    with app.app_context(), unit_of_work() as session:
        review = ClaimReviewRecord(
            url=url,
            claim=claim,
            claim_key=claim_key(claim),
            publisher=fields.get("publisher", "Snopes"),
            rating=fields.get("rating", "False"),
            date_published=datetime(published.year, published.month, published.day, tzinfo=UTC)
            if published
            else None,
            raw={"@type": "ClaimReview", "claimReviewed": claim, "url": url},
        )
        session.add(review)
        session.flush()
        return review.id


def collected(api: ApiClient, app: Flask, claim: str, **fields: Any) -> dict[str, Any]:
    """Open a ticket, run its collection job (which matches and indexes the claim), read it back."""
    created = api.create_ticket(claim, **fields)
    assert created["matches"] == []  # intake does not match: the job does
    run_jobs(app)
    ticket: dict[str, Any] = api.get(f"/api/v1/tickets/{created['id']}").get_json()
    return ticket


def test_a_near_duplicate_of_an_open_ticket_is_suggested(api: ApiClient, app: Flask) -> None:
    first = collected(api, app, LAVROV)

    second = collected(api, app, "Lavrov claims an air strike hit a rebel depot with toxic substances in it")

    assert [m["kind"] for m in second["matches"]] == ["ticket"]
    match = second["matches"][0]
    assert match["ticket_id"] == first["id"]
    assert match["claim"] == LAVROV
    assert match["url"].endswith(f"/api/v1/tickets/{first['id']}")
    assert 0.35 <= match["score"] < 0.8
    assert match["link"] == "suggested"
    assert first["matches"] == []


def test_an_exact_duplicate_raises_demand_instead_of_matching(api: ApiClient) -> None:
    first = api.create_ticket(LAVROV)

    again = api.post("/api/v1/tickets", json={"claim": "  " + LAVROV.upper() + ". "})

    assert again.status_code == 200
    assert again.get_json()["id"] == first["id"]
    assert again.get_json()["demand"] == 2


def test_an_imported_claimreview_matches_with_its_rating_publisher_and_link(
    api: ApiClient, app: Flask
) -> None:
    add_review(
        app,
        "A rebel depot holding toxic substances was hit by a Syrian air strike.",
        "https://checks.example/depot",
    )
    add_review(app, "Sarin was found in samples from Khan Sheikhoun.", "https://checks.example/sarin")

    ticket = collected(api, app, LAVROV)

    assert ticket["matches"][0] == {
        "kind": "claimreview",
        "claim": "A rebel depot holding toxic substances was hit by a Syrian air strike.",
        "url": "https://checks.example/depot",
        "publisher": "Snopes",
        "rating": "False",
        "score": ticket["matches"][0]["score"],
        "link": "suggested",
    }
    assert len(ticket["matches"]) == 1


def test_a_near_verbatim_claim_is_auto_linked_and_audited(api: ApiClient, app: Flask) -> None:
    add_review(app, LAVROV, "https://checks.example/lavrov")

    ticket = collected(api, app, LAVROV.replace("air strike", "airstrike") + "!")

    assert ticket["matches"][0]["link"] == "auto"
    assert ticket["matches"][0]["score"] >= 0.8
    events = api.get(f"/api/v1/tickets/{ticket['id']}/events").get_json()["items"]
    started = next(event for event in events if event["action"] == "start_collection")
    assert started["data"]["auto_linked"] == ["https://checks.example/lavrov"]
    assert started["data"]["matches"] == len(ticket["matches"])


def test_very_short_claims_are_only_suggested(api: ApiClient, app: Flask) -> None:
    add_review(app, "Vaccines cause autism", "https://checks.example/autism")

    ticket = collected(api, app, "Vaccines cause autism!")

    assert ticket["matches"][0]["score"] >= 0.8
    assert ticket["matches"][0]["link"] == "suggested"


def test_closed_tickets_are_not_matched_and_published_ones_carry_their_rating(
    api: ApiClient, app: Flask
) -> None:
    closed = collected(api, app, LAVROV)
    published = collected(
        api, app, "Sarin was found in samples taken from victims of the Khan Sheikhoun attack"
    )
    with app.app_context(), unit_of_work() as session:
        session.execute(
            update(Ticket).where(Ticket.id == closed["id"]).values(state="rejected", open_claim_key=None)
        )
        session.execute(update(Ticket).where(Ticket.id == published["id"]).values(state="published"))
        session.add(
            Publication(
                ticket_id=published["id"], version=1, kind="initial", slug="sarin-found", rating="true"
            )
        )

    ticket = collected(api, app, "Lavrov: an air strike hit a rebel depot containing toxic substances")
    other = collected(
        api, app, "Samples from victims of the Khan Sheikhoun attack contained sarin, tests found"
    )

    assert ticket["matches"] == []
    assert other["matches"][0]["ticket_id"] == published["id"]
    assert other["matches"][0]["rating"] == "true"
    assert other["matches"][0]["url"] == "http://localhost:8000/fact-checks/sarin-found"
    assert other["matches"][0]["publisher"] == "Factcheck newsroom"


def test_claimreviews_are_reindexed_when_updated_and_unindexed_when_deleted(app: Flask) -> None:
    review_id = add_review(app, "The moon landing was filmed in a studio", "https://checks.example/moon")
    with app.app_context(), unit_of_work() as session:
        assert [f.claim_review_id for f in matching.search(session, "moon landing filmed studio")] == [
            review_id
        ]
        review = session.get(ClaimReviewRecord, review_id)
        assert review is not None
        review.claim = "Bananas are radioactive enough to set off detectors"
    with app.app_context(), unit_of_work() as session:
        assert matching.search(session, "moon landing filmed studio") == []
        assert [f.claim_review_id for f in matching.search(session, "radioactive bananas")] == [review_id]
        session.delete(session.get(ClaimReviewRecord, review_id))
    with app.app_context(), unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(MatchEntry)) == 0
        assert session.scalar(select(func.count()).select_from(MatchTerm)) == 0


def test_fact_checks_dated_near_the_claim_rank_first_among_equals(app: Flask) -> None:
    far = add_review(app, "Photo shows flooded airport runway", "https://checks.example/a", date(2015, 1, 1))
    near = add_review(app, "Photo shows flooded airport runway", "https://checks.example/b", date(2021, 3, 2))

    with app.app_context(), unit_of_work() as session:
        found = matching.search(
            session, "A photo shows a flooded airport runway", claim_date=date(2021, 3, 1)
        )
        undated = matching.search(session, "A photo shows a flooded airport runway")

    assert [item.claim_review_id for item in found] == [near, far]
    assert found[0].score == found[1].score
    assert [item.claim_review_id for item in undated] == [far, near]  # equal: oldest entry first


def test_candidates_come_from_the_rarest_terms_only(app: Flask) -> None:
    """The index is queried by selective terms: a term in most entries does not pick candidates."""
    with app.app_context(), unit_of_work() as session:
        index.write_entries(
            session.connection(),
            [
                {"kind": "claimreview", "text": f"Officials said {word} happened"}
                for word in (
                    "alpha",
                    "beta",
                    "gamma",
                    "delta",
                    "epsilon",
                    "zeta",
                    "eta",
                    "theta",
                    "iota",
                    "kappa",
                )
            ],
        )
        query = matching._prepare(session, "Officials said gamma rays")
        assert query is not None
        assert matching._selective_terms(query) == ["gamma"]
        assert [item.text for item in matching.search(session, "Officials said gamma rays")] == [
            "Officials said gamma happened"
        ]


def test_reindex_rebuilds_the_index_from_tickets_and_reviews(api: ApiClient, app: Flask) -> None:
    collected(api, app, LAVROV)
    add_review(app, "Sarin was found in samples from Khan Sheikhoun.", "https://checks.example/sarin")
    with app.app_context(), unit_of_work() as session:
        session.execute(MatchEntry.__table__.delete())
        assert index.reindex(session) == 2
    with app.app_context(), unit_of_work() as session:
        kinds = sorted(session.scalars(select(MatchEntry.kind)))
        assert kinds == ["claimreview", "ticket"]
        assert matching.search(session, "toxic rebel depot")[0].kind == "ticket"


@pytest.mark.parametrize(
    ("claim_date", "dated", "expected"),
    [
        (None, date(2020, 1, 1), 0.0),
        (date(2020, 1, 10), date(2020, 1, 5), 1.0),
        (date(2020, 1, 1), date(2020, 1, 1), 1.0),
    ],
)
def test_date_proximity(claim_date: date | None, dated: date, expected: float) -> None:
    assert matching.date_proximity(claim_date, dated) == expected
    assert matching.date_proximity(date(2020, 1, 1), date(2020, 3, 1)) < 0.5


def test_a_claim_is_matched_and_indexed_once_not_again_on_demand_or_recollection(
    api: ApiClient, app: Flask
) -> None:
    ticket = collected(api, app, LAVROV)
    assert api.post("/api/v1/tickets", json={"claim": LAVROV}).status_code == 200
    run_jobs(app)
    with app.app_context(), unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(MatchEntry)) == 1
        actions = list(session.scalars(select(TicketEvent.action).order_by(TicketEvent.id)))
    assert actions == ["create", "start_collection", "finish_collection", "demand"]
    assert ticket["state"] == "triage"


def test_claimreviews_imported_through_the_api_are_matched(api: ApiClient, app: Flask) -> None:
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": "https://checks.example/depot-strike",
        "claimReviewed": "A Syrian air strike hit a rebel depot containing toxic substances",
        "author": {"@type": "Organization", "name": "Checks Example"},
        "reviewRating": {"@type": "Rating", "alternateName": "Unproven"},
        "datePublished": "2017-04-06",
    }
    imported = api.post("/api/v1/claimreviews:batch", json={"claimreviews": [review]})
    assert imported.status_code == 201, imported.get_json()

    ticket = collected(api, app, LAVROV, claim_date="2017-04-05")

    assert ticket["matches"][0]["url"] == "https://checks.example/depot-strike"
    assert ticket["matches"][0]["publisher"] == "Checks Example"
    assert ticket["matches"][0]["rating"] == "Unproven"
