"""Every service of docker-compose.yml, run here with its exact command and environment.

No Docker engine is needed: the commands and environments are read from the compose file and
interpolated as compose would, and only what is outside the container changes: the host names
``postgres`` and ``redis`` become this test's database (the suite's, or an empty one) and a
``redis-server`` started with the compose file's own Redis arguments, the web port becomes a
free one, and the programs come from this virtualenv. Health checks run as compose runs them.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from flask import Flask
from rq.exceptions import NoSuchJobError
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import factcheck.models  # noqa: F401  (registers every table on Base.metadata)
from factcheck import create_app, queue
from factcheck.config import Settings
from factcheck.db import Base, make_engine
from factcheck.jobs.sweep import LAST_SWEEP_KEY, sweep
from factcheck.models import Ticket
from tests.compose import (
    COMPOSE_VARIABLES,
    PG_DUMP,
    PG_RESTORE,
    compose,
    healthcheck_code,
    service_command,
    service_environment,
)
from tests.redis_server import redis_cli_binary, running_redis
from tests.reliability.processes import children
from tests.support import ApiClient, UserFactory, free_port, new_postgres_database, wait_for

pytestmark = pytest.mark.slow

REQUIRE_ALL = os.environ.get("FACTCHECK_REQUIRE_ALL") == "1"
VENV_BIN = Path(sys.executable).parent
REDIS_PASSWORD = COMPOSE_VARIABLES["REDIS_PASSWORD"]
CONTAINER_PORT = "8000"


@dataclasses.dataclass
class Stack:
    """Where the services of one test run: a database, the compose Redis and a scratch folder."""

    database_url: str
    redis_port: int
    folder: Path

    @property
    def redis_url(self) -> str:
        return f"redis://:{REDIS_PASSWORD}@127.0.0.1:{self.redis_port}/0"

    def environment(self, service: str, **test_settings: str) -> dict[str, str]:
        """The service's compose environment with the container's host names replaced."""
        compose_env = service_environment(service)
        container_redis = compose_env["FACTCHECK_REDIS_URL"]
        assert container_redis == f"redis://:{REDIS_PASSWORD}@redis:6379/0", "the URL carries the password"
        assert make_url(compose_env["FACTCHECK_DATABASE_URL"]).host == "postgres"
        compose_env["FACTCHECK_REDIS_URL"] = self.redis_url
        compose_env["FACTCHECK_DATABASE_URL"] = self.database_url
        if "PROMETHEUS_MULTIPROC_DIR" in compose_env:  # a tmpfs in the container
            compose_env["PROMETHEUS_MULTIPROC_DIR"] = str(self.folder / f"prometheus-{service}")
            Path(compose_env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(exist_ok=True)
        outside = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("FACTCHECK_", "PROMETHEUS_", "GUNICORN_", "WEB_CONCURRENCY"))
        }
        extra = {f"FACTCHECK_{name.upper()}": value for name, value in test_settings.items()}
        return outside | compose_env | extra

    def argv(self, service: str, web_port: int | None = None) -> list[str]:
        """The compose command, run from this virtualenv (and on ``web_port`` instead of 8000)."""
        program, *args = service_command(service)
        assert program in ("factcheck", "gunicorn"), program
        if web_port is not None:
            bind = args.index("--bind") + 1
            assert args[bind] == f"0.0.0.0:{CONTAINER_PORT}"
            args[bind] = f"127.0.0.1:{web_port}"
        return [str(VENV_BIN / program), *args]

    def start(self, service: str, web_port: int | None = None, **test_settings: str) -> Service:
        log = self.folder / f"{service}.log"
        with log.open("w") as output:
            process = subprocess.Popen(
                self.argv(service, web_port),
                env=self.environment(service, **test_settings),
                cwd=self.folder,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return Service(service, process, log)

    def healthcheck(self, service: str, web_port: int | None = None) -> int:
        """Exit status of the service's compose health check, run with the service's environment."""
        code = healthcheck_code(service)
        if web_port is not None:
            assert f"127.0.0.1:{CONTAINER_PORT}/" in code
            code = code.replace(f"127.0.0.1:{CONTAINER_PORT}/", f"127.0.0.1:{web_port}/")
        result = subprocess.run(
            [sys.executable, "-c", code], env=self.environment(service), capture_output=True, timeout=30
        )
        return result.returncode

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url)


@dataclasses.dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text()[-4000:]

    def stop(self) -> int:
        """SIGTERM to the process, as ``docker compose stop`` (through ``init``) sends it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            raise AssertionError(f"{self.name} ignored SIGTERM:\n{self.output()}") from None

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def compose_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A Redis started with the compose file's own ``redis-server`` arguments."""
    program, *args = service_command("redis")
    assert program == "redis-server"
    with running_redis(tmp_path_factory.mktemp("compose-redis"), args, password=REDIS_PASSWORD) as port:
        yield port


