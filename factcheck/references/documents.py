"""The reference library's documents: split into passages, stored, searched.

Service functions flush and never commit; the API request or the CLI command commits.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from factcheck.db import new_id, utcnow
from factcheck.models import LibraryDocument, LibraryPassage
from factcheck.references import fulltext

_DOCUMENT_COLUMNS = (
    "id",
    "title",
    "url",
    "publisher",
    "published_at",
    "content_sha256",
    "passage_count",
    "created_at",
)
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]*[A-Z0-9])")


@dataclass(frozen=True)
class NewDocument:
    title: str
    text: str
    url: str | None = None
    publisher: str | None = None
    published_at: datetime | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NewDocument:
        return cls(
            title=data["title"].strip(),
            text=data["text"],
            url=data.get("url"),
            publisher=data.get("publisher"),
            published_at=data.get("published_at"),
        )


def split_passages(text: str, max_words: int) -> list[str]:
    """Whole sentences packed into passages of about ``max_words`` words; paragraphs never merge."""
    passages: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        current: list[str] = []
        size = 0
        for sentence in _SENTENCE_END.split(paragraph):
            length = len(sentence.split())
            if current and size + length > max_words:
                passages.append(" ".join(current))
                current, size = [], 0
            current.append(sentence)
            size += length
        if current:
            passages.append(" ".join(current))
    return passages


def add_documents(
    session: Session, documents: Iterable[NewDocument], max_words: int
) -> list[tuple[LibraryDocument, bool]]:
    """Store each document and its passages; the same title and text again is not stored twice.

    Returns ``(document, created)`` pairs in input order. Executes inserts; the caller commits.
    """
    results: list[tuple[LibraryDocument, bool]] = []
    document_rows: list[dict[str, Any]] = []
    passage_rows: list[dict[str, Any]] = []
    batch = [(new, hashlib.sha256(new.text.encode("utf-8")).hexdigest()) for new in documents]
    seen = _stored(session, {digest for _new, digest in batch})
    for new, digest in batch:
        existing = seen.get((digest, new.title))
        if existing is not None:
            results.append((existing, False))
            continue
        passages = split_passages(new.text, max_words) or [new.title]
        document = LibraryDocument(
            id=new_id(),
            title=new.title,
            url=new.url,
            publisher=new.publisher,
            published_at=new.published_at,
            content_sha256=digest,
            passage_count=len(passages),
            created_at=utcnow(),
        )
        document_rows.append({column: getattr(document, column) for column in _DOCUMENT_COLUMNS})
        seen[(digest, new.title)] = document
        results.append((document, True))
        passage_rows.extend(
            {"document_id": document.id, "position": position, "title": new.title, "text": passage}
            for position, passage in enumerate(passages)
        )
    if document_rows:  # bulk inserts: a library import can hold millions of passages
        session.execute(insert(LibraryDocument), document_rows)
        session.execute(insert(LibraryPassage), passage_rows)
    return results


def _stored(session: Session, digests: set[str]) -> dict[tuple[str, str], LibraryDocument]:
    """Documents already in the library with one of these text hashes, by (hash, title)."""
    found: dict[tuple[str, str], LibraryDocument] = {}
    ordered = sorted(digests)
    for start in range(0, len(ordered), 500):
        rows = session.scalars(
            select(LibraryDocument).where(LibraryDocument.content_sha256.in_(ordered[start : start + 500]))
        )
        found.update({(row.content_sha256, row.title): row for row in rows})
    return found


@dataclass(frozen=True)
class LibraryHit:
    document_id: str
    passage_id: int
    title: str
    url: str | None
    publisher: str | None
    published_at: datetime | None
    passage: str
    score: float
    content_sha256: str

    def as_dict(self) -> dict[str, Any]:
        """The ``GET /api/v1/library/search`` item."""
        return {
            "document_id": self.document_id,
            "title": self.title,
            "url": self.url,
            "passage": self.passage,
            "score": self.score,
        }


def search(session: Session, query: str, limit: int, candidates: int) -> list[LibraryHit]:
    """The library passages that best match ``query``, best first."""
    hits = fulltext.search(session, fulltext.LIBRARY, query, limit, candidates)
    if not hits:
        return []
    rows = session.execute(
        select(LibraryPassage, LibraryDocument)
        .join(LibraryDocument, LibraryDocument.id == LibraryPassage.document_id)
        .where(LibraryPassage.id.in_([hit.row_id for hit in hits]))
    ).all()
    by_id = {passage.id: (passage, document) for passage, document in rows}
    results = []
    for hit in hits:
        if hit.row_id not in by_id:
            continue
        passage, document = by_id[hit.row_id]
        results.append(
            LibraryHit(
                document_id=document.id,
                passage_id=passage.id,
                title=document.title,
                url=document.url,
                publisher=document.publisher,
                published_at=document.published_at,
                passage=passage.text,
                score=hit.score,
                content_sha256=document.content_sha256,
            )
        )
    return results
