"""Reference-library upload: a JSONL file of documents, or one HTML page (editors and admins).

Our script sends the file with XMLHttpRequest to show upload progress and asks for JSON;
without script the same form posts and the page shows the result. A file with any invalid
line stores nothing and says which lines are wrong.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Response
from sqlalchemy import func, select

from factcheck import db
from factcheck.models import LibraryDocument
from factcheck.references import documents
from factcheck.web import forms
from factcheck.web.helpers import json_answer, page, require_role, settings, wants_json

DOCUMENT_FIELDS = frozenset({"title", "text", "url", "publisher", "published_at"})
MAX_ERRORS = 10


class UploadError(ValueError):
    """The file cannot be imported; ``lines`` says what is wrong, line by line."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = lines


def _published_at(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _document(number: int, line: str) -> documents.NewDocument:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"line {number}: not JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"line {number}: not a JSON object")
    unknown = set(data) - DOCUMENT_FIELDS
    if unknown:
        raise ValueError(f"line {number}: unknown fields {', '.join(sorted(unknown))}")
    if not isinstance(data.get("title"), str) or not data["title"].strip():
        raise ValueError(f"line {number}: a title is required")
    if not isinstance(data.get("text"), str) or not data["text"].strip():
        raise ValueError(f"line {number}: a text is required")
    try:
        data["published_at"] = _published_at(data.get("published_at"))
    except ValueError as exc:
        raise ValueError(f"line {number}: published_at is not an ISO 8601 date") from exc
    return documents.NewDocument.from_dict(data)


def parse_jsonl(text: str) -> list[documents.NewDocument]:
    found: list[documents.NewDocument] = []
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(_document(number, line))
        except ValueError as exc:
            errors.append(str(exc))
    if errors:
        raise UploadError(errors[:MAX_ERRORS])
    return found


def parse_html(body: bytes, filename: str) -> list[documents.NewDocument]:
    from factcheck.references.extract import extract_html  # trafilatura: imported when needed

    extracted = extract_html(body, "")
    if extracted is None:
        raise UploadError(["no readable text found in this HTML page"])
    title = (extracted.title or filename).strip()[:1000] or "Untitled"
    return [
        documents.NewDocument(
            title=title, text=extracted.text, publisher=extracted.site, published_at=extracted.published_at
        )
    ]


def _parse(filename: str, body: bytes) -> list[documents.NewDocument]:
    lower = filename.lower()
    if lower.endswith((".html", ".htm")):
        return parse_html(body, filename)
    if lower.endswith((".jsonl", ".json", ".ndjson")):
        try:
            return parse_jsonl(body.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise UploadError(["the file is not UTF-8 text"]) from exc
    raise UploadError(["choose a .jsonl file or an .html page"])


def _library_size() -> int:
    return int(db.session().scalar(select(func.count()).select_from(LibraryDocument)) or 0)


def upload() -> Response:
    require_role("editor")
    form = forms.LibraryUploadForm()
    result: dict[str, Any] | None = None
    status = 200
    if form.validate_on_submit():
        storage = form.file.data
        try:
            new = _parse(storage.filename or "", storage.read())
            stored = documents.add_documents(db.session(), new, settings().library_passage_words)
            db.session().commit()
            created = [doc for doc, is_new in stored if is_new]
            result = {
                "created": len(created),
                "existing": len(stored) - len(created),
                "passages": sum(doc.passage_count for doc in created),
                "errors": [],
            }
        except UploadError as exc:
            db.session().rollback()
            result, status = {"created": 0, "existing": 0, "passages": 0, "errors": exc.lines}, 422
    elif form.errors:
        status = 400
    if wants_json():
        return json_answer(result or {"errors": [m for ms in form.errors.values() for m in ms]}, status)
    return page("admin/library.html", status=status, form=form, result=result, size=_library_size())
