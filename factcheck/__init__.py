"""factcheck: a self-hostable fact-check workflow service."""

from __future__ import annotations

from flask import Flask

from factcheck.config import Settings
from factcheck.flask_app import FactcheckFlask


def create_app(config: Settings | None = None) -> Flask:
    """Build the WSGI app: settings, logs and metrics, database, queue, auth, API, health, CLI."""
    settings = config or Settings.from_env()
    app = FactcheckFlask(__name__, instance_path=settings.instance_path)
    app.extensions["factcheck.settings"] = settings
    app.config.update(
        SECRET_KEY=settings.resolved_secret_key(),
        MAX_CONTENT_LENGTH=settings.max_content_length,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
    )

    from factcheck import (
        api,
        auth,
        claims,
        db,
        health,
        limits,
        observability,
        queue,
        security,
        startup_checks,
        web,
        webhooks,
    )
    from factcheck.api import problems

    observability.init_app(app)  # first: logging set up, and its request hooks run before all others
    db.init_app(app)
    claims.init_app(app)
    queue.init_app(app)
    startup_checks.init_app(app)
    webhooks.init_app(app)
    auth.init_app(app)
    security.init_app(app)
    problems.init_app(app)
    limits.init_app(app)
    api.init_app(app)
    web.init_app(app)
    app.register_blueprint(health.blp)
    return app
