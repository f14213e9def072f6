"""Evidence on a ticket: add a reference by URL, pin it, set its stance (also from our script)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, url_for
from sqlalchemy import select

from factcheck import db
from factcheck.models import ArchivedText, Reference
from factcheck.tickets import evidence
from factcheck.web import forms
from factcheck.web.helpers import (
    SERVICE_ERRORS,
    actor,
    error_message,
    flash_form_errors,
    json_answer,
    page,
    ticket_or_404,
    wants_json,
)


def add_reference(ticket_id: str) -> Response:
    ticket = ticket_or_404(ticket_id)
    form = forms.ReferenceForm()
    back = redirect(url_for("web.ticket", ticket_id=ticket.id, _anchor="references"))
    if not form.validate_on_submit():
        flash_form_errors(form.errors)
        return back  # type: ignore[return-value]
    session = db.session()
    try:
        evidence.add_reference(
            session,
            ticket,
            actor(),
            url=form.url.data or "",
            title=form.title.data,
            passage=form.passage.data,
            stance=form.stance.data or "unknown",
        )
    except SERVICE_ERRORS as exc:
        session.rollback()
        flash(error_message(exc), "error")
        return back  # type: ignore[return-value]
    session.commit()
    flash("Reference added.", "info")
    return back  # type: ignore[return-value]


def update_reference(ticket_id: str, reference_id: str) -> Response:
    """Pin/unpin or set the stance; our script asks for JSON, a plain form gets a redirect."""
    ticket = ticket_or_404(ticket_id)
    form = forms.ReferencePatchForm()
    back = redirect(url_for("web.ticket", ticket_id=ticket.id, _anchor=f"ref-{reference_id}"))
    if not form.validate_on_submit():
        if wants_json():
            return json_answer({"error": "Invalid values.", "errors": form.errors}, 422)
        flash_form_errors(form.errors)
        return back  # type: ignore[return-value]
    session = db.session()
    try:
        reference = evidence.update_reference(session, ticket, reference_id, actor(), form.changes())
    except evidence.ReferenceNotFound:
        abort(404, description="No such reference on this ticket.")
    except SERVICE_ERRORS as exc:
        session.rollback()
        if wants_json():
            return json_answer({"error": error_message(exc)}, 409)
        flash(error_message(exc), "error")
        return back  # type: ignore[return-value]
    session.commit()
    if wants_json():
        return json_answer({"id": reference.id, "pinned": reference.pinned, "stance": reference.stance})
    flash("Reference updated.", "info")
    return back  # type: ignore[return-value]


def archived_hashes(references: list[Reference]) -> set[str]:
    """Which of these references have a saved copy of their text."""
    hashes = {ref.content_sha256 for ref in references if ref.content_sha256}
    if not hashes:
        return set()
    rows = db.session().scalars(
        select(ArchivedText.content_sha256).where(ArchivedText.content_sha256.in_(hashes))
    )
    return set(rows)


def saved_copy(content_sha256: str) -> Response:
    """The text of a page as it was fetched (it stays readable after the original changes)."""
    valid = len(content_sha256) == 64 and all(c in "0123456789abcdef" for c in content_sha256)
    archived = db.session().get(ArchivedText, content_sha256) if valid else None
    if archived is None:
        abort(404, description="No saved copy with this fingerprint.")
    return page("saved_copy.html", archived=archived)
