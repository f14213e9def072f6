"""What every reference source has in common: the question, the answers, the outcome.

A source is a module under ``factcheck.references`` with a ``SOURCE`` object: a ``name``, a
``trust`` tier (0..1, used by ranking), a ``timeout`` taken from settings and a ``search``
function. ``search`` receives a ``ClaimQuery`` (plain values, never ORM objects), opens its own
short database session if it needs one, and returns ``Candidate``s. It may raise: the
collection job records the error under ``collection.sources[name]`` and goes on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from factcheck.config import Settings


@dataclass(frozen=True)
class ClaimQuery:
    """What sources are asked about: one ticket's claim and its context."""

    ticket_id: str
    claim: str
    source_url: str | None = None
    language: str = "en"
    claim_date: date | None = None


@dataclass
class Candidate:
    """One piece of evidence a source found, with its provenance."""

    source: str
    title: str | None
    url: str | None
    passage: str
    query: str
    """What the source was asked (provenance)."""
    source_score: float = 0.0
    """The source's own relevance score; only comparable within that source."""
    publisher: str | None = None
    published_at: datetime | None = None
    document_id: str | None = None
    source_version: str | None = None
    """Version of what was retrieved: page revision, ETag, document hash (provenance)."""
    archived_text: str | None = None
    """Full text to keep as the saved copy (web pages); its hash is ``content_sha256``."""
    content_type: str | None = None
    match: dict[str, Any] | None = None
    """For earlier fact-checks: the ``matches`` entry this candidate would make."""
    score: float = 0.0
    """Set by ranking: relevance to the claim times the source's trust tier."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def content_sha256(self) -> str:
        """SHA-256 of the saved copy (or of the passage when there is no separate copy)."""
        body = self.archived_text if self.archived_text is not None else self.passage
        return hashlib.sha256(body.encode("utf-8")).hexdigest()


class SourceSkipped(Exception):
    """The source has nothing to do for this claim or deployment (no URL, no API key)."""


@dataclass(frozen=True)
class Source:
    name: str
    trust: float
    """Per-source trust tier (0..1): curated sources rank above open-web ones."""
    search: Callable[[ClaimQuery, Settings], list[Candidate]]
    timeout: Callable[[Settings], float]
