"""Submit an article: its claims with scores, speakers and reasons, and tickets for picked claims."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import select

from factcheck.db import unit_of_work
from factcheck.models import Article, ArticleClaim, Ticket
from tests.web.support import XSS, WebClient, text

ARTICLE = (
    "The economy in numbers\n\n"
    '"Unemployment fell to 3% in 2025, the lowest rate in forty years," said Finance Minister Jane Doe '
    "on Tuesday. Critics disagreed. The weather was pleasant in the capital. "
    "According to the statistics office, inflation rose by 7.2% last year while wages grew by 2%."
)


def _submit(web: WebClient, text_: str = ARTICLE) -> str:
    response = web.post("/app/articles/new", {"title": "The economy in numbers", "text": text_})
    assert response.status_code == 302, text(response)
    location: str = response.headers["Location"]
    return location.rsplit("/", 1)[1]


def test_an_article_shows_its_claims_with_scores_speakers_and_reasons(
    app: Flask, signed_in: Callable[[str], WebClient]
) -> None:
    web = signed_in("checker")

    article_id = _submit(web)
    page = text(web.get(f"/app/articles/{article_id}"))

    assert "Unemployment fell to 3% in 2025" in page
    assert "Jane Doe" in page  # the speaker
    assert 'aria-label="Why this score"' in page
    with app.app_context(), unit_of_work() as session:
        claims = session.scalars(select(ArticleClaim).where(ArticleClaim.article_id == article_id)).all()
        ticketed = [claim for claim in claims if claim.ticket_id]
        assert ticketed, "the check-worthy claims got tickets on their own"
        for claim in claims:
            assert f"{claim.checkworthiness:.2f}" in page
        for claim in ticketed:
            assert f"/app/tickets/{claim.ticket_id}" in page


def test_ticking_a_claim_opens_a_ticket_for_it(app: Flask, signed_in: Callable[[str], WebClient]) -> None:
    web = signed_in("checker")
    article_id = _submit(web)
    with app.app_context(), unit_of_work() as session:
        unticketed = session.scalars(
            select(ArticleClaim).where(
                ArticleClaim.article_id == article_id, ArticleClaim.ticket_id.is_(None)
            )
        ).first()
        assert unticketed is not None
        position, sentence = unticketed.position, unticketed.sentence

    response = web.post(
        f"/app/articles/{article_id}/tickets", {"claim": str(position)}, follow_redirects=True
    )

    assert "1 tickets opened." in text(response)
    with app.app_context(), unit_of_work() as session:
        claim = session.scalars(
            select(ArticleClaim).where(
                ArticleClaim.article_id == article_id, ArticleClaim.position == position
            )
        ).one()
        ticket = session.get(Ticket, claim.ticket_id)
        assert ticket is not None
        assert (ticket.claim, ticket.origin_channel, ticket.article_id) == (sentence, "article", article_id)


def test_posting_the_same_article_again_opens_nothing_new(
    app: Flask, signed_in: Callable[[str], WebClient]
) -> None:
    web = signed_in("checker")
    first = _submit(web)
    with app.app_context(), unit_of_work() as session:
        tickets_before = len(session.scalars(select(Ticket.id)).all())

    again = web.post(
        "/app/articles/new", {"title": "The economy in numbers", "text": ARTICLE}, follow_redirects=True
    )

    assert again.request.path == f"/app/articles/{first}"
    assert "submitted before" in text(again)
    with app.app_context(), unit_of_work() as session:
        assert len(session.scalars(select(Ticket.id)).all()) == tickets_before
        assert len(session.scalars(select(Article.id)).all()) == 1


def test_an_empty_article_form_says_what_is_missing(signed_in: Callable[[str], WebClient]) -> None:
    response = signed_in("checker").post("/app/articles/new", {"title": "Only a title"})

    assert response.status_code == 400
    assert "Paste the article&#39;s text or give its URL." in text(response)


def test_markup_in_an_article_is_escaped(signed_in: Callable[[str], WebClient]) -> None:
    web = signed_in("checker")
    article_id = _submit(
        web, f"The president said {XSS} cost 40% more in 2024 than in 2023, according to reports."
    )

    page = text(web.get(f"/app/articles/{article_id}"))

    assert "<script>alert(1)" not in page and "<img src=x" not in page
