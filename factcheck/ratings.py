"""The rating scale verdicts are given on, kept in the database and edited by admins.

Until an admin sets a scale (an empty ``ratings`` table) the default from DESIGN.md is in
force; the initial migration also inserts it. Look-ups are cached on the session, which
is one unit of work, so a list of tickets costs one query for the scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from factcheck.models import Publication, Rating, Ticket, VerdictDraft

_CACHE_KEY = "factcheck.rating_scale"
PENDING_STATES = ("in_review", "approved")
"""Verdicts in these states are about to be published: their rating must stay on the scale."""


@dataclass(frozen=True)
class RatingSpec:
    """A rating as written by an admin (or the default): what the scale is made of."""

    slug: str
    label: str
    value: int | None
    description: str


DEFAULT_SCALE: tuple[RatingSpec, ...] = (
    RatingSpec("true", "True", 5, "The claim is accurate and nothing significant is missing."),
    RatingSpec(
        "mostly-true", "Mostly true", 4, "Accurate but needs clarification or additional information."
    ),
    RatingSpec("half-true", "Half true", 3, "Partially accurate; leaves out important details or context."),
    RatingSpec("mostly-false", "Mostly false", 2, "Contains an element of truth but ignores critical facts."),
    RatingSpec("false", "False", 1, "The claim is not accurate."),
    RatingSpec(
        "unproven", "Unproven", None, "The evidence available neither proves nor disproves the claim."
    ),
)


class RatingsInUse(Exception):
    """The new scale drops ratings that published or pending verdicts use (409)."""

    def __init__(self, slugs: Sequence[str]) -> None:
        super().__init__(", ".join(slugs))
        self.slugs = list(slugs)


def scale(session: Session) -> list[Rating]:
    """The ratings in force, in display order (the default scale while none is stored)."""
    cached: list[Rating] | None = session.info.get(_CACHE_KEY)
    if cached is None:
        cached = list(session.scalars(select(Rating).order_by(Rating.position, Rating.slug)))
        if not cached:
            cached = [_row(spec, position) for position, spec in enumerate(DEFAULT_SCALE)]
        session.info[_CACHE_KEY] = cached
    return cached


def find_rating(session: Session, slug: str) -> Rating | None:
    """The rating with this slug on the scale in force, or None."""
    return next((rating for rating in scale(session) if rating.slug == slug), None)


def numeric_bounds(ratings: Sequence[Rating]) -> tuple[int, int] | None:
    """``(worst, best)`` of the numeric ratings on the scale, or None if no rating has a number."""
    values = [rating.value for rating in ratings if rating.value is not None]
    return (min(values), max(values)) if values else None


def slugs_in_use(session: Session) -> set[str]:
    """Ratings that a publication (any version) or a verdict awaiting review or publication uses."""
    queries = (
        select(Publication.rating).where(Publication.rating.is_not(None)),
        select(Publication.previous_rating).where(Publication.previous_rating.is_not(None)),
        select(VerdictDraft.rating)
        .join(Ticket, Ticket.id == VerdictDraft.ticket_id)
        .where(Ticket.state.in_(PENDING_STATES)),
    )
    return {slug for query in queries for slug in session.scalars(query.distinct()) if slug}


def replace_scale(session: Session, specs: Sequence[RatingSpec]) -> list[Rating]:
    """Make ``specs`` (in this order) the scale; flushes. Raises ``RatingsInUse``.

    Ratings are matched by slug: a kept slug is edited in place, so published fact-checks
    show its new label and description.
    """
    wanted = {spec.slug for spec in specs}
    missing = sorted(slugs_in_use(session) - wanted)
    if missing:
        raise RatingsInUse(missing)
    stored = {row.slug: row for row in session.scalars(select(Rating))}
    for slug, row in stored.items():
        if slug not in wanted:
            session.delete(row)
    rows = []
    for position, spec in enumerate(specs):
        row = stored.get(spec.slug) or Rating(slug=spec.slug)
        row.label, row.value, row.description, row.position = (
            spec.label,
            spec.value,
            spec.description,
            position,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    session.info[_CACHE_KEY] = rows
    return rows


def _row(spec: RatingSpec, position: int) -> Rating:
    return Rating(
        slug=spec.slug, label=spec.label, value=spec.value, description=spec.description, position=position
    )
