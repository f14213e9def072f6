"""Publication endpoints: a ticket's ClaimReview (signed in) and the public list of fact-checks."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, json
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from factcheck import db
from factcheck.api import publication_schemas as schemas
from factcheck.api.problems import Problem
from factcheck.api.writes import api_blueprint, json_response, require_user
from factcheck.config import Settings
from factcheck.limits import limit, public_limit
from factcheck.publishing import factchecks, queries
from factcheck.publishing.claimreview import claimreview
from factcheck.ratings import find_rating
from factcheck.tickets.representation import rfc3339

blp = api_blueprint("publications", __name__, "ClaimReview of published tickets")
public_blp = Blueprint(
    "fact_checks",
    __name__,
    url_prefix="/api/v1",
    description="Published fact-checks, for anyone (no login; rate-limited)",
)


def _settings() -> Settings:
    settings: Settings = current_app.extensions["factcheck.settings"]
    return settings


@blp.route("/tickets/<string:ticket_id>/claimreview", methods=["GET"])
@blp.alt_response(200, schema=schemas.ClaimReview, content_type="application/ld+json")
def get_claimreview(ticket_id: str) -> Response:
    """The ClaimReview JSON-LD of the live version; 404 unless the ticket is published (or reopened)."""
    require_user()
    fact_check = factchecks.for_ticket(db.session(), ticket_id)
    if fact_check is None or fact_check.retracted:
        raise Problem(404, f"Ticket {ticket_id!r} has no published fact-check.", title="Not Found")
    settings = _settings()
    url = factchecks.public_url(settings, factchecks.page_path(fact_check.slug))
    document = claimreview(fact_check, factchecks.Organisation.from_settings(settings), url)
    return Response(json.dumps(document), mimetype="application/ld+json")


@public_blp.route("/fact-checks", methods=["GET"])
@public_blp.doc(security=[])
@public_blp.arguments(schemas.FactCheckListQuery(), location="query")
@public_blp.alt_response(200, schema=schemas.FactCheckPage)
@limit(public_limit)
def list_fact_checks(args: dict[str, Any]) -> Response:
    """Live fact-checks (retracted ones leave the list), newest first."""
    filters = queries.FactCheckFilter(
        rating=args.get("rating"),
        speaker=args.get("speaker"),
        since=args.get("since"),
        until=args.get("until"),
        q=args.get("q"),
    )
    session = db.session()
    try:
        page, next_cursor = queries.list_live(session, filters, args["limit"], args.get("cursor"))
    except queries.BadCursor as exc:
        raise Problem(400, "The cursor is not one this service issued.", title="Bad cursor") from exc
    settings = _settings()
    items = [_summary(session, settings, item) for item in page]
    return json_response({"items": items, "next_cursor": next_cursor})


def _summary(session: Session, settings: Settings, item: queries.LiveFactCheck) -> dict[str, Any]:
    ticket, current = item.ticket, item.current
    rating = find_rating(session, current.rating) if current.rating else None
    return {
        "id": ticket.id,
        "slug": current.slug,
        "url": factchecks.public_url(settings, factchecks.page_path(current.slug)),
        "claim": ticket.claim,
        "speaker": ticket.speaker,
        "claim_date": ticket.claim_date.isoformat() if ticket.claim_date else None,
        "language": ticket.language,
        "rating": current.rating,
        "rating_label": rating.label if rating else current.rating,
        "rating_value": rating.value if rating else None,
        "summary": current.summary,
        "version": current.version,
        "kind": current.kind,
        "under_review": ticket.state != "published",
        "published_at": rfc3339(item.first_published_at),
        "modified_at": rfc3339(current.published_at),
    }
