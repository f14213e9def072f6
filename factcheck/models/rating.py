"""The rating scale verdicts are given on: one row per rating, in display order."""

from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from factcheck.db import Base


class Rating(Base):
    """A rating an admin put on the scale. The slug is what verdicts and publications store."""

    __tablename__ = "ratings"

    slug: Mapped[str] = mapped_column(String(50), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[int | None] = mapped_column(Integer)
    """Position on the numeric scale (higher is more accurate); None for ratings off the scale."""
    position: Mapped[int] = mapped_column(Integer, default=0)
    """Display order, lowest first."""
