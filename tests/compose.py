"""Reading docker-compose.yml and .env.example as docker compose would, for the container tests."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from factcheck.cli import main

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE_VARIABLES = {
    "FACTCHECK_SECRET_KEY": "compose-test-secret",
    "POSTGRES_PASSWORD": "compose-test-postgres-password",
    "REDIS_PASSWORD": "compose-test-redis-password",
}
"""The variables the compose file requires (``${VAR:?...}``), with values the app accepts."""
REQUIRE_ALL = os.environ.get("FACTCHECK_REQUIRE_ALL") == "1"
PG_DUMP = ["pg_dump", "--format=custom"]
PG_RESTORE = ["pg_restore", "--clean", "--if-exists", "--no-owner"]
"""The backup and restore options of docs/operations.md, run by tests/test_services.py."""
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def image_services() -> dict[str, dict[str, Any]]:
    """The services built from this repository's Dockerfile."""
    return {name: spec for name, spec in compose()["services"].items() if "build" in spec}


def variables_read() -> dict[str, str]:
    """Every ``${VAR...}`` of the compose file: name -> kind (``?`` required, ``-`` defaulted)."""
    return {name: kind for name, kind, _ in INTERPOLATION.findall(COMPOSE_FILE.read_text())}


def env_example() -> dict[str, str]:
    """``NAME=value`` lines of .env.example (comments and blank lines skipped)."""
    pairs = (line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines())
    return {
        pair[0].strip(): pair[1].strip() for pair in pairs if len(pair) == 2 and not pair[0].startswith("#")
    }


def interpolate(value: str, variables: dict[str, str] | None = None) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}`` with the given variables."""
    known = COMPOSE_VARIABLES if variables is None else variables

    def replace(match: re.Match[str]) -> str:
        name, kind, default = match.groups()
        if known.get(name):
            return known[name]
        assert kind != "?", f"{name} is required by the compose file but not set by this test"
        return default or ""

    return INTERPOLATION.sub(replace, value)


def argv_of(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


def service_command(service: str, variables: dict[str, str] | None = None) -> list[str]:
    """The service's ``command``, interpolated."""
    return [interpolate(str(arg), variables) for arg in argv_of(compose()["services"][service]["command"])]


def service_environment(service: str, variables: dict[str, str] | None = None) -> dict[str, str]:
    """The service's ``environment``, interpolated (mapping form, as the compose file writes it)."""
    environment = compose()["services"][service].get("environment", {})
    return {name: interpolate(str(value), variables) for name, value in environment.items()}


def healthcheck_code(service: str) -> str:
    """The Python source of a ``["CMD", "python", "-c", CODE]`` healthcheck."""
    test = compose()["services"][service]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    code: str = test[3]
    return code


def seconds(duration: str) -> float:
    """A compose duration such as ``330s`` or ``5m30s``."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, f"not a duration: {duration}"
    return sum(float(number) * units[unit] for number, unit in parts)


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


def docker_compose() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        reason = "docker-compose is not installed (apt-get install -y docker-compose)"
        if REQUIRE_ALL:
            pytest.fail(f"FACTCHECK_REQUIRE_ALL=1: {reason}")
        pytest.skip(reason)
    return binary


def compose_config(
    env_file: Path, variables: dict[str, str], files: tuple[Path, ...] = (COMPOSE_FILE,)
) -> subprocess.CompletedProcess[str]:
    """``docker-compose config -q`` with exactly ``variables`` from the shell and ``env_file`` as .env."""
    environment = {k: v for k, v in os.environ.items() if k not in variables_read()} | variables
    config = [docker_compose(), "--env-file", str(env_file)]
    for file in files:
        config += ["-f", str(file)]
    config += ["config", "-q"]
    return subprocess.run(config, env=environment, capture_output=True, text=True)
