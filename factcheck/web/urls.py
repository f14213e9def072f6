"""Every URL of the web app, in one place: ``web`` (/app, signed in) and ``tips`` (/tips, public)."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import RouteCallable
from flask_login import current_user

from factcheck.limits import limit
from factcheck.web import (
    admin,
    admin_hooks,
    admin_library,
    articles,
    dashboard,
    references,
    sessions,
    tickets,
    tips,
)
from factcheck.web.helpers import settings


def _login_limit() -> str:
    return settings().login_rate_limit


def _tip_limit() -> str:
    return settings().tip_rate_limit


def _token_limit() -> str:
    return settings().token_rate_limit


def _signed_in_user() -> str:
    """Token creation is counted per admin, wherever their requests come from."""
    return f"user:{current_user.get_id()}"


web = Blueprint("web", __name__, url_prefix="/app")
tips_blueprint = Blueprint("tips", __name__, url_prefix="/tips")

GET, POST, BOTH = ["GET"], ["POST"], ["GET", "POST"]
T = "/tickets/<string:ticket_id>"
HOOK = "/admin/webhooks/<string:subscription_id>"

WEB_ROUTES: list[tuple[str, str, RouteCallable, list[str]]] = [
    # rule, endpoint, view, methods
    ("/sign-in", "sign_in", limit(_login_limit, methods=POST)(sessions.sign_in), BOTH),
    ("/sign-out", "sign_out", sessions.sign_out, POST),
    ("/account/password", "password", sessions.change_password, BOTH),
    ("/", "dashboard", dashboard.dashboard, GET),
    ("/tickets", "tickets", dashboard.ticket_list, GET),
    ("/claims/new", "new_claim", tickets.new_claim, BOTH),
    (T, "ticket", tickets.show_ticket, GET),
    (f"{T}/collection.json", "collection", tickets.collection_status, GET),
    (f"{T}/actions/<string:action>", "action", tickets.perform_action, POST),
    (f"{T}/verdict", "verdict", tickets.save_verdict, POST),
    (f"{T}/references", "add_reference", references.add_reference, POST),
    (f"{T}/references/<string:reference_id>", "update_reference", references.update_reference, POST),
    ("/saved/<string:content_sha256>", "saved_copy", references.saved_copy, GET),
    ("/articles/new", "new_article", articles.new_article, BOTH),
    ("/articles/<string:article_id>", "article", articles.show_article, GET),
    ("/articles/<string:article_id>/tickets", "article_tickets", articles.open_tickets, POST),
    ("/admin/users", "admin_users", admin.users, BOTH),
    ("/admin/users/<string:user_id>", "admin_user", admin.update_user, POST),
    (
        "/admin/tokens",
        "admin_tokens",
        limit(_token_limit, methods=POST, key_func=_signed_in_user)(admin.tokens),
        BOTH,
    ),
    ("/admin/tokens/<string:token_id>/revoke", "admin_revoke_token", admin.revoke_token, POST),
    ("/admin/ratings", "admin_ratings", admin.rating_scale, BOTH),
    ("/admin/organisation", "admin_organisation", admin.organisation, GET),
    ("/admin/integrations", "admin_integrations", admin_hooks.integrations, BOTH),
    ("/admin/webhooks", "admin_webhooks", admin_hooks.webhooks, BOTH),
    (HOOK, "admin_webhook", admin_hooks.webhook, GET),
    (f"{HOOK}/toggle", "admin_webhook_toggle", admin_hooks.toggle_webhook, POST),
    (f"{HOOK}/deliveries/<string:delivery_id>", "admin_delivery", admin_hooks.delivery, GET),
    (f"{HOOK}/deliveries/<string:delivery_id>/redeliver", "admin_redeliver", admin_hooks.redeliver, POST),
    ("/admin/library", "admin_library", admin_library.upload, BOTH),
]

TIP_ROUTES: list[tuple[str, str, RouteCallable, list[str]]] = [
    ("/new", "new_tip", limit(_tip_limit, methods=POST)(tips.new_tip), BOTH),
    ("/<string:token>", "track", tips.track, GET),
]

PUBLIC_ENDPOINTS = frozenset({"web.sign_in"})
"""Endpoints of ``web`` that need no signed-in user."""

for rule, endpoint, view, methods in WEB_ROUTES:
    web.add_url_rule(rule, endpoint, view, methods=methods)
for rule, endpoint, view, methods in TIP_ROUTES:
    tips_blueprint.add_url_rule(rule, endpoint, view, methods=methods)
