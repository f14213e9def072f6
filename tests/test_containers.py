"""The container setup: docker-compose.yml is valid, and it and the Dockerfile run commands that exist.

Docker's engine is not needed: the compose file is checked by the ``docker-compose`` CLI
(``config`` parses without an engine), every command is resolved against the real click
group and gunicorn's own parser and app loader, and the image's file layout is rebuilt in a
temporary folder from the Dockerfile's COPY lines to run migrations and imports in it.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import click
import pytest
from gunicorn.config import Config as GunicornConfig
from gunicorn.util import import_app

from factcheck.cli import main
from factcheck.config import Settings, SettingsError
from factcheck.jobs.sweep import LAST_SWEEP_KEY
from tests.compose import (
    COMPOSE_FILE,
    COMPOSE_VARIABLES,
    ENV_EXAMPLE,
    ROOT,
    argv_of,
    compose,
    compose_config,
    env_example,
    image_services,
    interpolate,
    resolve_factcheck_command,
    seconds,
    service_environment,
    variables_read,
)

DOCKERFILE = ROOT / "Dockerfile"
REQUIRE_ALL = os.environ.get("FACTCHECK_REQUIRE_ALL") == "1"


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if line.strip().startswith("#") or not (pending or line.strip()):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).strip().partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def dockerfile_json(keyword: str) -> list[str] | None:
    values = [arguments for name, arguments in dockerfile() if name == keyword]
    if not values:
        return None
    argv = json.loads(values[-1])  # exec form: the process gets the signals, not a shell
    assert isinstance(argv, list) and all(isinstance(arg, str) for arg in argv)
    return argv


def check_command(argv: list[str], environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``factcheck ...`` must name a real subcommand; ``gunicorn ...`` must load a real app."""
    program, *args = argv
    if program == "factcheck":
        try:
            resolve_factcheck_command(args)
        except click.ClickException as exc:
            pytest.fail(f"`{shlex.join(argv)}` is not a valid factcheck command: {exc.format_message()}")
    elif program == "gunicorn":
        try:
            options = GunicornConfig().parser().parse_args(args)
        except SystemExit:
            pytest.fail(f"gunicorn rejects the options of `{shlex.join(argv)}`")
        assert len(options.args) == 1, f"one app spec expected in `{shlex.join(argv)}`"
        for name in [name for name in os.environ if name.startswith("FACTCHECK_")]:
            monkeypatch.delenv(name)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        assert callable(import_app(options.args[0]))  # calls create_app() with that environment
    else:
        pytest.fail(f"`{shlex.join(argv)}` should start with `factcheck` or `gunicorn`")


def test_compose_file_is_valid_for_docker_compose(tmp_path: Path) -> None:
    no_dotenv = tmp_path / "empty.env"  # a developer's .env must not change the outcome
    no_dotenv.write_text("")
    result = compose_config(no_dotenv, COMPOSE_VARIABLES)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("required", sorted(COMPOSE_VARIABLES))
def test_compose_refuses_to_start_without_a_secret(required: str, tmp_path: Path) -> None:
    no_dotenv = tmp_path / "empty.env"
    no_dotenv.write_text("")
    variables = {name: value for name, value in COMPOSE_VARIABLES.items() if name != required}
    result = compose_config(no_dotenv, variables)
    assert result.returncode != 0, f"the compose file must refuse to start without {required}"
    assert required in result.stderr


def test_compose_requires_exactly_the_secrets_and_defaults_the_rest() -> None:
    required = {name for name, kind in variables_read().items() if kind == "?"}
    assert required == set(COMPOSE_VARIABLES)
    text = COMPOSE_FILE.read_text()
    for secret in ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "FACTCHECK_SECRET_KEY"):
        assert re.search(rf"\${{{secret}:-", text) is None, f"{secret} must have no default in the file"


def test_env_example_lists_every_variable_the_compose_file_reads() -> None:
    assert set(env_example()) == set(variables_read())
    assert compose_config(ENV_EXAMPLE, {}).returncode == 0, "the example is a complete .env"


def test_production_refuses_each_placeholder_of_the_env_example() -> None:
    example = env_example()
    placeholders = sorted(name for name in COMPOSE_VARIABLES if example[name] == "change-me")
    assert placeholders == sorted(COMPOSE_VARIABLES), "every secret of the example is a placeholder"
    for service in ("migrate", "web", "worker", "sweeper"):
        with pytest.raises(SettingsError):
            Settings.from_env(service_environment(service, example))
        for placeholder in placeholders:  # each one alone is enough to refuse
            variables = COMPOSE_VARIABLES | {placeholder: example[placeholder]}
            with pytest.raises(SettingsError, match="placeholder"):
                Settings.from_env(service_environment(service, variables))
        Settings.from_env(service_environment(service, COMPOSE_VARIABLES))


