"""Text to claims: sentences, speakers, claim dates, check-worthiness, and matching claims
against earlier ones (open tickets, published and imported fact-checks)."""

from __future__ import annotations

from flask import Flask


def init_app(_app: Flask) -> None:
    """Keep imported ClaimReviews in the matching index as they are written (idempotent)."""
    from factcheck.claims import index

    index.listen()
