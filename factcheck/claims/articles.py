"""Article intake: store an article once, score its sentences, and open one ticket per distinct
check-worthy claim through ``factcheck.tickets.intake`` (channel ``article``).

Posting the same article again (same normalised title and text) returns the stored one and
opens nothing. Flushes only; the caller commits, then enqueues collection for the new tickets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from factcheck.actors import Actor
from factcheck.claims import extraction
from factcheck.claims.maintext import ArticleInputError, MainText, normalise_paragraphs
from factcheck.config import Settings
from factcheck.db import utcnow
from factcheck.models import Article, ArticleClaim
from factcheck.tickets import intake
from factcheck.tickets.representation import rfc3339


@dataclass
class ArticleSubmission:
    main: MainText
    input_kind: str
    title: str | None = None
    source_url: str | None = None
    published_at: datetime | None = None


@dataclass
class ArticleOutcome:
    article: Article
    created: bool
    new_ticket_ids: list[str] = field(default_factory=list)


def content_sha256(title: str | None, text: str) -> str:
    """What "the same article" means: the same title and text, up to case and whitespace."""
    canonical = (
        intake.normalise_claim(title or "") + "\n" + intake.normalise_claim(normalise_paragraphs(text))
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def submit_article(
    session: Session, submission: ArticleSubmission, actor: Actor, settings: Settings
) -> ArticleOutcome:
    """Store the article and its claims and open tickets, or return the article stored before."""
    main = submission.main
    if len(main.text) > settings.article_max_chars:
        raise ArticleInputError(
            413,
            f"The article text has {len(main.text)} characters; the limit is {settings.article_max_chars}.",
        )
    title = (submission.title or main.title or "").strip() or None
    digest = content_sha256(title, main.text)
    existing = _by_hash(session, digest)
    if existing is not None:
        return ArticleOutcome(existing, created=False)
    article = Article(
        content_sha256=digest,
        title=title[:1000] if title else None,
        text=main.text,
        input_kind=submission.input_kind,
        source_url=submission.source_url,
        published_at=submission.published_at,
        created_by_id=actor.user_id,
    )
    try:
        with session.begin_nested():
            session.add(article)
            session.flush()
    except IntegrityError:
        existing = _by_hash(session, digest)  # the same article, posted at the same moment
        if existing is None:
            raise
        return ArticleOutcome(existing, created=False)
    article_date = _article_date(submission, main)
    claims = extraction.extract(main.text, title, article_date, settings.article_checkworthiness_threshold)
    new_ids = _open_tickets(session, article, claims, actor, settings)
    article.claims = [_claim_row(position, claim) for position, claim in enumerate(claims)]
    session.flush()
    return ArticleOutcome(article, created=True, new_ticket_ids=new_ids)


def _by_hash(session: Session, digest: str) -> Article | None:
    return session.scalar(select(Article).where(Article.content_sha256 == digest))


def _article_date(submission: ArticleSubmission, main: MainText) -> date:
    """The date relative days count from: given, found in the page, else the day it was posted."""
    if submission.published_at is not None:
        return submission.published_at.date()
    return main.published or utcnow().date()


def _open_tickets(
    session: Session,
    article: Article,
    claims: list[extraction.ExtractedClaim],
    actor: Actor,
    settings: Settings,
) -> list[str]:
    """One ticket per group of same-claim sentences, most check-worthy groups first; sets ``ticket_id``."""
    groups: dict[int, list[extraction.ExtractedClaim]] = {}
    for claim in claims:
        if claim.group is not None:
            groups.setdefault(claim.group, []).append(claim)
    ranked = sorted(groups.values(), key=lambda members: -max(m.score.value for m in members))
    new_ids: list[str] = []
    for members in ranked[: settings.article_max_tickets]:
        lead = extraction.representative(members)
        submission = intake.Submission(
            claim=lead.sentence,
            channel="article",
            speaker=lead.speaker[:500] if lead.speaker else None,
            claim_date=lead.claim_date,
            source_url=article.source_url,
            checkworthiness=lead.score.value,
            article_id=article.id,
        )
        result = intake.submit_claim(session, submission, actor)
        if result.created:
            new_ids.append(result.ticket_id)
        for member in members:
            member.ticket_id = result.ticket_id
    return new_ids


def _claim_row(position: int, claim: extraction.ExtractedClaim) -> ArticleClaim:
    return ArticleClaim(
        position=position,
        part=claim.part,
        sentence=claim.sentence,
        start=claim.start,
        end=claim.end,
        speaker=claim.speaker[:500] if claim.speaker else None,
        speaker_rule=claim.speaker_rule,
        claim_date=claim.claim_date,
        checkworthiness=claim.score.value,
        reasons=claim.score.reasons,
        ticket_id=claim.ticket_id,
    )


def article_dict(article: Article) -> dict[str, Any]:
    """The article representation (API.md ``Articles``, plus where each claim came from)."""
    return {
        "id": article.id,
        "title": article.title,
        "source_url": article.source_url,
        "published_at": rfc3339(article.published_at),
        "created_at": rfc3339(article.created_at),
        "claims": [
            {
                "sentence": claim.sentence,
                "start": claim.start,
                "end": claim.end,
                "part": claim.part,
                "speaker": claim.speaker,
                "claim_date": claim.claim_date.isoformat() if claim.claim_date else None,
                "checkworthiness": claim.checkworthiness,
                "reasons": claim.reasons,
                "ticket_id": claim.ticket_id,
            }
            for claim in article.claims
        ],
        "links": {"self": f"/api/v1/articles/{article.id}"},
    }
