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
from typing import Any

import click
import pytest
import yaml
from gunicorn.config import Config as GunicornConfig
from gunicorn.util import import_app

from factcheck.cli import main
from factcheck.config import Settings
from factcheck.jobs.sweep import LAST_SWEEP_KEY

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
REQUIRE_ALL = os.environ.get("FACTCHECK_REQUIRE_ALL") == "1"
COMPOSE_VARIABLES = {"FACTCHECK_SECRET_KEY": "compose-test-secret"}
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def image_services() -> dict[str, dict[str, Any]]:
    """The services built from this repository's Dockerfile."""
    return {name: spec for name, spec in compose()["services"].items() if "build" in spec}


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


def argv_of(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


def interpolate(value: str) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}`` with the test's variables."""

    def replace(match: re.Match[str]) -> str:
        name, kind, default = match.groups()
        if name in COMPOSE_VARIABLES:
            return COMPOSE_VARIABLES[name]
        assert kind != "?", f"{name} is required by the compose file but not set by this test"
        return default or ""

    return INTERPOLATION.sub(replace, value)


def resolve_factcheck_command(args: list[str]) -> click.Context:
    """Parse ``factcheck ARGS`` like the real command would, without running it."""
    command: click.Command = main
    ctx = command.make_context("factcheck", list(args))
    while isinstance(command, click.Group):
        protected = getattr(ctx, "_protected_args", None)  # click >= 8.2; a public list before
        remaining = [*(ctx.protected_args if protected is None else protected), *ctx.args]
        name, subcommand, rest = command.resolve_command(ctx, remaining)
        assert name is not None and subcommand is not None
        command, ctx = subcommand, subcommand.make_context(name, rest, parent=ctx)
    return ctx


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
    binary = shutil.which("docker-compose")
    if binary is None:
        reason = "docker-compose is not installed (apt-get install -y docker-compose)"
        if REQUIRE_ALL:
            pytest.fail(f"FACTCHECK_REQUIRE_ALL=1: {reason}")
        pytest.skip(reason)
    environment = {k: v for k, v in os.environ.items() if k not in COMPOSE_VARIABLES}
    no_dotenv = tmp_path / "empty.env"  # a developer's .env must not change the outcome
    no_dotenv.write_text("")
    config = [binary, "--env-file", str(no_dotenv), "-f", str(COMPOSE_FILE), "config", "-q"]
    result = subprocess.run(config, env=environment | COMPOSE_VARIABLES, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    missing = subprocess.run(config, env=environment, capture_output=True, text=True)
    assert missing.returncode != 0, "the compose file must refuse to start without a secret key"
    assert "FACTCHECK_SECRET_KEY" in missing.stderr


def test_every_service_of_the_image_has_an_explicit_command() -> None:
    services = image_services()
    assert {"migrate", "web", "worker", "sweeper"} <= services.keys()
    for name, spec in services.items():
        assert spec.get("command"), f"service {name} relies on the image's default command"


@pytest.mark.parametrize("service", sorted(image_services()))
def test_compose_command_exists(service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = image_services()[service]
    environment = {name: interpolate(str(value)) for name, value in spec["environment"].items()}
    Settings.from_env(environment)  # production settings the service will run with are complete
    monkeypatch.chdir(tmp_path)
    check_command(argv_of(spec["command"]), environment, monkeypatch)


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
    assert seconds(worker["stop_grace_period"]) >= Settings().collect_timeout


def test_web_waits_for_migrations_and_redis() -> None:
    depends_on = compose()["services"]["web"]["depends_on"]
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert compose()["services"]["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def seconds(duration: str) -> float:
    """A compose duration such as ``330s`` or ``5m30s``."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, f"not a duration: {duration}"
    return sum(float(number) * units[unit] for number, unit in parts)


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
