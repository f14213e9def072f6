"""The ticket representation of API.md, shared by the API and the outbox payloads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factcheck.models import Publication, Reference, Ticket, User
from factcheck.ratings import find_rating

API_PREFIX = "/api/v1"


def rfc3339(value: datetime | None) -> str | None:
    """``2026-11-28T15:47:07Z``: UTC, second precision."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_dict(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "email": user.email, "name": user.display_name or user.email, "role": user.role}


def latest_publication(session: Session, ticket_id: str) -> Publication | None:
    return session.scalars(
        select(Publication)
        .where(Publication.ticket_id == ticket_id)
        .order_by(Publication.version.desc())
        .limit(1)
    ).first()


def ticket_dict(session: Session, ticket: Ticket) -> dict[str, Any]:
    """Serialise ``ticket`` as API.md specifies."""
    references_count = (
        session.scalar(select(func.count()).select_from(Reference).where(Reference.ticket_id == ticket.id))
        or 0
    )
    return _shape(
        {key: getattr(ticket, key) for key in _COLUMNS_SHOWN},
        ticket.tags,
        assignee=user_dict(ticket.assignee),
        verdict=_verdict_dict(session, ticket),
        references_count=references_count,
        publication=latest_publication(session, ticket.id),
    )


def new_ticket_dict(columns: Mapping[str, Any], tags: list[str]) -> dict[str, Any]:
    """The representation of a ticket about to be opened with these column values and tags:
    no assignee, verdict, references or publication yet, so no look-ups."""
    return _shape(columns, tags, assignee=None, verdict=None, references_count=0, publication=None)


_COLUMNS_SHOWN = (
    "id", "claim", "speaker", "claim_date", "source_url", "language", "state", "version", "priority",
    "demand", "checkworthiness", "origin_channel", "origin_integration", "external_id", "article_id",
    "duplicate_of_id", "collection_status", "collection_progress", "collection_sources", "matches",
    "created_at", "updated_at",
)  # fmt: skip


def _shape(
    ticket: Mapping[str, Any],
    tags: list[str],
    *,
    assignee: dict[str, Any] | None,
    verdict: dict[str, Any] | None,
    references_count: int,
    publication: Publication | None,
) -> dict[str, Any]:
    ticket_id = ticket["id"]
    links = {
        "self": f"{API_PREFIX}/tickets/{ticket_id}",
        "references": f"{API_PREFIX}/tickets/{ticket_id}/references",
        "events": f"{API_PREFIX}/tickets/{ticket_id}/events",
    }
    if publication is not None and publication.kind != "retraction":
        links["claimreview"] = f"{API_PREFIX}/tickets/{ticket_id}/claimreview"
    origin: dict[str, Any] = {"channel": ticket["origin_channel"]}
    if ticket["origin_integration"]:
        origin["integration"] = ticket["origin_integration"]
    if ticket["external_id"]:
        origin["external_id"] = ticket["external_id"]
    if ticket["article_id"]:
        origin["article_id"] = ticket["article_id"]
    claim_date = ticket["claim_date"]
    return {
        "id": ticket_id,
        "claim": ticket["claim"],
        "speaker": ticket["speaker"],
        "claim_date": claim_date.isoformat() if claim_date else None,
        "source_url": ticket["source_url"],
        "language": ticket["language"],
        "tags": tags,
        "state": ticket["state"],
        "version": ticket["version"],
        "priority": ticket["priority"],
        "demand": ticket["demand"],
        "checkworthiness": ticket["checkworthiness"],
        "origin": origin,
        "assignee": assignee,
        "duplicate_of": ticket["duplicate_of_id"],
        "collection": {
            "status": ticket["collection_status"],
            "progress": ticket["collection_progress"],
            "sources": ticket["collection_sources"] or {},
        },
        "references_count": references_count,
        "matches": ticket["matches"] or [],
        "verdict": verdict,
        "publication": _publication_dict(publication),
        "created_at": rfc3339(ticket["created_at"]),
        "updated_at": rfc3339(ticket["updated_at"]),
        "links": links,
    }


def _verdict_dict(session: Session, ticket: Ticket) -> dict[str, Any] | None:
    draft = ticket.verdict
    if draft is None:
        return None
    rating = find_rating(session, draft.rating)
    return {
        "rating": draft.rating,
        "rating_label": rating.label if rating else draft.rating,
        "summary": draft.summary,
        "author": user_dict(draft.author),
    }


def _publication_dict(publication: Publication | None) -> dict[str, Any] | None:
    if publication is None:
        return None
    return {
        "version": publication.version,
        "url": f"/fact-checks/{publication.slug}",
        "published_at": rfc3339(publication.published_at),
        "kind": publication.kind,
    }
