"""Admin pages: people and roles, API tokens, the rating scale, organisation settings."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from sqlalchemy.exc import IntegrityError

from factcheck import accounts, auth, db, ratings
from factcheck.models import ApiToken, User
from factcheck.web import forms
from factcheck.web.helpers import (
    flash_form_errors,
    page,
    plausible_id,
    require_role,
    require_role_or_404,
    settings,
)

EXTRA_RATING_ROWS = 2
"""Empty rows under the scale, to add ratings."""


def _user_or_404(user_id: str) -> User:
    user = db.session().get(User, user_id) if plausible_id(user_id) else None
    if user is None:
        abort(404, description="No such user.")
    return user


def users() -> Response:
    require_role("admin")
    form = forms.NewUserForm()
    session = db.session()
    if form.validate_on_submit():
        try:
            user = auth.create_user(
                session, form.email.data or "", form.role.data or "", form.password.data or None
            )
        except ValueError as exc:
            session.rollback()
            flash(str(exc), "error")
        else:
            session.commit()
            flash(f"{user.email} can now sign in as {user.role}.", "info")
            return redirect(url_for("web.admin_users"))  # type: ignore[return-value]
    people = accounts.users(session)
    edit_forms = {}
    for person in people:
        edit = forms.UserUpdateForm(formdata=None, prefix=person.id)
        edit.role.data, edit.active.data = person.role, person.active
        edit_forms[person.id] = edit
    return page(
        "admin/users.html",
        status=400 if form.errors else 200,
        form=form,
        people=people,
        edit_forms=edit_forms,
    )


def update_user(user_id: str) -> Response:
    require_role_or_404("admin", "No such user.")
    user = _user_or_404(user_id)
    form = forms.UserUpdateForm(prefix=user.id)
    if not form.validate_on_submit():
        flash_form_errors(form.errors)
        return redirect(url_for("web.admin_users"))  # type: ignore[return-value]
    session = db.session()
    try:
        accounts.update_user(session, user, form.role.data or "", bool(form.active.data))
    except accounts.AccountError as exc:
        session.rollback()
        flash(str(exc), "error")
    else:
        session.commit()
        flash(f"{user.email}: {user.role}, {'active' if user.active else 'deactivated'}.", "info")
    return redirect(url_for("web.admin_users"))  # type: ignore[return-value]


def tokens() -> Response:
    require_role("admin")
    session = db.session()
    form = forms.TokenForm()
    people = [person for person in accounts.users(session) if person.active]
    form.user_id.choices = forms.choices((person.id, person.email) for person in people)
    new_token = None
    if form.validate_on_submit():
        owner = _user_or_404(form.user_id.data or "")
        new_token = auth.create_token(session, owner, form.name.data or "")
        session.commit()
        form = forms.TokenForm(formdata=None)
        form.user_id.choices = forms.choices((person.id, person.email) for person in people)
    return page(
        "admin/tokens.html",
        status=400 if form.errors else 200,
        form=form,
        tokens=accounts.tokens(session),
        new_token=new_token,
        revoke_form=forms.EmptyForm(),
    )


def revoke_token(token_id: str) -> Response:
    require_role_or_404("admin", "No such token.")
    session = db.session()
    token = session.get(ApiToken, token_id) if plausible_id(token_id) else None
    if token is None:
        abort(404, description="No such token.")
    accounts.revoke_token(session, token)
    session.commit()
    flash(f"Token {token.prefix}… is revoked.", "info")
    return redirect(url_for("web.admin_tokens"))  # type: ignore[return-value]


def _scale_form() -> forms.RatingScaleForm:
    """The scale in force as a form, with empty rows to add ratings."""
    current = ratings.scale(db.session())
    rows = [
        {"slug": r.slug, "label": r.label, "value": r.value, "description": r.description} for r in current
    ]
    rows += [{"slug": "", "label": "", "value": None, "description": ""}] * EXTRA_RATING_ROWS
    return forms.RatingScaleForm(formdata=None, data={"rows": rows})


def _specs(form: forms.RatingScaleForm) -> list[ratings.RatingSpec] | str:
    """The ratings filled in, in order, or what is wrong with them."""
    specs: list[ratings.RatingSpec] = []
    for entry in form.rows:
        row = entry.form  # ``entry.label`` would be the FormField's own label, not the row's field
        slug, label = row.slug.data or "", row.label.data or ""
        if not slug and not label:
            continue
        if not slug or not label:
            return "Every rating needs both a slug and a label."
        specs.append(ratings.RatingSpec(slug, label, row.value.data, row.description.data or ""))
    if not specs:
        return "The scale needs at least one rating."
    if len({spec.slug for spec in specs}) != len(specs):
        return "Two ratings have the same slug."
    return specs


def rating_scale() -> Response:
    require_role("admin")
    if request.method == "POST":
        form = forms.RatingScaleForm()
        if form.validate_on_submit():
            specs = _specs(form)
            if isinstance(specs, str):
                flash(specs, "error")
            else:
                return _replace_scale(specs, form)
        else:
            flash("Check the highlighted ratings.", "error")
        return page("admin/ratings.html", status=400, form=form)
    return page("admin/ratings.html", form=_scale_form())


def _replace_scale(specs: list[ratings.RatingSpec], form: forms.RatingScaleForm) -> Response:
    session = db.session()
    try:
        ratings.replace_scale(session, specs)
        session.commit()
    except ratings.RatingsInUse as exc:
        session.rollback()
        flash(
            "Published fact-checks or verdicts awaiting publication use: " + ", ".join(exc.slugs) + ".",
            "error",
        )
        return page("admin/ratings.html", status=409, form=form)
    except IntegrityError:
        session.rollback()
        flash("Someone changed the scale at the same time; try again.", "error")
        return page("admin/ratings.html", status=409, form=form)
    flash("The rating scale is saved.", "info")
    return redirect(url_for("web.admin_ratings"))  # type: ignore[return-value]


def organisation() -> Response:
    require_role("admin")
    current = settings()
    return page(
        "admin/organisation.html",
        rows=[
            ("Organisation name", "FACTCHECK_ORGANISATION_NAME", current.organisation_name),
            ("Organisation URL", "FACTCHECK_ORGANISATION_URL", current.organisation_url or current.base_url),
            ("Logo", "FACTCHECK_ORGANISATION_LOGO", current.organisation_logo or "none"),
            ("Public base URL", "FACTCHECK_BASE_URL", current.base_url),
            ("Approvals before publication", "FACTCHECK_REQUIRED_APPROVALS", str(current.required_approvals)),
            ("Reference sources", "FACTCHECK_REFERENCE_SOURCES", ", ".join(current.enabled_sources)),
            ("Public rate limit", "FACTCHECK_PUBLIC_RATE_LIMIT", current.public_rate_limit),
            ("Tip form rate limit", "FACTCHECK_TIP_RATE_LIMIT", current.tip_rate_limit),
        ],
    )
