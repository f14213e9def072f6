"""``factcheck articles import FILE`` (text, HTML, JSONL) and ``factcheck claims reindex``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select

from factcheck import db
from factcheck.cli import main
from factcheck.config import Settings
from factcheck.models import Article, MatchEntry, Ticket
from tests.claims.news import HEADLINE, WIRE_STORY
from tests.support import service_env


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session().scalar(select(func.count()).select_from(model)) or 0)


def test_import_text_html_and_jsonl_files_once_each(app: Flask, settings: Settings, tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_text(WIRE_STORY)
    page = tmp_path / "page.html"
    page.write_text(
        f"<html><body><h1>Ministry statement</h1><p>{WIRE_STORY.split(chr(10) * 2)[2]}</p></body></html>"
    )
    feed = tmp_path / "feed.jsonl"
    lines = [
        {"text": "Turkey said three victims died in Turkish hospitals on Tuesday.", "title": "Turkey"},
        {"text": ""},
        "not an object",
    ]
    feed.write_text("\n".join(json.dumps(line) for line in lines) + "\n{broken\n")
    runner = CliRunner()
    env = service_env(settings)

    first = runner.invoke(main, ["articles", "import", str(story)], env=env)
    html = runner.invoke(main, ["articles", "import", str(page)], env=env)
    jsonl = runner.invoke(main, ["articles", "import", str(feed)], env=env)
    again = runner.invoke(main, ["articles", "import", str(story)], env=env)

    assert first.exit_code == 0, first.output
    assert "(new), 15 new tickets" in first.output
    assert html.exit_code == 0 and "(new)" in html.output, html.output
    assert jsonl.exit_code == 1
    assert "feed.jsonl:1: article" in jsonl.output
    assert "feed.jsonl:2: skipped" in jsonl.output and "feed.jsonl:4: skipped" in jsonl.output
    assert "3 article(s) could not be imported" in jsonl.output
    assert again.exit_code == 0 and "(already imported), 0 new tickets" in again.output
    assert count(app, Article) == 3
    tickets = count(app, Ticket)
    assert tickets >= 15

    reindexed = runner.invoke(main, ["claims", "reindex"], env=env)
    assert reindexed.exit_code == 0, reindexed.output
    assert f"indexed {tickets} claims" in reindexed.output
    assert count(app, MatchEntry) == tickets


def test_the_headline_of_a_jsonl_article_is_kept(app: Flask, settings: Settings, tmp_path: Path) -> None:
    feed = tmp_path / "one.jsonl"
    feed.write_text(json.dumps({"text": WIRE_STORY, "title": HEADLINE, "published_at": "2017-04-05"}) + "\n")

    result = CliRunner().invoke(main, ["articles", "import", str(feed)], env=service_env(settings))

    assert result.exit_code == 0, result.output
    with app.app_context():
        article = db.session().scalars(select(Article)).one()
        assert article.title == HEADLINE
        assert article.claims[0].part == "title"
        assert (
            article.claims[1].claim_date is not None
            and article.claims[1].claim_date.isoformat() == "2017-04-04"
        )
