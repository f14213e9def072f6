"""The web app's forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, EqualTo, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from factcheck.accounts import PASSWORD_MIN
from factcheck.models import ROLES

CLAIM_MAX = 2000
EMAIL = Regexp(r"^[^@\s]+@[^@\s]+$", message="Not an email address.")
"""Enough to catch typos; the account itself decides who signs in."""
STANCE_LABELS: dict[str, str] = {
    "unknown": "Not assessed",
    "supports": "Supports",
    "refutes": "Refutes",
    "context": "Context",
}


def choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """``(value, label)`` pairs as the choices of a select, radio or checkbox field."""
    return [SelectChoice(value, label) for value, label in pairs]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _none_if_blank(value: Any) -> Any:
    value = _strip(value)
    return value or None


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), EMAIL, Length(max=320)], filters=[_strip])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=500)])


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(min=PASSWORD_MIN, max=500, message=f"Use at least {PASSWORD_MIN} characters."),
        ],
        description=f"At least {PASSWORD_MIN} characters.",
    )
    confirm = PasswordField(
        "New password again", validators=[DataRequired(), EqualTo("new_password", "The passwords differ.")]
    )


class ClaimForm(FlaskForm):
    claim = TextAreaField(
        "Claim", validators=[DataRequired(), Length(max=CLAIM_MAX)], filters=[_strip], description="As said."
    )
    speaker = StringField("Speaker", validators=[Optional(), Length(max=500)], filters=[_none_if_blank])
    claim_date = DateField("Date of the claim", validators=[Optional()])
    source_url = URLField(
        "Where it was said (URL)",
        validators=[Optional(), URL(require_tld=False), Length(max=2048)],
        filters=[_none_if_blank],
    )
    tags = StringField(
        "Tags", validators=[Optional(), Length(max=500)], description="Separate tags with commas."
    )

    def tag_list(self) -> tuple[str, ...]:
        tags = (tag.strip().lower() for tag in (self.tags.data or "").split(","))
        return tuple(dict.fromkeys(tag[:100] for tag in tags if tag))


class TipForm(FlaskForm):
    claim = TextAreaField(
        "What claim should we check?", validators=[DataRequired(), Length(max=CLAIM_MAX)], filters=[_strip]
    )
    source_url = URLField(
        "Where did you see it? (link, optional)",
        validators=[Optional(), URL(require_tld=False), Length(max=2048)],
        filters=[_none_if_blank],
    )
    note = TextAreaField(
        "Anything else we should know? (optional)",
        validators=[Optional(), Length(max=2000)],
        filters=[_none_if_blank],
    )
    website = StringField("Leave this field empty")
    """Honeypot: hidden from people, filled in by form-filling bots."""


class ReferenceForm(FlaskForm):
    url = URLField(
        "URL", validators=[DataRequired(), URL(require_tld=False), Length(max=2048)], filters=[_strip]
    )
    title = StringField("Title", validators=[Optional(), Length(max=1000)], filters=[_none_if_blank])
    passage = TextAreaField("Passage", validators=[Optional(), Length(max=20_000)], filters=[_none_if_blank])
    stance = SelectField("Stance", choices=choices(STANCE_LABELS.items()), default="unknown")


class ReferencePatchForm(FlaskForm):
    pinned = SelectField(
        "Pinned",
        choices=choices([("true", "pinned"), ("false", "not pinned")]),
        validators=[Optional()],
    )
    stance = SelectField("Stance", choices=choices(STANCE_LABELS.items()), validators=[Optional()])

    def changes(self) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if self.pinned.data:
            changes["pinned"] = self.pinned.data == "true"
        if self.stance.data:
            changes["stance"] = self.stance.data
        return changes


class VerdictForm(FlaskForm):
    version = HiddenField()
    rating = RadioField("Rating", validators=[DataRequired("Choose a rating.")], choices=[])
    summary = TextAreaField("Summary", validators=[DataRequired(), Length(max=20_000)], filters=[_strip])


class ActionForm(FlaskForm):
    """One workflow action; which of the optional fields matter depends on the action."""

    version = HiddenField()
    note = TextAreaField("Note", validators=[Optional(), Length(max=5000)], filters=[_none_if_blank])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=5000)], filters=[_none_if_blank])
    duplicate_of = StringField(
        "Duplicate of (ticket id)", validators=[Optional(), Length(max=64)], filters=[_none_if_blank]
    )
    assignee = StringField(
        "Assign to (email)", validators=[Optional(), Length(max=320)], filters=[_none_if_blank]
    )
    kind = SelectField(
        "Kind of new version",
        choices=choices([("", "Decide from the rating"), ("update", "Update"), ("correction", "Correction")]),
        validators=[Optional()],
    )

    def payload(self) -> dict[str, Any]:
        fields = ("note", "reason", "duplicate_of", "assignee", "kind")
        return {name: getattr(self, name).data for name in fields if getattr(self, name).data}


class NewUserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), EMAIL, Length(max=320)], filters=[_strip])
    role = SelectField(
        "Role", choices=choices((role, role.capitalize()) for role in ROLES), default="checker"
    )
    password = PasswordField(
        "Initial password",
        validators=[
            Optional(),
            Length(min=PASSWORD_MIN, max=500, message=f"Use at least {PASSWORD_MIN} characters."),
        ],
        description="Leave empty for a user who only uses API tokens.",
    )


class UserUpdateForm(FlaskForm):
    role = SelectField("Role", choices=choices((role, role.capitalize()) for role in ROLES))
    active = BooleanField("Active")


class TokenForm(FlaskForm):
    user_id = SelectField("For", choices=[])
    name = StringField("Label", validators=[DataRequired(), Length(max=200)], filters=[_strip])


class EmptyForm(FlaskForm):
    """A button that posts: only the CSRF token."""


class RatingRowForm(Form):
    slug = StringField(
        "Slug",
        validators=[Optional(), Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message="lowercase words joined by -")],
        filters=[_strip],
    )
    label = StringField("Label", validators=[Optional(), Length(max=100)], filters=[_strip])
    value = IntegerField("Value", validators=[Optional(), NumberRange(min=-100, max=100)])
    description = StringField("Description", validators=[Optional(), Length(max=2000)], filters=[_strip])


class RatingScaleForm(FlaskForm):
    rows = FieldList(FormField(RatingRowForm), min_entries=1)


class IntegrationForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=100)],
        filters=[_strip],
        description="Lowercase letters, digits, '-' or '_'; it becomes part of the hook URL.",
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WebhookForm(FlaskForm):
    url = URLField(
        "Receiver URL",
        validators=[DataRequired(), URL(require_tld=False), Length(max=2048)],
        filters=[_strip],
    )
    events = MultiCheckboxField("Events", validators=[DataRequired("Choose at least one event.")], choices=[])


class LibraryUploadForm(FlaskForm):
    file = FileField(
        "File",
        validators=[FileRequired()],
        description="JSONL (one {title, text, url?, publisher?, published_at?} per line) or one HTML page.",
    )


class ArticleForm(FlaskForm):
    title = StringField("Title", validators=[Optional(), Length(max=1000)], filters=[_none_if_blank])
    text = TextAreaField(
        "Article text", validators=[Optional(), Length(max=200_000)], filters=[_none_if_blank]
    )
    url = URLField(
        "…or the article's URL",
        validators=[Optional(), URL(require_tld=False), Length(max=2048)],
        filters=[_none_if_blank],
    )
