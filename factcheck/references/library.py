"""The ``library`` source: passages of the newsroom's own trusted documents (full-text search)."""

from __future__ import annotations

from factcheck import db
from factcheck.config import Settings
from factcheck.references import documents
from factcheck.references.sources import Candidate, ClaimQuery, Source

PER_CLAIM = 10


def search(query: ClaimQuery, settings: Settings) -> list[Candidate]:
    with db.unit_of_work() as session:
        hits = documents.search(session, query.claim, PER_CLAIM, settings.library_candidates)
    return [
        Candidate(
            source="library",
            title=hit.title,
            url=hit.url,
            passage=hit.passage,
            query=query.claim,
            source_score=hit.score,
            publisher=hit.publisher,
            published_at=hit.published_at,
            document_id=hit.document_id,
            source_version=f"sha256:{hit.content_sha256[:16]}",
        )
        for hit in hits
    ]


SOURCE = Source("library", trust=0.9, search=search, timeout=lambda settings: settings.library_timeout)
