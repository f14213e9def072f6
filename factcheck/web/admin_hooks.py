"""Admin pages for integrations (inbound) and webhook subscriptions with their delivery logs."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from sqlalchemy import select

from factcheck import db
from factcheck.models import EVENT_TYPES, Integration, WebhookDelivery, WebhookSubscription
from factcheck.references import safe_http
from factcheck.web import forms
from factcheck.web.helpers import (
    actor,
    flash_form_errors,
    page,
    plausible_id,
    require_role,
    require_role_or_404,
    settings,
)
from factcheck.webhooks import inbound, subscriptions, transport
from factcheck.webhooks.retries import RetryPolicy

DELIVERIES_PAGE = 50
NO_SUBSCRIPTION = "No such webhook subscription."


def integrations() -> Response:
    require_role("admin")
    session = db.session()
    form = forms.IntegrationForm()
    created: tuple[Integration, str] | None = None
    if form.validate_on_submit():
        try:
            created = inbound.create_integration(session, form.name.data or "")
        except ValueError as exc:  # NameTaken is a ValueError too
            session.rollback()
            flash(str(exc), "error")
        else:
            session.commit()
            form = forms.IntegrationForm(formdata=None)
    rows = session.scalars(select(Integration).order_by(Integration.name))
    return page(
        "admin/integrations.html",
        status=400 if form.errors else 200,
        form=form,
        integrations=list(rows),
        created=created,
    )


def _webhook_form(bound: bool = True) -> forms.WebhookForm:
    """The subscription form, bound to the request's data or (``bound=False``) empty."""
    form = forms.WebhookForm() if bound else forms.WebhookForm(formdata=None)
    form.events.choices = forms.choices((event, event) for event in EVENT_TYPES)
    return form


def webhooks() -> Response:
    require_role("admin")
    session = db.session()
    form = _webhook_form()
    created: tuple[WebhookSubscription, str] | None = None
    if form.validate_on_submit():
        problem = subscriptions.url_problem(form.url.data or "", safe_http.current_policy())
        if problem is not None:
            form.url.errors = [problem]
        else:
            created = subscriptions.create(session, form.url.data or "", form.events.data or [], actor())
            session.commit()
            form = _webhook_form(bound=False)  # an empty form for the next one
    rows, _ = subscriptions.list_subscriptions(session, 500, None)
    return page(
        "admin/webhooks.html",
        status=400 if form.errors else 200,
        form=form,
        subscriptions=[subscriptions.subscription_dict(row) for row in rows],
        created=created,
    )


def _subscription_or_404(subscription_id: str) -> WebhookSubscription:
    found = db.session().get(WebhookSubscription, subscription_id) if plausible_id(subscription_id) else None
    if found is None:
        abort(404, description=NO_SUBSCRIPTION)
    return found


def webhook(subscription_id: str) -> Response:
    """One subscription with its delivery log, newest first."""
    require_role_or_404("admin", NO_SUBSCRIPTION)
    subscription = _subscription_or_404(subscription_id)
    status = request.args.get("status") or None
    try:
        deliveries = subscriptions.list_deliveries(
            db.session(), subscription.id, DELIVERIES_PAGE, request.args.get("cursor"), status
        )
    except ValueError:
        abort(400, description="That page link is not valid.")
    return page(
        "admin/webhook.html",
        subscription=subscriptions.subscription_dict(subscription),
        deliveries=[subscriptions.delivery_dict(item) for item in deliveries.items],
        next_cursor=deliveries.next_cursor,
        status_filter=status,
        button=forms.EmptyForm(),
    )


def delivery(subscription_id: str, delivery_id: str) -> Response:
    """One delivery with its attempt log."""
    require_role_or_404("admin", NO_SUBSCRIPTION)
    found = _delivery_or_404(_subscription_or_404(subscription_id), delivery_id)
    log = subscriptions.attempt_log(db.session(), found.id)
    return page(
        "admin/delivery.html",
        subscription_id=subscription_id,
        delivery=subscriptions.delivery_dict(found, log),
        button=forms.EmptyForm(),
    )


def _delivery_or_404(subscription: WebhookSubscription, delivery_id: str) -> WebhookDelivery:
    found = db.session().get(WebhookDelivery, delivery_id) if plausible_id(delivery_id) else None
    if found is None or found.subscription_id != subscription.id:
        abort(404, description="No such delivery.")
    return found


def redeliver(subscription_id: str, delivery_id: str) -> Response:
    require_role_or_404("admin", NO_SUBSCRIPTION)
    session = db.session()
    found = _delivery_or_404(_subscription_or_404(subscription_id), delivery_id)
    try:
        head = subscriptions.redeliver(session, found, RetryPolicy.from_settings(settings()))
    except subscriptions.SubscriptionInactive as exc:
        session.rollback()
        flash(str(exc).capitalize() + ".", "error")
        return redirect(url_for("web.admin_webhook", subscription_id=subscription_id))  # type: ignore[return-value]
    session.commit()
    if head is not None:
        transport.enqueue_delivery(head.delivery_id, head.attempts, replace_scheduled=True)
    flash("The delivery is queued again, with the same webhook-id.", "info")
    return redirect(url_for("web.admin_webhook", subscription_id=subscription_id))  # type: ignore[return-value]


def toggle_webhook(subscription_id: str) -> Response:
    """Disable an active subscription or re-enable a disabled one."""
    require_role_or_404("admin", NO_SUBSCRIPTION)
    subscription = _subscription_or_404(subscription_id)
    form = forms.EmptyForm()
    if not form.validate_on_submit():
        flash_form_errors(form.errors)
    else:
        subscriptions.update(db.session(), subscription, {"active": not subscription.active})
        db.session().commit()
        flash("Enabled." if subscription.active else "Disabled.", "info")
    return redirect(url_for("web.admin_webhook", subscription_id=subscription_id))  # type: ignore[return-value]