@pytest.fixture()
def stack(migrated: str, compose_redis: int, tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(migrated, compose_redis, tmp_path)
    stack.redis().flushall()
    yield stack
    stack.redis().flushall()


@pytest.fixture()
def compose_app(app: Flask, settings: Settings, stack: Stack) -> Iterator[Flask]:
    """The app on the compose Redis (``app`` empties the database afterwards)."""
    compose_app = create_app(dataclasses.replace(settings, redis_url=stack.redis_url))
    yield compose_app
    compose_app.extensions["factcheck.engine"].dispose()


@pytest.fixture()
def compose_api(compose_app: Flask) -> ApiClient:
    return ApiClient(compose_app.test_client(), UserFactory(compose_app).token_for("editor"))


@pytest.fixture()
def services() -> Iterator[list[Service]]:
    """Services a test started; any still running at the end is killed."""
    started: list[Service] = []
    yield started
    for service in started:
        service.kill()


def state_of(api: ApiClient, ticket_id: str) -> str:
    state: str = api.get(f"/api/v1/tickets/{ticket_id}").get_json()["state"]
    return state


def job_exists(stack: Stack, ticket_id: str) -> bool:
    try:
        queue.fetch_job(queue.collect_job_id(ticket_id), stack.redis())
    except NoSuchJobError:
        return False
    return True


def test_redis_service_answers_its_healthcheck_only_with_the_password(stack: Stack) -> None:
    test = compose()["services"]["redis"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL" and test[1].startswith("redis-cli ping")
    command = test[1].replace("redis-cli", f"{redis_cli_binary()} -p {stack.redis_port}", 1)
    environment = {"PATH": os.environ["PATH"], "REDISCLI_AUTH": REDIS_PASSWORD}
    assert subprocess.run(["sh", "-c", command], env=environment, timeout=30).returncode == 0
    environment["REDISCLI_AUTH"] = "wrong"
    assert subprocess.run(["sh", "-c", command], env=environment, timeout=30).returncode != 0
    config = stack.redis().config_get("appendonly", "maxmemory-policy")
    assert config == {"appendonly": "yes", "maxmemory-policy": "noeviction"}


def test_postgres_service_healthcheck_answers_only_when_the_server_does(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the compose database is PostgreSQL; this pass runs the suite on SQLite")
    test = compose()["services"]["postgres"]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "pg_isready"]
    if shutil.which("pg_isready") is None:
        if REQUIRE_ALL:
            pytest.fail(
                "FACTCHECK_REQUIRE_ALL=1: pg_isready not installed (apt-get install -y postgresql-client)"
            )
        pytest.skip("pg_isready not installed (apt-get install -y postgresql-client)")
    server = make_url(database_url)
    assert (
        subprocess.run([*test[1:], f"--host={server.host}", f"--port={server.port or 5432}"]).returncode == 0
    )
    assert subprocess.run([*test[1:], f"--host={server.host}", f"--port={free_port()}"]).returncode != 0


def test_migrate_service_builds_the_schema_on_an_empty_database(
    empty_database_url: str, stack: Stack
) -> None:
    stack = dataclasses.replace(stack, database_url=empty_database_url)
    for run in ("first start", "restart"):  # compose runs the one-shot service on every `up`
        result = subprocess.run(
            stack.argv("migrate"),
            env=stack.environment("migrate"),
            cwd=stack.folder,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, f"{run}: {result.stderr[-3000:]}"
    engine = make_engine(empty_database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) | {"alembic_version"} <= tables
    assert revision == _head_revision()


def test_web_service_serves_the_api_and_answers_readyz_and_its_healthcheck(
    stack: Stack, users: UserFactory, services: list[Service]
) -> None:
    port = free_port()
    assert stack.healthcheck("web", port) != 0, "nothing listens yet: the check must fail"
    web = stack.start("web", port)
    services.append(web)
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _status(f"{base}/readyz") == 200, 60, message=f"readyz\n{web.output()}")

    assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
    assert stack.healthcheck("web", port) == 0
    token = users.token_for("editor")
    created = httpx.post(
        f"{base}/api/v1/tickets",
        json={"claim": "Compose serves the API."},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    assert job_exists(stack, created.json()["id"]), "the collection job went to the compose Redis"
    feed = httpx.get(f"{base}/fact-checks/feed.json", timeout=30)  # rate-limited: counted in Redis
    assert feed.status_code == 200 and "X-RateLimit-Remaining" in feed.headers
    assert len(children(web.process.pid)) == 2, "WEB_CONCURRENCY's default: two gunicorn workers"

    assert web.stop() == 0, web.output()
    assert "Shutting down: Master" in web.output()
    assert "factcheck.startup_checks" not in web.output(), "the compose Redis is a queue: no warning"
    assert stack.healthcheck("web", port) != 0


def test_worker_service_finishes_the_job_in_hand_on_sigterm(
    stack: Stack, compose_api: ApiClient, services: list[Service]
) -> None:
    ticket_id = compose_api.create_ticket("The worker service collects references.")["id"]
    assert stack.healthcheck("worker") != 0, "no worker registered yet: the check must fail"
    # A collection that pauses mid-job, so that the stop request arrives while it runs.
    worker = stack.start("worker", fault_collect_delay="4")
    services.append(worker)
    wait_for(lambda: state_of(compose_api, ticket_id) == "collecting", 60, message=f"job\n{worker.output()}")
    assert stack.healthcheck("worker") == 0

    assert worker.stop() == 0, worker.output()
    log = worker.output()
    assert "warm shut down requested" in log and "Successfully completed" in log, log
    assert log.index("warm shut down requested") < log.index("Successfully completed"), "stop came mid-job"
    assert state_of(compose_api, ticket_id) == "triage", "the job in hand was finished, not dropped"
    assert "factcheck.startup_checks" not in worker.output(), "the compose Redis is a queue: no warning"
    assert stack.healthcheck("worker") != 0, "a stopped worker deregisters"


def test_sweeper_service_rebuilds_a_lost_queue_and_stops_on_sigterm(
    stack: Stack, compose_api: ApiClient, services: list[Service]
) -> None:
    ticket_id = compose_api.create_ticket("The sweeper service re-enqueues lost work.")["id"]
    stack.redis().flushall()  # Redis loses everything; the database still knows
    assert stack.healthcheck("sweeper") != 0, "no sweep yet: the check must fail"
    sweeper = stack.start("sweeper", sweep_grace="0")
    services.append(sweeper)
    wait_for(lambda: stack.redis().exists(LAST_SWEEP_KEY), 60, message=f"a sweep\n{sweeper.output()}")

    assert job_exists(stack, ticket_id)
    assert stack.healthcheck("sweeper") == 0
    assert sweeper.stop() == 0, sweeper.output()


def test_a_full_redis_refuses_the_job_and_the_sweeper_enqueues_it_later(
    stack: Stack, compose_app: Flask, compose_api: ApiClient
) -> None:
    """With ``noeviction`` a full Redis refuses writes: nothing queued is evicted, nothing submitted lost."""
    conn = stack.redis()
    conn.config_set("maxmemory", "1")  # bytes: Redis is full from now on
    try:
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            conn.set("probe", "x")
        ticket_id = compose_api.create_ticket("Kept while Redis is full.")["id"]
        assert not job_exists(stack, ticket_id)
    finally:
        conn.config_set("maxmemory", "0")
    with compose_app.app_context():
        assert sweep().requeued == 1
    assert job_exists(stack, ticket_id)


def test_backup_and_restore_then_the_sweeper_rebuilds_redis(
    stack: Stack, compose_api: ApiClient, empty_database_url: str
) -> None:
    """docs/operations.md's backup and restore: pg_dump, pg_restore, then one sweep."""
    if not empty_database_url.startswith("postgresql"):
        pytest.skip("pg_dump and pg_restore back up PostgreSQL, the compose stack's database")
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        reason = f"{' and '.join(missing)} not installed (apt-get install -y postgresql-client)"
        if REQUIRE_ALL:
            pytest.fail(f"FACTCHECK_REQUIRE_ALL=1: {reason}")
        pytest.skip(reason)
    ticket_id = compose_api.create_ticket("A backup keeps every ticket.")["id"]
    dump = subprocess.run([*PG_DUMP, _libpq(stack.database_url)], capture_output=True, timeout=120)
    assert dump.returncode == 0, dump.stderr.decode()
    for run in ("into an empty database", "over the restored one"):
        restore = subprocess.run(
            [*PG_RESTORE, f"--dbname={_libpq(empty_database_url)}"], input=dump.stdout, capture_output=True
        )
        assert restore.returncode == 0, f"{run}: {restore.stderr.decode()}"
    stack.redis().flushall()  # a new, empty Redis

    restored = dataclasses.replace(stack, database_url=empty_database_url)
    one_sweep = subprocess.run(
        [*restored.argv("sweeper"), "--once"],
        env=restored.environment("sweeper", sweep_grace="0"),
        cwd=stack.folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert one_sweep.returncode == 0, one_sweep.stderr[-3000:]
    assert "requeued=1" in one_sweep.stdout
    assert job_exists(stack, ticket_id)
    engine = make_engine(empty_database_url)
    try:
        with Session(engine) as session:
            claim = session.scalar(select(Ticket.claim).where(Ticket.id == ticket_id))
    finally:
        engine.dispose()
    assert claim == "A backup keeps every ticket."


@pytest.fixture()
def empty_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database on the suite's backend: a new SQLite file or a new PostgreSQL database."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with new_postgres_database(database_url, "factcheck_services") as url:
        yield url


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as libpq (pg_dump, pg_restore) reads it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from factcheck.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _status(url: str) -> int:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return 0
