"""The verification ticket aggregate: ticket, tags, audit events and the verdict draft."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from factcheck.db import Base, UTCDateTime, new_id, utcnow
from factcheck.models.user import User


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    claim: Mapped[str] = mapped_column(Text)
    claim_key: Mapped[str] = mapped_column(String(64), index=True)
    """SHA-256 of the normalised claim text: what "the same claim" means."""
    open_claim_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    """``claim_key`` while the ticket is open, NULL once closed: at most one open ticket per claim."""
    speaker: Mapped[str | None] = mapped_column(String(500))
    claim_date: Mapped[date | None] = mapped_column(Date)
    source_url: Mapped[str | None] = mapped_column(String(2048))
    language: Mapped[str] = mapped_column(String(16), default="en")
    state: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    demand: Mapped[int] = mapped_column(Integer, default=1)
    checkworthiness: Mapped[float | None] = mapped_column(Float)
    origin_channel: Mapped[str] = mapped_column(String(20))
    origin_integration: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(500))
    article_id: Mapped[str | None] = mapped_column(String(32))
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    researcher_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    """Who submitted the current verdict for review; never its approver."""
    duplicate_of_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    collection_status: Mapped[str] = mapped_column(String(20), default="queued")
    collection_progress: Mapped[float] = mapped_column(Float, default=0.0)
    collection_sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    collection_attempts: Mapped[int] = mapped_column(Integer, default=0)
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    tag_rows: Mapped[list[TicketTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="TicketTag.tag"
    )
    verdict: Mapped[VerdictDraft | None] = relationship(cascade="all, delete-orphan", lazy="selectin")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_tickets_created_at_id", "created_at", "id"),)

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]


class TicketTag(Base):
    __tablename__ = "ticket_tags"

    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class TicketEvent(Base):
    """One line of the audit trail: who did what to a ticket, when, and the state change."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(320))
    """Who acted, kept even if the user is deleted: an email, ``system`` or ``integration:NAME``."""
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(128))
    """``X-Request-ID`` of the HTTP request behind the change, also when a job it queued wrote it."""
    job_id: Mapped[str | None] = mapped_column(String(128))
    """The RQ job that wrote the event (``collect-<ticket id>``, ``deliver-…``); None for a request."""


class VerdictDraft(Base):
    """The verdict being drafted for a ticket: rating and summary."""

    __tablename__ = "verdict_drafts"

    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    rating: Mapped[str] = mapped_column(String(50))
    summary: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    author: Mapped[User | None] = relationship(lazy="joined")
