"""A published fact-check as readers see it: the ticket's claim and every public version.

Everything public comes from ``Publication`` rows (rating, summary, evidence, notes) and
the claim fields of the ticket; the verdict draft and the live references never do, so
work in progress after a reopen cannot leak onto pages, feeds or ClaimReview.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from factcheck.config import Settings
from factcheck.models import Publication, Rating, Ticket
from factcheck.ratings import find_rating, numeric_bounds, scale

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
SLUG_MAX = 200
PAGES_PREFIX = "/fact-checks"


@dataclass(frozen=True)
class Organisation:
    """The publisher named on pages, feeds and ClaimReview (from settings)."""

    name: str
    url: str
    logo: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Organisation:
        return cls(
            name=settings.organisation_name,
            url=settings.organisation_url or settings.base_url,
            logo=settings.organisation_logo or None,
        )


def public_url(settings: Settings, path: str) -> str:
    """An absolute URL on this instance's public host (``Settings.base_url``)."""
    return settings.base_url.rstrip("/") + path


def page_path(slug: str) -> str:
    return f"{PAGES_PREFIX}/{slug}"


@dataclass
class FactCheck:
    """One ticket's publication history, oldest version first, with the rating scale in force."""

    ticket: Ticket
    versions: list[Publication]
    ratings: list[Rating]

    @property
    def current(self) -> Publication:
        return self.versions[-1]

    @property
    def slug(self) -> str:
        return self.current.slug

    @property
    def retracted(self) -> bool:
        return self.current.kind == "retraction"

    @property
    def under_review(self) -> bool:
        """Reopened: the current version stays public while the verdict is reviewed again."""
        return not self.retracted and self.ticket.state != "published"

    @property
    def published_at(self) -> datetime:
        return self.versions[0].published_at

    @property
    def modified_at(self) -> datetime:
        return self.current.published_at

    @property
    def rating(self) -> Rating | None:
        return self.rating_for(self.current.rating)

    @property
    def changes(self) -> list[Publication]:
        """Every version after the first (updates, corrections, a retraction), newest first."""
        return list(reversed(self.versions[1:]))

    @property
    def evidence(self) -> list[dict[str, Any]]:
        return list(self.current.evidence or [])

    @property
    def bounds(self) -> tuple[int, int] | None:
        """``(worst, best)`` of the numeric scale, or None when no rating carries a number."""
        return numeric_bounds(self.ratings)

    def rating_for(self, slug: str | None) -> Rating | None:
        return next((rating for rating in self.ratings if rating.slug == slug), None) if slug else None

    def rating_label(self, slug: str | None) -> str | None:
        rating = self.rating_for(slug)
        return rating.label if rating else slug


def by_slug(session: Session, slug: str) -> FactCheck | None:
    """The fact-check published under ``slug``, or None (also for a slug no page could have)."""
    if len(slug) > SLUG_MAX or not SLUG.match(slug):
        return None
    ticket_id = session.scalar(
        select(Publication.ticket_id).where(Publication.slug == slug).order_by(Publication.id).limit(1)
    )
    return for_ticket(session, ticket_id) if ticket_id else None


def for_ticket(session: Session, ticket_id: str) -> FactCheck | None:
    """The fact-check of a ticket, or None if the ticket was never published."""
    if len(ticket_id) > 64 or not ticket_id.isprintable():  # no such id; PostgreSQL refuses NUL
        return None
    versions = list(
        session.scalars(
            select(Publication).where(Publication.ticket_id == ticket_id).order_by(Publication.version)
        )
    )
    ticket = session.get(Ticket, ticket_id) if versions else None
    if ticket is None:
        return None
    return FactCheck(ticket=ticket, versions=versions, ratings=scale(session))


def rating_label(session: Session, slug: str | None) -> str | None:
    """The label of a rating slug on the scale in force (the slug itself if it left the scale)."""
    if slug is None:
        return None
    rating = find_rating(session, slug)
    return rating.label if rating else slug
