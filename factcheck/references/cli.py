"""``factcheck library import FILE.jsonl`` and ``factcheck claimreviews import FILE``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from flask import Flask

from factcheck.db import unit_of_work
from factcheck.references import claimreviews, documents

BATCH = 500


def _app() -> Flask:
    from factcheck.cli import _app as build

    return build()


@click.group()
def library() -> None:
    """The reference library of trusted documents."""


def _documents(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if line.strip():
                yield number, json.loads(line)


def _valid(number: int, data: Any) -> documents.NewDocument:
    if not isinstance(data, dict) or not isinstance(data.get("title"), str) or not data["title"].strip():
        raise click.ClickException(f"line {number}: a JSON object with a title is required")
    if not isinstance(data.get("text"), str) or not data["text"].strip():
        raise click.ClickException(f"line {number}: text is required")
    published = data.get("published_at")
    if isinstance(published, str):
        data = {**data, "published_at": claimreviews._date(published)}
    unknown = set(data) - {"title", "text", "url", "publisher", "published_at"}
    if unknown:
        raise click.ClickException(f"line {number}: unknown fields {', '.join(sorted(unknown))}")
    return documents.NewDocument.from_dict(data)


@library.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def library_import(file: Path) -> None:
    """Add the documents of FILE (JSONL: title, text, url?, publisher?, published_at?)."""
    app = _app()
    max_words = app.extensions["factcheck.settings"].library_passage_words
    created = existing = passages = 0
    with (
        app.app_context(),
        click.progressbar(length=file.stat().st_size, label="importing", file=None) as bar,
    ):
        batch: list[documents.NewDocument] = []
        size = 0
        for number, data in _documents(file):
            try:
                batch.append(_valid(number, data))
            except json.JSONDecodeError as exc:
                raise click.ClickException(f"line {number}: {exc}") from exc
            size += len(json.dumps(data, default=str)) + 1
            if len(batch) >= BATCH:
                c, e, p = _store(batch, max_words)
                created, existing, passages = created + c, existing + e, passages + p
                bar.update(size)
                batch, size = [], 0
        c, e, p = _store(batch, max_words)
        created, existing, passages = created + c, existing + e, passages + p
        bar.update(file.stat().st_size)
    click.echo(f"imported {created} documents ({passages} passages); {existing} were already in the library")


def _store(batch: list[documents.NewDocument], max_words: int) -> tuple[int, int, int]:
    if not batch:
        return 0, 0, 0
    with unit_of_work() as session:
        stored = documents.add_documents(session, batch, max_words)
    new = [doc for doc, created in stored if created]
    return len(new), len(stored) - len(new), sum(doc.passage_count for doc in new)


@click.group("claimreviews")
def claimreviews_group() -> None:
    """Earlier fact-checks imported as ClaimReview records."""


@claimreviews_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def claimreviews_import(file: Path) -> None:
    """Import ClaimReview objects from FILE: a JSON-LD document or JSONL (one object a line)."""
    try:
        items = claimreviews.parse_file(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file}: not JSON-LD or JSONL ({exc})") from exc
    with _app().app_context():
        report = claimreviews.ImportReport()
        with click.progressbar(range(0, len(items), BATCH), label="importing") as bar:
            for start in bar:
                with unit_of_work() as session:
                    part = claimreviews.import_claimreviews(session, items[start : start + BATCH])
                report.imported += part.imported
                report.updated += part.updated
                report.skipped += part.skipped
    click.echo(f"imported {report.imported}, updated {report.updated}, skipped {report.skipped}")
