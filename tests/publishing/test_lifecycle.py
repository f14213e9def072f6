"""A fact-check's public life: triage → published page → under review → correction → retraction.

At each step the page, its ClaimReview, both feeds, the corrections log and the public list
say the same thing, and nothing from a draft shows.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from factcheck.models import Reference
from tests.publishing.conftest import Newsroom
from tests.publishing.pages import (
    atom,
    backdate_publications,
    extracted_claimreviews,
    json_feed,
    ld_json_blocks,
)

CLAIM = "Unemployment fell to 3% in 2025."
SPEAKER = "Jane Doe, Minister of Labour"
DRAFT_SECRET = "DRAFT-NOT-FOR-READERS"


def _page(public: FlaskClient, slug: str) -> tuple[int, str]:
    response = public.get(f"/fact-checks/{slug}")
    assert response.mimetype == "text/html"
    return response.status_code, response.data.decode()


def _public_state(public: FlaskClient) -> dict[str, Any]:
    """What a reader, a feed reader and an API consumer each see, in one place."""
    corrections = public.get("/fact-checks/corrections")
    assert corrections.status_code == 200
    listing = public.get("/api/v1/fact-checks")
    assert listing.status_code == 200
    document, parsed_json = json_feed(public.get("/fact-checks/feed.json"))
    return {
        "atom": atom(public.get("/fact-checks/feed.xml")),
        "json": document,
        "json_parsed": parsed_json,
        "corrections": corrections.data.decode(),
        "list": listing.get_json()["items"],
        "index": public.get("/fact-checks/").data.decode(),
    }


def test_a_fact_check_from_triage_to_publication_correction_and_retraction(
    newsroom: Newsroom, public: FlaskClient, app: Flask
) -> None:
    # Before publication: nothing public, no ClaimReview.
    tid = newsroom.submitted(
        CLAIM,
        "false",
        "Official data show 4.1%.",
        speaker=SPEAKER,
        claim_date="2025-03-01",
        source_url="https://tv.example/debate",
    )
    state = _public_state(public)
    assert state["atom"].entries == [] and state["json"]["items"] == [] and state["list"] == []
    assert CLAIM not in state["corrections"] and CLAIM not in state["index"]
    assert newsroom.editor.get(f"/api/v1/tickets/{tid}/claimreview").status_code == 404

    # Published: the page, one ClaimReview, one feed entry, no correction yet.
    published = newsroom.approve_and_publish(tid)
    slug = published["publication"]["url"].removeprefix("/fact-checks/")
    url = f"http://localhost:8000/fact-checks/{slug}"
    status, html = _page(public, slug)
    assert status == 200
    for text in (
        CLAIM,
        SPEAKER,
        "01 March 2025",
        "https://tv.example/debate",
        "False",
        "Official data show 4.1%.",
        "The claim is not accurate.",
        "Quarterly labour force survey",
        "Refutes the claim",
        "Context",
    ):
        assert text in html, text
    assert "Under review" not in html
    [review] = ld_json_blocks(html)
    assert extracted_claimreviews(html, url) == [review]
    assert review["url"] == url and review["claimReviewed"] == CLAIM
    assert review["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "False",
        "ratingValue": 1,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert review["itemReviewed"]["author"] == {"@type": "Person", "name": SPEAKER}
    assert review["datePublished"] == review["dateModified"] == published["publication"]["published_at"]
    assert [c["url"] for c in review["citation"]] == [
        "https://stats.example/unemployment-q4",
        "https://news.example/interview",
    ]
    assert newsroom.editor.get(f"/api/v1/tickets/{tid}/claimreview").get_json() == review
    state = _public_state(public)
    assert [e.id for e in state["atom"].entries] == [f"{url}#version-1"]
    assert state["atom"].entries[0].link == url
    assert [item["id"] for item in state["json"]["items"]] == [f"{url}#version-1"]
    assert state["json_parsed"]["entries"][0]["link"] == url
    assert CLAIM not in state["corrections"]
    assert [item["slug"] for item in state["list"]] == [slug] and state["list"][0]["under_review"] is False
    backdate_publications(app, tid, days=2)

    # Reopened: the page stays live, flagged; the draft and the evidence being edited stay private.
    assert (
        newsroom.editor.act(tid, "reopen", {"note": "New figures from the statistics office."}).status_code
        == 200
    )
    draft = newsroom.checker.put(
        f"/api/v1/tickets/{tid}/verdict", json={"rating": "mostly-false", "summary": DRAFT_SECRET}
    )
    assert draft.status_code == 200
    first_ref = _reference_ids(app, tid)[0]
    newsroom.checker.patch(f"/api/v1/tickets/{tid}/references/{first_ref}", json={"pinned": False})
    newsroom.add_evidence(
        tid,
        (
            {
                "url": "https://stats.example/revised",
                "title": "Revised labour statistics",
                "stance": "refutes",
            },
        ),
    )
    status, html = _page(public, slug)
    assert status == 200 and "Under review" in html
    [under_review] = ld_json_blocks(html)
    assert _undated(under_review) == _undated(review) and len(extracted_claimreviews(html, url)) == 1
    assert "Revised labour statistics" not in html and "Quarterly labour force survey" in html
    state = _public_state(public)
    assert len(state["atom"].entries) == 1 and state["list"][0]["under_review"] is True
    for seen in (html, state["corrections"], str(state["json"]), str(state["list"]), state["index"]):
        assert DRAFT_SECRET not in seen and "Mostly false" not in seen

    # Corrected: version 2 with the note, the previous rating and a later dateModified.
    summary = "Revised data show 3.4%; the claim is close but still wrong."
    submitted = newsroom.checker.act(tid, "submit", {"rating": "mostly-false", "summary": summary})
    assert submitted.status_code == 200
    corrected = newsroom.approve_and_publish(tid)
    assert corrected["publication"]["version"] == 2 and corrected["publication"]["kind"] == "correction"
    status, html = _page(public, slug)
    assert status == 200 and "Under review" not in html
    for text in (
        "Correction",
        "New figures from the statistics office.",
        "changed from",
        "Mostly false",
        summary,
        "Revised labour statistics",
        'id="version-2"',
        'id="version-1"',
    ):
        assert text in html, text
    assert "Quarterly labour force survey" not in html, "the evidence is the one published with version 2"
    [review2] = ld_json_blocks(html)
    assert extracted_claimreviews(html, url) == [review2]
    assert (
        review2["reviewRating"]["alternateName"] == "Mostly false"
        and review2["reviewRating"]["ratingValue"] == 2
    )
    assert review2["datePublished"] < review2["dateModified"] == corrected["publication"]["published_at"]
    state = _public_state(public)
    assert [e.id for e in state["atom"].entries] == [f"{url}#version-2", f"{url}#version-1"]
    assert state["atom"].entries[0].title.startswith("Correction:")
    assert "Rating corrected from False to Mostly false." in state["atom"].entries[0].summary
    assert [item["id"] for item in state["json"]["items"]] == [f"{url}#version-2", f"{url}#version-1"]
    assert "correction" in state["json"]["items"][0]["tags"]
    assert CLAIM in state["corrections"] and "New figures from the statistics office." in state["corrections"]
    assert state["list"][0]["rating"] == "mostly-false" and state["list"][0]["version"] == 2
    backdate_publications(app, tid, days=1)

    # Retracted: a tombstone without ClaimReview; the retraction reaches the feeds and the log.
    assert (
        newsroom.editor.act(
            tid, "retract", {"note": "The statistics office withdrew the series."}
        ).status_code
        == 200
    )
    status, html = _page(public, slug)
    assert status == 410
    assert "retracted" in html and "The statistics office withdrew the series." in html and CLAIM in html
    assert ld_json_blocks(html) == [] and extracted_claimreviews(html, url) == []
    assert summary not in html
    assert newsroom.editor.get(f"/api/v1/tickets/{tid}/claimreview").status_code == 404
    state = _public_state(public)
    assert [e.id for e in state["atom"].entries] == [f"{url}#version-{n}" for n in (3, 2, 1)]
    assert state["atom"].entries[0].title.startswith("Retracted:")
    assert state["json"]["items"][0]["id"] == f"{url}#version-3"
    assert "The statistics office withdrew the series." in state["corrections"]
    assert state["corrections"].index("withdrew the series") < state["corrections"].index("New figures")
    assert state["list"] == [] and CLAIM not in state["index"]


def _undated(review: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in review.items() if key not in ("datePublished", "dateModified")}


def _reference_ids(app: Flask, ticket_id: str) -> list[str]:
    with app.app_context():
        from factcheck import db

        return list(
            db.session().scalars(
                select(Reference.id)
                .where(Reference.ticket_id == ticket_id, Reference.pinned)
                .order_by(Reference.retrieved_at, Reference.id)
            )
        )


def test_republishing_with_the_same_rating_shows_an_update(newsroom: Newsroom, public: FlaskClient) -> None:
    published = newsroom.publish()
    tid, slug = published["id"], published["publication"]["url"].removeprefix("/fact-checks/")
    updated = newsroom.republish(
        tid, "false", "Official data show 4.1%, confirmed in March.", "Added the March data."
    )
    assert updated["publication"]["kind"] == "update"
    status, html = _page(public, slug)
    assert status == 200 and "Update" in html and "Added the March data." in html
    assert "changed from" not in html
    corrections = public.get("/fact-checks/corrections").data.decode()
    assert "Added the March data." in corrections


def test_saved_copies_show_their_hash(newsroom: Newsroom, public: FlaskClient, app: Flask) -> None:
    tid = newsroom.in_triage("Ten thousand ships sailed in 2024.")
    assert newsroom.checker.act(tid, "accept").status_code == 200
    [ref_id, _] = newsroom.add_evidence(tid)
    digest = "ab" * 32
    with app.app_context():
        from factcheck import db

        db.session().get(Reference, ref_id).content_sha256 = digest  # type: ignore[union-attr]
        db.session().commit()
    newsroom.checker.act(tid, "submit", {"rating": "false", "summary": "Port records show 6,200."})
    published = newsroom.approve_and_publish(tid)
    status, html = _page(public, published["publication"]["url"].removeprefix("/fact-checks/"))
    assert status == 200 and f"sha256 {digest}" in html


def test_a_retracted_fact_check_can_be_published_again_with_its_history(
    newsroom: Newsroom, public: FlaskClient
) -> None:
    published = newsroom.publish()
    tid, url = published["id"], published["publication"]["url"]
    newsroom.editor.act(tid, "retract", {"note": "Wrong dataset."})
    assert newsroom.editor.act(tid, "reopen", {"note": "Redone with the right dataset."}).status_code == 200
    assert public.get(url).status_code == 410, "reopening a retraction does not bring the page back"
    assert newsroom.checker.act(tid, "accept").status_code == 200
    newsroom.checker.act(tid, "submit", {"rating": "half-true", "summary": "The right dataset shows 3.5%."})
    again = newsroom.approve_and_publish(tid)
    assert again["publication"] | {"published_at": None} == {
        "version": 3,
        "kind": "correction",
        "url": url,
        "published_at": None,
    }
    response = public.get(url)
    html = response.data.decode()
    assert response.status_code == 200 and len(ld_json_blocks(html)) == 1
    assert "Redone with the right dataset." in html and "withdrawn" in html and "(was False)" in html
