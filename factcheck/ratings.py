"""The rating scale verdicts are given on (the default from DESIGN.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rating:
    slug: str
    label: str
    value: int | None
    description: str


DEFAULT_SCALE: tuple[Rating, ...] = (
    Rating("true", "True", 5, "The claim is accurate and nothing significant is missing."),
    Rating("mostly-true", "Mostly true", 4, "Accurate but needs clarification or additional information."),
    Rating("half-true", "Half true", 3, "Partially accurate; leaves out important details or context."),
    Rating("mostly-false", "Mostly false", 2, "Contains an element of truth but ignores critical facts."),
    Rating("false", "False", 1, "The claim is not accurate."),
    Rating("unproven", "Unproven", None, "The evidence available neither proves nor disproves the claim."),
)


def find_rating(slug: str) -> Rating | None:
    """The rating with this slug on the scale in force, or None."""
    return next((rating for rating in DEFAULT_SCALE if rating.slug == slug), None)
