"""The public tip form (no sign-in) and the reader's tracking page."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, url_for

from factcheck import db, queue
from factcheck.publishing import factchecks
from factcheck.tickets import tips
from factcheck.web import forms
from factcheck.web.helpers import page


def new_tip() -> Response:
    form = forms.TipForm()
    if form.validate_on_submit():
        if form.website.data:  # the honeypot: a bot filled in the field people never see
            flash("Thank you, your tip was received.", "info")
            return redirect(url_for("tips.new_tip"))  # type: ignore[return-value]
        session = db.session()
        tip, token, created = tips.submit_tip(
            session, form.claim.data or "", form.source_url.data, form.note.data
        )
        session.commit()
        if created:
            queue.enqueue_collection(tip.ticket_id)
        flash("Thank you. Keep this page's address: it is your private link to follow your tip.", "info")
        return redirect(url_for("tips.track", token=token))  # type: ignore[return-value]
    return page("tip_new.html", status=400 if form.errors else 200, form=form)


def track(token: str) -> Response:
    session = db.session()
    tip = tips.find_tip(session, token)
    if tip is None:
        abort(404, description="No tip has this tracking link.")
    status = tips.status(session, tip)
    fact_check = factchecks.for_ticket(session, status.ticket.id) if status.slug else None
    return page(
        "tip_status.html",
        tip=tip,
        tip_status=status,
        fact_check=fact_check,
        public_path=factchecks.page_path(status.slug) if status.slug else None,
    )
