"""Submit an article (pasted text or a URL); see its claims with scores, speakers and reasons,
and open tickets for the ones worth checking that the threshold left out.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for

from factcheck import db, queue
from factcheck.claims import articles, maintext, picked
from factcheck.models import Article
from factcheck.web import forms
from factcheck.web.helpers import actor, page, plausible_id, settings

REASON_LABELS = {
    "fragment": "short fragment",
    "named-entity": "names someone",
    "named-entities": "names several",
}


def new_article() -> Response:
    form = forms.ArticleForm()
    if form.validate_on_submit():
        if not form.text.data and not form.url.data:
            form.text.errors = ["Paste the article's text or give its URL."]
        else:
            return _submit(form)
    return page("articles/new.html", status=400 if form.errors else 200, form=form)


def _submit(form: forms.ArticleForm) -> Response:
    config = settings()
    session = db.session()
    try:
        if form.url.data and not form.text.data:
            main, kind = maintext.fetch(form.url.data, config), "url"
        else:
            main, kind = maintext.from_text(form.text.data or ""), "text"
        submission = articles.ArticleSubmission(
            main=main, input_kind=kind, title=form.title.data, source_url=form.url.data
        )
        outcome = articles.submit_article(session, submission, actor(), config)
    except maintext.ArticleInputError as exc:
        session.rollback()
        (form.url if kind_of(exc) == "url" else form.text).errors = [exc.detail]
        return page("articles/new.html", status=exc.status if exc.status < 500 else 502, form=form)
    session.commit()
    for ticket_id in outcome.new_ticket_ids:
        queue.enqueue_collection(ticket_id)
    if outcome.created:
        flash(f"{len(outcome.new_ticket_ids)} tickets opened for the check-worthy claims.", "info")
    else:
        flash("This article was submitted before; here it is.", "info")
    return redirect(url_for("web.article", article_id=outcome.article.id))  # type: ignore[return-value]


def kind_of(error: maintext.ArticleInputError) -> str:
    return "url" if error.field == "url" else "text"


def _article_or_404(article_id: str) -> Article:
    article = db.session().get(Article, article_id) if plausible_id(article_id) else None
    if article is None:
        abort(404, description="No such article.")
    return article


def show_article(article_id: str) -> Response:
    article = _article_or_404(article_id)
    return page(
        "articles/show.html",
        article=article,
        threshold=settings().article_checkworthiness_threshold,
        reason_labels=REASON_LABELS,
        form=forms.EmptyForm(),
    )


def open_tickets(article_id: str) -> Response:
    """Open tickets for the claims whose checkboxes were ticked."""
    article = _article_or_404(article_id)
    form = forms.EmptyForm()
    positions = [int(value) for value in request.form.getlist("claim") if value.isdigit() and len(value) < 7]
    if form.validate_on_submit() and positions:
        session = db.session()
        new_ids = picked.open_tickets(session, article, positions, actor())
        session.commit()
        for ticket_id in new_ids:
            queue.enqueue_collection(ticket_id)
        flash(f"{len(new_ids)} tickets opened.", "info")
    else:
        flash("Tick the claims to open tickets for.", "error")
    return redirect(url_for("web.article", article_id=article.id))  # type: ignore[return-value]
