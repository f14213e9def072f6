"""POST /api/v1/articles: claims with offsets, speakers and scores; one ticket per distinct
check-worthy claim; idempotent re-posting; demand for claims already open."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from factcheck import db
from factcheck.models import Ticket, TicketEvent
from tests.claims.news import HEADLINE, WIRE_STORY
from tests.support import ApiClient, run_jobs

ARTICLES = "/api/v1/articles"
PUBLISHED = "2017-04-05T16:00:00Z"  # a Wednesday


def post_story(api: ApiClient, **fields: Any) -> dict[str, Any]:
    body = {"text": WIRE_STORY, "title": HEADLINE, "published_at": PUBLISHED, **fields}
    response = api.post(ARTICLES, json=body)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def by_start(article: dict[str, Any], fragment: str) -> dict[str, Any]:
    return next(c for c in article["claims"] if c["part"] == "body" and fragment in c["sentence"])


def test_posted_article_lists_its_sentences_with_offsets_into_the_text(api: ApiClient) -> None:
    article = post_story(api)

    body = [claim for claim in article["claims"] if claim["part"] == "body"]
    assert len(body) == 19
    for claim in body:
        assert WIRE_STORY[claim["start"] : claim["end"]] == claim["sentence"]
    title = next(claim for claim in article["claims"] if claim["part"] == "title")
    assert HEADLINE[title["start"] : title["end"]] == HEADLINE
    assert article["title"] == HEADLINE
    assert by_start(article, "Syrian National Coalition said")["sentence"].startswith(
        "The opposition"
    )  # no dateline


def test_each_claim_names_its_speaker_and_why_it_scored(api: ApiClient) -> None:
    article = post_story(api)

    lavrov = by_start(article, "rebel depot")
    assert lavrov["speaker"] == "Russian Foreign Minister Sergei Lavrov"
    assert lavrov["claim_date"] == "2017-04-05"
    assert by_start(article, "He added")["speaker"] == "Russian Foreign Minister Sergei Lavrov"
    assert by_start(article, "at least 80 people")["claim_date"] == "2017-04-04"
    reasons = {reason["signal"] for reason in by_start(article, "58 of the dead")["reasons"]}
    assert {"number", "attribution", "named-entity"} <= reasons
    assert by_start(article, "Thank you")["checkworthiness"] < 0.1


def test_one_ticket_per_check_worthy_claim_and_one_for_headline_and_lede(api: ApiClient, app: Flask) -> None:
    article = post_story(api)

    worthy = [claim for claim in article["claims"] if claim["checkworthiness"] >= 0.5]
    unworthy = [claim for claim in article["claims"] if claim["checkworthiness"] < 0.5]
    assert all(claim["ticket_id"] for claim in worthy)
    assert not any(claim["ticket_id"] for claim in unworthy)
    headline = next(claim for claim in article["claims"] if claim["part"] == "title")
    lede = by_start(article, "at least 80 people")
    assert headline["ticket_id"] == lede["ticket_id"]
    ticket_ids = {claim["ticket_id"] for claim in worthy}
    assert len(ticket_ids) == len(worthy) - 1

    ticket = api.get(f"/api/v1/tickets/{lede['ticket_id']}").get_json()
    assert ticket["claim"] == lede["sentence"]
    assert ticket["speaker"] == "the opposition Syrian National Coalition"
    assert ticket["claim_date"] == "2017-04-04"
    assert ticket["checkworthiness"] == lede["checkworthiness"]
    assert ticket["origin"] == {"channel": "article", "article_id": article["id"]}
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Ticket)) == len(ticket_ids)


def test_posting_the_same_article_again_creates_no_tickets(api: ApiClient, app: Flask) -> None:
    first = post_story(api)
    with app.app_context():
        tickets_before = db.session().scalar(select(func.count()).select_from(Ticket))

    again = api.post(ARTICLES, json={"text": WIRE_STORY.replace("\n\n", "\n\n\n"), "title": HEADLINE})

    assert again.status_code == 200
    assert again.get_json()["id"] == first["id"]
    assert again.get_json()["claims"] == first["claims"]
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Ticket)) == tickets_before
        assert db.session().scalar(select(func.max(Ticket.demand))) == 1


def test_an_article_repeating_an_open_claim_raises_its_demand(api: ApiClient) -> None:
    open_ticket = api.create_ticket("The Syrian army denied using chemical weapons.")

    article = post_story(api)

    assert by_start(article, "The Syrian army denied")["ticket_id"] == open_ticket["id"]
    assert api.get(f"/api/v1/tickets/{open_ticket['id']}").get_json()["demand"] == 2


def test_article_tickets_are_matched_against_earlier_claims(api: ApiClient, app: Flask) -> None:
    earlier = api.create_ticket("Russia says a rebel depot holding toxic substances was hit by an air strike")
    run_jobs(app)  # collection matches and indexes each claim

    article = post_story(api)
    run_jobs(app)

    ticket = api.get(f"/api/v1/tickets/{by_start(article, 'rebel depot')['ticket_id']}").get_json()
    assert ticket["matches"][0]["ticket_id"] == earlier["id"]
    assert ticket["matches"][0]["kind"] == "ticket"


def test_get_article_returns_the_stored_article(api: ApiClient) -> None:
    article = post_story(api)

    fetched = api.get(f"{ARTICLES}/{article['id']}")

    assert fetched.status_code == 200
    assert fetched.get_json() == article
    assert api.get(f"{ARTICLES}/nope").status_code == 404


def test_article_creation_is_audited_as_an_article_intake(api: ApiClient, app: Flask) -> None:
    post_story(api)

    with app.app_context():
        channels = {event.data["channel"] for event in db.session().scalars(select(TicketEvent))}
    assert channels == {"article"}


def test_openapi_describes_the_articles_endpoints(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()

    assert {"post"} <= set(spec["paths"]["/api/v1/articles"])
    assert {"get"} <= set(spec["paths"]["/api/v1/articles/{article_id}"])
    claim = spec["components"]["schemas"]["ArticleClaim"]["properties"]
    assert {"sentence", "start", "end", "speaker", "checkworthiness", "ticket_id"} <= set(claim)
