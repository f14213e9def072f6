"""Tickets for article claims a person picked by hand (below the check-worthiness threshold).

``factcheck.claims.articles`` opens tickets for the check-worthy claims on its own; the web
app's article page lets a fact-checker open tickets for other sentences too. Flushes only;
the caller commits, then enqueues collection for the new tickets.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from factcheck.actors import Actor
from factcheck.models import Article
from factcheck.tickets import intake

CHANNEL = "article"


def open_tickets(session: Session, article: Article, positions: Iterable[int], actor: Actor) -> list[str]:
    """Open (or add demand to) a ticket for each claim at ``positions`` that has none yet.

    Returns the ids of the tickets newly opened. Unknown positions are ignored.
    """
    wanted = set(positions)
    new_ids: list[str] = []
    for claim in article.claims:
        if claim.position not in wanted or claim.ticket_id is not None:
            continue
        submission = intake.Submission(
            claim=claim.sentence,
            channel=CHANNEL,
            speaker=claim.speaker,
            claim_date=claim.claim_date,
            source_url=article.source_url,
            checkworthiness=claim.checkworthiness,
            article_id=article.id,
        )
        result = intake.submit_claim(session, submission, actor)
        claim.ticket_id = result.ticket_id
        if result.created:
            new_ids.append(result.ticket_id)
    session.flush()
    return new_ids
