"""The ``factcheck`` command: up, worker, sweeper, db, users, tokens, integrations."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from pathlib import Path

import click
import redis
from flask import Flask
from sqlalchemy.exc import OperationalError

from factcheck import create_app
from factcheck.config import Settings, SettingsError
from factcheck.references.cli import claimreviews_group, library

log = logging.getLogger(__name__)


def _app() -> Flask:
    try:
        return create_app(Settings.from_env())
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def main() -> None:
    """Self-hostable fact-check workflow service."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def up(host: str, port: int) -> None:
    """Run everything on this machine: web, one worker, the sweeper (embedded Redis by default)."""
    from factcheck.embedded import run_stack

    sys.exit(run_stack(host=host, port=port))


@main.command()
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
@click.option("--queue", "queues", multiple=True, help="Only this queue (repeatable): collect, webhooks.")
def worker(burst: bool, queues: tuple[str, ...]) -> None:
    """Run an RQ worker for factcheck jobs (every queue unless --queue is given)."""
    from factcheck import queue
    from factcheck.worker import run_worker

    try:
        run_worker(_app(), burst=burst, queue_names=queues or queue.QUEUE_NAMES)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


REFILL_CHECK = 2.0
SWEEP_RETRY = 5


@main.command()
@click.option("--once", is_flag=True, help="Sweep once and exit.")
def sweeper(once: bool) -> None:
    """Re-enqueue unfinished work the database knows about and Redis does not."""
    from factcheck.jobs.sweep import refill_due, sweep

    app = _app()
    interval = app.extensions["factcheck.settings"].sweep_interval
    if once:
        signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
        with app.app_context():
            report = sweep()
        click.echo(
            f"examined={report.examined} requeued={report.requeued} gave_up={report.gave_up}"
            f" deferred={report.deferred}"
        )
        return
    # As a container's PID 1 the default SIGTERM action does not apply: stop between sweeps. A
    # flag, not SystemExit from the handler: raised inside a garbage-collection callback (the
    # handler runs wherever the main thread is), Python prints it as ignored and goes on.
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stopping.set())
    next_sweep = 0.0
    while not stopping.is_set():
        try:
            with app.app_context():
                if time.monotonic() >= next_sweep or refill_due():
                    sweep()
                    next_sweep = time.monotonic() + interval
        except (redis.RedisError, OperationalError) as exc:
            # Redis or the database is away: try again soon rather than exit (the healthcheck
            # reports a sweeper whose last success is old).
            log.warning("sweep failed (%s); retrying in %d s", exc, SWEEP_RETRY)
            next_sweep = time.monotonic() + SWEEP_RETRY
        # Between full sweeps, look every REFILL_CHECK seconds whether tickets held back by a
        # full collection queue can go in (a surge drains at the workers' pace, not the sweep's).
        stopping.wait(min(interval, REFILL_CHECK))


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from factcheck import migrate

    url = _settings().sqlalchemy_url
    if url.startswith("sqlite:///"):
        # SQLite creates the file but not its folder (the instance folder on a first run).
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(url, revision)


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (``base`` for an empty database)."""
    from factcheck import migrate

    migrate.downgrade(_settings().sqlalchemy_url, revision)


@main.group()
def users() -> None:
    """People who use the web app and the API."""


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["checker", "editor", "admin"]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(email: str, role: str, password_stdin: bool) -> None:
    """Create a user; without a password the user signs in only with API tokens."""
    from factcheck import auth
    from factcheck.db import unit_of_work

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    if password_stdin and len(password or "") < 8:
        raise click.ClickException("the password must have at least 8 characters")
    with _app().app_context():
        try:
            with unit_of_work() as session:
                user = auth.create_user(session, email, role, password)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"created {user.email} ({user.role})", err=True)


@main.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.argument("email")
@click.option("--name", default="cli", help="A label to recognise the token by.")
def tokens_create(email: str, name: str) -> None:
    """Print a new API token for EMAIL (only the token, on stdout; it is not shown again)."""
    from sqlalchemy import select

    from factcheck import auth
    from factcheck.db import unit_of_work
    from factcheck.models import User

    with _app().app_context(), unit_of_work() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"no user {email}")
        token = auth.create_token(session, user, name)
    click.echo(token)


@main.group()
def integrations() -> None:
    """Systems that submit claims through signed inbound webhooks."""


@integrations.command("create")
@click.argument("name")
def integrations_create(name: str) -> None:
    """Register integration NAME and print its signing secret (only the secret, on stdout; shown once)."""
    from factcheck.db import unit_of_work
    from factcheck.webhooks import inbound

    with _app().app_context():
        try:
            with unit_of_work() as session:
                _integration, secret = inbound.create_integration(session, name)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(secret)
    click.echo(f"integration {name} posts to /hooks/v1/{name}", err=True)


@main.group()
def articles() -> None:
    """Articles: claims extracted, attributed, scored and opened as tickets."""


@articles.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def articles_import(file: Path) -> None:
    """Import FILE (plain text, HTML, or JSONL of {text|html|url, title, source_url, published_at})."""
    from factcheck import queue
    from factcheck.actors import Actor
    from factcheck.claims.articles import submit_article
    from factcheck.claims.importer import read_articles
    from factcheck.claims.maintext import ArticleInputError
    from factcheck.db import unit_of_work

    app = _app()
    settings = app.extensions["factcheck.settings"]
    actor = Actor(label="cli", role="system")
    failed = 0
    with app.app_context():
        for label, item in read_articles(file, settings):
            try:
                if isinstance(item, ArticleInputError):
                    raise item
                with unit_of_work() as session:
                    outcome = submit_article(session, item, actor, settings)
            except ArticleInputError as error:
                failed += 1
                click.echo(f"{label}: skipped: {error.detail}", err=True)
                continue
            for ticket_id in outcome.new_ticket_ids:
                queue.enqueue_collection(ticket_id)
            state = "new" if outcome.created else "already imported"
            opened = len(outcome.new_ticket_ids)
            click.echo(f"{label}: article {outcome.article.id} ({state}), {opened} new tickets")
    if failed:
        raise click.ClickException(f"{failed} article(s) could not be imported")


@main.group()
def claims() -> None:
    """The claim-matching index."""


@claims.command("reindex")
def claims_reindex() -> None:
    """Rebuild the matching index from every ticket and imported ClaimReview."""
    from factcheck.claims.index import reindex
    from factcheck.db import unit_of_work

    with _app().app_context(), unit_of_work() as session:
        written = reindex(session)
    click.echo(f"indexed {written} claims")


def _settings() -> Settings:
    """Settings for commands that need no app (``db``); logging is set up as the app would."""
    from factcheck.observability import logs

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    logs.configure(settings.log_format, settings.log_level.upper())
    return settings


main.add_command(library)
main.add_command(claimreviews_group)