def test_every_service_of_the_image_has_an_explicit_command() -> None:
    services = image_services()
    assert {"migrate", "web", "worker", "sweeper"} <= services.keys()
    for name, spec in services.items():
        assert spec.get("command"), f"service {name} relies on the image's default command"


@pytest.mark.parametrize("service", sorted(image_services()))
def test_compose_command_exists(service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = image_services()[service]
    environment = service_environment(service)
    if "PROMETHEUS_MULTIPROC_DIR" in environment:  # a tmpfs in the container
        environment["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "prometheus")
        (tmp_path / "prometheus").mkdir()
    Settings.from_env(environment)  # production settings the service will run with are complete
    monkeypatch.chdir(tmp_path)
    check_command([interpolate(arg) for arg in argv_of(spec["command"])], environment, monkeypatch)


def test_dockerfile_default_command_exists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert dockerfile_json("ENTRYPOINT") is None, "an ENTRYPOINT would change every compose command"
    cmd = dockerfile_json("CMD")
    assert cmd is not None and cmd[0] == "gunicorn"
    monkeypatch.chdir(tmp_path)
    check_command(cmd, {"FACTCHECK_INSTANCE_PATH": str(tmp_path / "instance")}, monkeypatch)


def test_console_script_is_the_click_group() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, attribute = scripts["factcheck"].partition(":")
    assert getattr(importlib.import_module(module), attribute) is main


def test_healthchecks_probe_what_each_process_does() -> None:
    services = compose()["services"]
    [(_, healthcheck)] = [entry for entry in dockerfile() if entry[0] == "HEALTHCHECK"]
    checks = {"image": json.loads(healthcheck.split(" CMD ", 1)[1])}
    checks |= {
        name: spec["healthcheck"]["test"] for name, spec in services.items() if "test" in spec["healthcheck"]
    }
    for name, test in checks.items():
        if "python" in test[:2]:
            assert test[-2] == "-c"
            compile(test[-1], f"<healthcheck of {name}>", "exec")
    assert "/healthz" in checks["image"][-1]
    assert "/readyz" in checks["web"][-1]
    assert "rq.Worker.all" in checks["worker"][-1]
    assert repr(LAST_SWEEP_KEY) in checks["sweeper"][-1]
    assert services["migrate"]["healthcheck"] == {"disable": True}, "a one-shot job has no health"


def test_worker_scales_and_finishes_its_job_on_stop() -> None:
    worker = compose()["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker
    settings = Settings.from_env(service_environment("worker"))  # the defaults, unless compose sets one
    longest_job = max(settings.collect_timeout, settings.webhook_timeout + 30)  # see factcheck.queue
    assert worker.get("stop_signal", "SIGTERM") == "SIGTERM", "SIGTERM is RQ's warm shutdown"
    assert seconds(worker["stop_grace_period"]) > longest_job
    assert worker.get("init") is True, "PID 1 must forward SIGTERM to the worker"


def test_redis_is_configured_as_a_queue_with_a_password() -> None:
    services = compose()["services"]
    command = " ".join(argv_of(services["redis"]["command"]))
    assert "--appendonly yes" in command and "--maxmemory-policy noeviction" in command
    assert "--requirepass ${REDIS_PASSWORD:?" in command
    assert "ports" not in services["redis"] and "ports" not in services["postgres"], "never published"
    assert services["redis"]["environment"]["REDISCLI_AUTH"].startswith("${REDIS_PASSWORD:?")
    password = COMPOSE_VARIABLES["REDIS_PASSWORD"]
    for service in image_services():
        assert urlsplit(service_environment(service)["FACTCHECK_REDIS_URL"]).password == password


def test_web_sizes_gunicorn_from_the_environment() -> None:
    command = [interpolate(arg, {}) for arg in argv_of(compose()["services"]["web"]["command"])]
    assert command[command.index("--workers") + 1] == "2"
    assert command[command.index("--threads") + 1] == "4"
    sized = {"WEB_CONCURRENCY": "3", "GUNICORN_THREADS": "8"}
    command = [interpolate(arg, sized) for arg in argv_of(compose()["services"]["web"]["command"])]
    assert command[command.index("--workers") + 1] == "3"
    assert command[command.index("--threads") + 1] == "8"


def test_web_and_workers_share_one_prometheus_folder_the_image_user_owns() -> None:
    """Workers write their job metrics where web's /metrics reads them: one named volume."""
    services = compose()["services"]
    folders = {
        name: services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        for name in services
        if name not in ("postgres", "redis")
    }
    [folder] = set(folders.values())
    for service in ("web", "worker"):
        assert f"metrics:{folder}" in services[service]["volumes"], f"{service} mounts the shared volume"
    assert "metrics" in compose()["volumes"]
    runs = " ".join(arguments for keyword, arguments in dockerfile() if keyword == "RUN")
    assert f"mkdir -p {folder} && chown factcheck:factcheck {folder}" in runs, (
        "the image creates it for its user (a new named volume takes the owner from the image)"
    )


def test_the_image_runs_as_a_user_and_has_no_build_tools() -> None:
    instructions = dockerfile()
    [base] = [arguments for keyword, arguments in instructions if keyword == "FROM"]
    assert base.split(":")[1].endswith("-slim"), "one slim stage"
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    runs = " ".join(arguments for keyword, arguments in instructions if keyword == "RUN")
    for tool in ("apt-get", "gcc", "build-essential", "make "):
        assert tool not in runs, f"the image installs {tool}"


def test_web_waits_for_migrations_and_redis() -> None:
    depends_on = compose()["services"]["web"]["depends_on"]
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert compose()["services"]["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_pip_install_sees_what_pyproject_names() -> None:
    copied: list[str] = []
    for keyword, arguments in dockerfile():
        if keyword == "RUN" and "pip install ." in arguments:
            break
        if keyword == "COPY":
            copied += [arg.rstrip("/") for arg in arguments.split()[:-1] if not arg.startswith("--")]
    readme = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["readme"]
    assert {"pyproject.toml", readme} <= set(copied)


def test_image_layout_runs_migrations_and_imports_the_runtime(tmp_path: Path) -> None:
    """Rebuild the image's files from the COPY lines (minus .dockerignore) and use them."""
    image = tmp_path / "image"
    workdir, pythonpath = build_image_tree(image)
    script = (
        "import sys\n"
        "sys.path.remove('')  # only PYTHONPATH, as for the `factcheck` command in the image\n"
        "import factcheck, factcheck.migrate\n"
        "assert factcheck.__file__.startswith(sys.argv[1]), factcheck.__file__\n"
        "factcheck.migrate.upgrade('sqlite:///' + sys.argv[2])\n"
        "import workers.worker, workers.sweeper, wsgi\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FACTCHECK_")}
    environment |= {"PYTHONPATH": pythonpath, "FACTCHECK_INSTANCE_PATH": str(tmp_path / "instance")}
    result = subprocess.run(
        [sys.executable, "-c", script, str(image), str(tmp_path / "image.db")],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def build_image_tree(image: Path) -> tuple[Path, str]:
    """Copy what the Dockerfile's COPY lines copy into ``image``; return the workdir and PYTHONPATH."""
    workdir, environment = PurePosixPath("/"), dict[str, str]()
    for keyword, arguments in dockerfile():
        if keyword == "WORKDIR":
            workdir = workdir / arguments
        elif keyword == "ENV":
            environment |= dict(pair.split("=", 1) for pair in shlex.split(arguments))
        elif keyword == "COPY":
            *sources, destination = [arg for arg in arguments.split() if not arg.startswith("--")]
            target = image / (workdir / destination).relative_to("/")
            into_folder = destination.endswith(("/", ".")) or len(sources) > 1
            for source in sources:
                copy_context(ROOT / source, target, into_folder)
    entries = [entry for entry in environment.get("PYTHONPATH", "").split(":") if entry]
    paths = [str(image / (workdir / entry).relative_to("/")) for entry in entries]
    return image / workdir.relative_to("/"), os.pathsep.join(paths)


def copy_context(source: Path, target: Path, into_folder: bool) -> None:
    """``COPY source target``: a folder's contents or one file, skipping what .dockerignore excludes."""
    if source.is_dir():
        pairs = [(path, target / path.relative_to(source)) for path in source.rglob("*") if path.is_file()]
    else:
        pairs = [(source, target / source.name if into_folder else target)]
    for path, destination in pairs:
        if dockerignored(path.relative_to(ROOT).as_posix()):
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)


def dockerignored(relative: str) -> bool:
    """Whether .dockerignore keeps ``relative`` out of the build context (last match wins)."""
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    patterns = [pattern for pattern in patterns if pattern and not pattern.startswith("#")]
    parts = relative.split("/")
    for prefix in ("/".join(parts[: index + 1]) for index in range(len(parts))):
        ignored = False
        for pattern in patterns:
            negated = pattern.startswith("!")
            if re.fullmatch(glob_regex(pattern.lstrip("!").strip("/")), prefix):
                ignored = not negated
        if ignored:
            return True
    return False


def glob_regex(pattern: str) -> str:
    """Docker's glob: ``**`` crosses folders, ``*`` and ``?`` stay within one."""
    translated = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
    return translated.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
