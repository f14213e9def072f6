"""Claims and the ticket workspace: submit a claim, work a ticket, take workflow actions."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, request, url_for

from factcheck import db, queue, ratings, workflow
from factcheck.actors import Actor
from factcheck.models import Ticket
from factcheck.publishing import factchecks
from factcheck.tickets import evidence, intake, queries, tips
from factcheck.tickets.representation import latest_publication
from factcheck.web import forms
from factcheck.web.helpers import (
    SERVICE_ERRORS,
    actor,
    error_message,
    flash_form_errors,
    json_answer,
    page,
    ticket_or_404,
)
from factcheck.web.references import archived_hashes

ACTION_LABELS = {
    "accept": "Accept and start research",
    "reject": "Reject",
    "merge": "Merge into another ticket",
    "submit": "Submit for review",
    "approve": "Approve",
    "request_changes": "Request changes",
    "publish": "Publish",
    "reopen": "Reopen",
    "retract": "Retract",
    "recollect": "Collect references again",
}
ACTION_FIELDS = {
    "reject": ("reason",),
    "merge": ("duplicate_of",),
    "request_changes": ("note",),
    "reopen": ("note",),
    "retract": ("note",),
}
"""The form fields each action needs (``accept`` and ``publish`` get theirs depending on the case)."""
DESTRUCTIVE = frozenset({"reject", "merge", "retract"})


def new_claim() -> Response:
    form = forms.ClaimForm()
    if form.validate_on_submit():
        submission = intake.Submission(
            claim=form.claim.data or "",
            channel="web",
            speaker=form.speaker.data,
            claim_date=form.claim_date.data,
            source_url=form.source_url.data,
            tags=form.tag_list(),
        )
        session = db.session()
        result = intake.submit_claim(session, submission, actor())
        session.commit()
        if result.created:
            queue.enqueue_collection(result.ticket_id)
            flash("Ticket opened. References are being collected.", "info")
        else:
            flash(f"This claim is already open; its demand is now {result.demand}.", "info")
        return redirect(url_for("web.ticket", ticket_id=result.ticket_id))  # type: ignore[return-value]
    return page("new_claim.html", status=400 if form.errors else 200, form=form)


def _verdict_form(ticket: Ticket, data: Any = None) -> forms.VerdictForm:
    form = forms.VerdictForm(formdata=data) if data is not None else forms.VerdictForm(formdata=None)
    form.rating.choices = forms.choices((rating.slug, rating.label) for rating in ratings.scale(db.session()))
    if data is None:
        form.version.data = str(ticket.version)
        if ticket.verdict is not None:
            form.rating.data, form.summary.data = ticket.verdict.rating, ticket.verdict.summary
    return form


def _offered_actions(ticket: Ticket, acting: Actor) -> list[str]:
    """The actions to show: allowed in this state for this role, less those a guard would refuse."""
    offered = []
    for action in workflow.allowed_actions(ticket.state, acting):
        if action == "approve" and ticket.researcher_id == acting.user_id:
            continue  # four-eyes rule: the researcher never approves
        if action == "submit":
            continue  # the verdict form's own button
        offered.append(action)
    return offered


def _may_draft(ticket: Ticket, acting: Actor) -> bool:
    mine = ticket.assignee_id in (None, acting.user_id) or acting.has_role("editor")
    return ticket.state in evidence.VERDICT_EDITABLE and mine


def workspace(ticket: Ticket, verdict_form: forms.VerdictForm | None = None, status: int = 200) -> Response:
    session = db.session()
    acting = actor()
    publication = latest_publication(session, ticket.id)
    public_path = (
        factchecks.page_path(publication.slug)
        if publication is not None and publication.kind != "retraction"
        else None
    )
    action_form = forms.ActionForm(formdata=None)
    action_form.version.data = str(ticket.version)
    found = evidence.references(session, ticket.id)
    return page(
        "ticket.html",
        status=status,
        ticket=ticket,
        references=found,
        saved=archived_hashes(found),
        events=queries.ticket_events(session, ticket.id),
        scale={rating.slug: rating for rating in ratings.scale(session)},
        actions=_offered_actions(ticket, acting),
        action_labels=ACTION_LABELS,
        action_fields=ACTION_FIELDS,
        destructive=DESTRUCTIVE,
        action_form=action_form,
        verdict_form=verdict_form or _verdict_form(ticket),
        may_draft=_may_draft(ticket, acting),
        may_submit="submit" in workflow.allowed_actions(ticket.state, acting) and _may_draft(ticket, acting),
        evidence_editable=ticket.state in evidence.EVIDENCE_EDITABLE,
        reference_form=forms.ReferenceForm(formdata=None),
        stance_labels=forms.STANCE_LABELS,
        publication=publication,
        public_path=public_path,
        tip_notes=tips.notes_for(session, ticket.id),
        is_editor=acting.has_role("editor"),
    )


def show_ticket(ticket_id: str) -> Response:
    return workspace(ticket_or_404(ticket_id))


def collection_status(ticket_id: str) -> Response:
    """What our script polls while references are collected."""
    ticket = ticket_or_404(ticket_id)
    return json_answer(
        {
            "state": ticket.state,
            "version": ticket.version,
            "status": ticket.collection_status,
            "progress": ticket.collection_progress,
            "sources": ticket.collection_sources or {},
            "references_count": len(evidence.references(db.session(), ticket.id)),
        }
    )


def _expected_version(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 18 else None


def perform_action(ticket_id: str, action: str) -> Response:
    ticket = ticket_or_404(ticket_id)
    if action not in workflow.ACTIONS or action == "submit":
        abort(404, description="No such action.")
    form = forms.ActionForm()
    back = redirect(url_for("web.ticket", ticket_id=ticket.id))
    if not form.validate_on_submit():
        flash_form_errors(form.errors)
        return back  # type: ignore[return-value]
    session = db.session()
    try:
        workflow.perform(
            session,
            ticket,
            action,
            actor(),
            form.payload(),
            expected_version=_expected_version(form.version.data),
        )
    except SERVICE_ERRORS as exc:
        session.rollback()
        flash(error_message(exc), "error")
        return back  # type: ignore[return-value]
    session.commit()
    if action == "recollect":
        queue.enqueue_collection(ticket.id)
    flash(f"{ACTION_LABELS[action]}: done.", "info")
    return back  # type: ignore[return-value]


def save_verdict(ticket_id: str) -> Response:
    """Save the verdict draft, or (the ``intent=submit`` button) save it and submit for review."""
    ticket = ticket_or_404(ticket_id)
    intent = request.form.get("intent", "save")
    form = _verdict_form(ticket, data=request.form)
    if not form.validate_on_submit():
        return workspace(ticket, form, status=422)
    session = db.session()
    data = {"rating": form.rating.data, "summary": form.summary.data}
    expected = _expected_version(form.version.data)
    try:
        if intent == "submit":
            workflow.perform(session, ticket, "submit", actor(), data, expected_version=expected)
        else:
            evidence.draft_verdict(session, ticket, actor(), data, expected_version=expected)
    except SERVICE_ERRORS as exc:
        session.rollback()
        flash(error_message(exc), "error")
        return workspace(ticket_or_404(ticket_id), form, status=409)
    session.commit()
    flash("Submitted for review." if intent == "submit" else "Draft saved.", "info")
    return redirect(url_for("web.ticket", ticket_id=ticket.id, _anchor="verdict"))  # type: ignore[return-value]
