"""The reference library: trusted documents the newsroom keeps, split into searchable passages.

Full-text search over passages is not part of these models: it lives in database objects
created by hand in migration 0004 (an FTS5 table on SQLite, a generated ``tsvector`` column
with a GIN index on PostgreSQL), listed in ``factcheck.references.fulltext.SEARCH_OBJECTS``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from factcheck.db import Base, UTCDateTime, new_id, utcnow


class LibraryDocument(Base):
    """One trusted document (report, dataset note, article) as it was added to the library."""

    __tablename__ = "library_documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(1000))
    url: Mapped[str | None] = mapped_column(String(2048))
    publisher: Mapped[str | None] = mapped_column(String(500))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    """SHA-256 of the text: the same text added twice is stored once."""
    passage_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LibraryPassage(Base):
    """A few sentences of a document: the unit the library searches and cites.

    ``title`` repeats the document's title so the full-text index can weigh it per passage.
    """

    __tablename__ = "library_passages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("library_documents.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(1000))
    text: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("document_id", "position"),)
