"""Save a collection's ranked candidates as the ticket's references, with provenance.

Re-running collection replaces only what collection itself added and nobody touched:
references added by hand, pinned, or given a stance are kept, and a new candidate that
duplicates one of them (same canonical URL or content) is not added again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from factcheck.db import utcnow
from factcheck.models import ArchivedText, Reference
from factcheck.references.ranking import canonical_url
from factcheck.references.sources import Candidate

SYSTEM_LABEL = "system"


def _kept(reference: Reference) -> bool:
    """A person added, pinned or judged this reference: collection must leave it alone."""
    return reference.pinned or reference.added_by_label != SYSTEM_LABEL or reference.stance != "unknown"


def replace_references(session: Session, ticket_id: str, ranked: list[Candidate]) -> int:
    """Swap the ticket's untouched collected references for ``ranked``; returns how many were added."""
    existing = list(session.scalars(select(Reference).where(Reference.ticket_id == ticket_id)))
    kept = [reference for reference in existing if _kept(reference)]
    stale = [reference.id for reference in existing if not _kept(reference)]
    if stale:
        session.execute(delete(Reference).where(Reference.id.in_(stale)))
    taken = {canonical_url(reference.url) for reference in kept if reference.url}
    taken |= {reference.content_sha256 for reference in kept if reference.content_sha256}
    now = utcnow()
    added = 0
    for position, candidate in enumerate(ranked, start=1):
        url = canonical_url(candidate.url)
        if (url and url in taken) or candidate.content_sha256 in taken:
            continue
        session.add(_reference(ticket_id, candidate, position, now))
        if candidate.archived_text is not None:
            archive(session, candidate)
        added += 1
    session.flush()
    return added


def _reference(ticket_id: str, candidate: Candidate, position: int, now: Any) -> Reference:
    return Reference(
        ticket_id=ticket_id,
        source=candidate.source,
        title=(candidate.title or "")[:1000] or None,
        url=candidate.url,
        publisher=(candidate.publisher or "")[:500] or None,
        published_at=candidate.published_at,
        passage=candidate.passage,
        score=candidate.score,
        rank=position,
        stance="unknown",
        pinned=False,
        added_by_label=SYSTEM_LABEL,
        query=candidate.query,
        document_id=candidate.document_id,
        retrieved_at=now,
        content_sha256=candidate.content_sha256,
        source_version=(candidate.source_version or "")[:200] or None,
    )


def archive(session: Session, candidate: Candidate) -> None:
    """Keep the fetched text under its hash (once, however many tickets cite it)."""
    assert candidate.archived_text is not None
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ArchivedText).values(
        content_sha256=candidate.content_sha256,
        text=candidate.archived_text,
        url=candidate.url,
        content_type=candidate.content_type,
        fetched_bytes=int(candidate.extra.get("fetched_bytes", 0)),
        created_at=utcnow(),
    )
    session.execute(statement.on_conflict_do_nothing(index_elements=["content_sha256"]))


def merge_matches(existing: list[dict[str, Any]], found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``matches`` with the new ones added or refreshed, best first (entries from elsewhere stay).

    A refreshed entry keeps the claim matcher's ``score`` and ``link`` (``factcheck.claims.linking``
    decides what is auto-linked); a source may update the rest, such as a changed rating.
    """

    def key(match: dict[str, Any]) -> tuple[str, str]:
        return match.get("kind", ""), match.get("ticket_id") or match.get("url") or ""

    merged = {key(match): match for match in existing}
    for match in found:
        earlier = merged.get(key(match), {})
        fresh = {**earlier, **{name: value for name, value in match.items() if value is not None}}
        if "link" in earlier:
            fresh.update(link=earlier["link"], score=earlier["score"])
        merged[key(match)] = fresh
    return sorted(merged.values(), key=lambda match: -float(match.get("score") or 0))
