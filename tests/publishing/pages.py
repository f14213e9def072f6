"""Reading what the public sees: JSON-LD blocks of a page, extruct's view of it, the feeds."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import extruct
import fastfeedparser
import feedparser
from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from factcheck.models import Publication

LD_JSON = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def ld_json_blocks(html: str) -> list[dict[str, Any]]:
    """Every ``<script type="application/ld+json">`` of the page, parsed."""
    return [json.loads(block) for block in LD_JSON.findall(html)]


def extracted_claimreviews(html: str, url: str) -> list[dict[str, Any]]:
    """The ClaimReview items ``extruct`` (as used by crawlers and validators) finds in the page."""
    items = extruct.extract(html, base_url=url, syntaxes=["json-ld"], uniform=True)["json-ld"]
    return [item for item in items if item.get("@type") == "ClaimReview"]


def atom(response: TestResponse) -> Any:
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def json_feed(response: TestResponse) -> tuple[dict[str, Any], Any]:
    """The JSON Feed as sent and as parsed by a consumer (feedparser 6 reads no JSON Feed)."""
    assert response.status_code == 200 and response.mimetype == "application/feed+json"
    document: dict[str, Any] = json.loads(response.data)
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert all(
        item["id"] and ("content_text" in item or "content_html" in item) for item in document["items"]
    )
    return document, fastfeedparser.parse(response.data.decode())


def backdate_publications(app: Flask, ticket_id: str, days: int) -> None:
    """Move a ticket's versions into the past, so dates and newest-first order are distinct."""
    with app.app_context():
        from factcheck import db

        session = db.session()
        for publication in session.scalars(select(Publication).where(Publication.ticket_id == ticket_id)):
            publication.published_at = publication.published_at - timedelta(days=days)
        session.commit()


__all__ = ["atom", "backdate_publications", "extracted_claimreviews", "json_feed", "ld_json_blocks"]
