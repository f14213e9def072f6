"""Feeds of published versions, newest first: JSON Feed 1.1 and the entries of the Atom feed.

Every publication version is one entry (first publication, update, correction, retraction),
so a correction reaches subscribers as its own item. Entries are built from publication
rows only: drafts never reach a feed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from factcheck.config import Settings
from factcheck.models import Publication, Ticket
from factcheck.publishing.factchecks import Organisation, page_path, public_url, rating_label
from factcheck.tickets.representation import rfc3339

FEED_SIZE = 50
TITLE_MAX = 140
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_KIND_TITLES = {
    "initial": "Fact check",
    "update": "Update",
    "correction": "Correction",
    "retraction": "Retracted",
}


@dataclass(frozen=True)
class Entry:
    """One feed item: a publication version of a fact-check."""

    id: str
    url: str
    title: str
    text: str
    kind: str
    rating: str | None
    published_at: datetime
    language: str


def entries(session: Session, settings: Settings, limit: int = FEED_SIZE) -> list[Entry]:
    """The newest ``limit`` publication versions, newest first."""
    rows = session.execute(
        select(Publication, Ticket)
        .join(Ticket, Ticket.id == Publication.ticket_id)
        .order_by(Publication.published_at.desc(), Publication.id.desc())
        .limit(limit)
    ).all()
    return [_entry(session, settings, publication, ticket) for publication, ticket in rows]


def _entry(session: Session, settings: Settings, publication: Publication, ticket: Ticket) -> Entry:
    url = public_url(settings, page_path(publication.slug))
    label = rating_label(session, publication.rating)
    previous = rating_label(session, publication.previous_rating)
    lines = []
    if publication.kind == "retraction":
        lines.append(f"This fact-check was retracted. {publication.note or ''}".strip())
    else:
        if publication.kind == "correction" and previous and previous != label:
            lines.append(f"Rating corrected from {previous} to {label}.")
        elif label:
            lines.append(f"Rating: {label}.")
        if publication.note:
            lines.append(publication.note)
        if publication.summary:
            lines.append(publication.summary)
    claim = ticket.claim if len(ticket.claim) <= TITLE_MAX else ticket.claim[: TITLE_MAX - 1] + "…"
    return Entry(
        id=f"{url}#version-{publication.version}",
        url=url if publication.version == 1 else f"{url}#version-{publication.version}",
        title=f"{_KIND_TITLES.get(publication.kind, publication.kind)}: {claim}",
        text="\n\n".join(lines),
        kind=publication.kind,
        rating=label,
        published_at=publication.published_at,
        language=ticket.language,
    )


def json_feed(items: list[Entry], settings: Settings, organisation: Organisation) -> dict[str, Any]:
    """A JSON Feed 1.1 document (https://jsonfeed.org/version/1.1)."""
    author: dict[str, Any] = {"name": organisation.name, "url": organisation.url}
    if organisation.logo:
        author["avatar"] = organisation.logo
    return {
        "version": JSON_FEED_VERSION,
        "title": f"{organisation.name}: fact-checks",
        "home_page_url": public_url(settings, "/fact-checks/"),
        "feed_url": public_url(settings, "/fact-checks/feed.json"),
        "description": "Published fact-checks, with every update, correction and retraction.",
        "authors": [author],
        "items": [
            {
                "id": entry.id,
                "url": entry.url,
                "title": entry.title,
                "content_text": entry.text,
                "date_published": rfc3339(entry.published_at),
                "date_modified": rfc3339(entry.published_at),
                "language": entry.language,
                "tags": [entry.kind, *([entry.rating] if entry.rating else [])],
            }
            for entry in items
        ],
    }


def xml_text(value: object) -> str:
    """Text with the characters XML 1.0 cannot hold, even escaped, removed (for the Atom feed)."""
    return _NOT_XML.sub("", str(value)) if value is not None else ""
