"""Public pages under /fact-checks (no login): fact-checks, methodology, corrections log, feeds.

Every route is rate-limited per client address (``Settings.public_rate_limit``). A slug
that was never published is 404; a retracted fact-check answers 410 Gone with a tombstone
page: the explanation stays readable, and crawlers and aggregators holding the old
ClaimReview learn that it was withdrawn on purpose rather than lost.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, abort, current_app, json, render_template, request, url_for
from flask_smorest import Blueprint

from factcheck import db
from factcheck.config import Settings
from factcheck.limits import limit, public_limit
from factcheck.publishing import factchecks, feeds, queries
from factcheck.publishing.claimreview import claimreview, script_json
from factcheck.ratings import numeric_bounds, scale

blp = Blueprint(
    "fact_check_pages",
    __name__,
    url_prefix="/fact-checks",
    description="Public fact-check pages, methodology, corrections log and feeds (no login).",
)
INDEX_PAGE_SIZE = 50
STANCES = {
    "supports": "Supports the claim",
    "refutes": "Refutes the claim",
    "context": "Context",
    "unknown": "Not assessed",
}
KINDS = {
    "initial": "First published",
    "update": "Update",
    "correction": "Correction",
    "retraction": "Retraction",
}
# Pages embed no script and load nothing from elsewhere except images (the logo).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
HTML = {"content_type": "text/html", "description": "An HTML page"}


def _settings() -> Settings:
    settings: Settings = current_app.extensions["factcheck.settings"]
    return settings


def _page(template: str, status: int = 200, **context: Any) -> Response:
    settings = _settings()
    body = render_template(
        f"publishing/{template}",
        organisation=factchecks.Organisation.from_settings(settings),
        stances=STANCES,
        kinds=KINDS,
        **context,
    )
    response = Response(body, status=status, mimetype="text/html")
    response.headers.update(SECURITY_HEADERS)
    return response


blp.add_app_template_filter(feeds.xml_text, "xml_text")


@blp.app_template_filter("public_href")
def public_href(url: str | None) -> str | None:
    """The URL if it is safe to link to (http or https), else None: never a ``javascript:`` link."""
    if not url:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


@blp.app_template_filter("paragraphs")
def paragraphs(text: str | None) -> list[str]:
    """Plain text split on blank lines (each paragraph is escaped by the template)."""
    return [part.strip() for part in (text or "").replace("\r\n", "\n").split("\n\n") if part.strip()]


@blp.route("/")
@blp.doc(security=[])
@blp.alt_response(200, **HTML)
@limit(public_limit)
def index() -> Response:
    """The latest live fact-checks."""
    try:
        page, next_cursor = queries.list_live(
            db.session(), queries.FactCheckFilter(), INDEX_PAGE_SIZE, request.args.get("cursor")
        )
    except queries.BadCursor:
        abort(400, description="The cursor is not one this service issued.")
    return _page(
        "index.html",
        items=page,
        next_url=url_for(".index", cursor=next_cursor) if next_cursor else None,
        label=lambda slug: factchecks.rating_label(db.session(), slug),
    )


@blp.route("/methodology")
@blp.doc(security=[])
@blp.alt_response(200, **HTML)
@limit(public_limit)
def methodology() -> Response:
    """How verdicts are reached, and the rating scale with its text-to-number mapping."""
    ratings = scale(db.session())
    return _page(
        "methodology.html",
        ratings=ratings,
        bounds=numeric_bounds(ratings),
        required_approvals=_settings().required_approvals,
    )


@blp.route("/corrections")
@blp.doc(security=[])
@blp.alt_response(200, **HTML)
@limit(public_limit)
def corrections() -> Response:
    """Every update, correction and retraction, newest first."""
    session = db.session()
    return _page(
        "corrections.html",
        changes=queries.changes(session),
        label=lambda slug: factchecks.rating_label(session, slug),
    )


@blp.route("/feed.json")
@blp.doc(security=[])
@blp.alt_response(200, content_type="application/feed+json", description="JSON Feed 1.1")
@limit(public_limit)
def feed_json() -> Response:
    settings = _settings()
    items = feeds.entries(db.session(), settings)
    document = feeds.json_feed(items, settings, factchecks.Organisation.from_settings(settings))
    return Response(json.dumps(document), mimetype="application/feed+json")


@blp.route("/feed.xml")
@blp.doc(security=[])
@blp.alt_response(200, content_type="application/atom+xml", description="Atom feed")
@limit(public_limit)
def feed_xml() -> Response:
    settings = _settings()
    items = feeds.entries(db.session(), settings)
    body = render_template(
        "publishing/feed.xml",
        items=items,
        organisation=factchecks.Organisation.from_settings(settings),
        home_url=factchecks.public_url(settings, "/fact-checks/"),
        self_url=factchecks.public_url(settings, "/fact-checks/feed.xml"),
        updated=items[0].published_at if items else None,
    )
    return Response(body, mimetype="application/atom+xml")


@blp.route("/<string:slug>")
@blp.doc(security=[])
@blp.alt_response(200, **HTML)
@blp.alt_response(410, content_type="text/html", description="Retracted: a tombstone page, no ClaimReview")
@limit(public_limit)
def fact_check(slug: str) -> Response:
    """A published fact-check with exactly one ClaimReview; the tombstone once retracted."""
    fact_check = factchecks.by_slug(db.session(), slug)
    if fact_check is None:
        abort(404, description="No published fact-check at this address.")
    settings = _settings()
    page_url = factchecks.public_url(settings, factchecks.page_path(fact_check.slug))
    if fact_check.retracted:
        return _page("retracted.html", status=410, fc=fact_check, page_url=page_url)
    organisation = factchecks.Organisation.from_settings(settings)
    return _page(
        "fact_check.html",
        fc=fact_check,
        page_url=page_url,
        claimreview_json=script_json(claimreview(fact_check, organisation, page_url)),
    )
