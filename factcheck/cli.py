"""The ``factcheck`` command: up, worker, sweeper, db, users, tokens."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import Flask

from factcheck import create_app
from factcheck.config import Settings, SettingsError


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
def worker(burst: bool) -> None:
    """Run an RQ worker for factcheck jobs."""
    from factcheck.worker import run_worker

    run_worker(_app(), burst=burst)


@main.command()
@click.option("--once", is_flag=True, help="Sweep once and exit.")
def sweeper(once: bool) -> None:
    """Re-enqueue unfinished work the database knows about and Redis does not."""
    from factcheck.jobs.sweep import sweep

    app = _app()
    interval = app.extensions["factcheck.settings"].sweep_interval
    while True:
        with app.app_context():
            report = sweep()
        if once:
            click.echo(f"examined={report.examined} requeued={report.requeued} gave_up={report.gave_up}")
            return
        time.sleep(interval)


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


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
