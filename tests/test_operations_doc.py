"""docs/operations.md says what the compose file does and what the tests run."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from tests.compose import (
    COMPOSE_FILE,
    COMPOSE_VARIABLES,
    PG_DUMP,
    PG_RESTORE,
    ROOT,
    argv_of,
    compose,
    compose_config,
    interpolate,
    resolve_factcheck_command,
    variables_read,
)

GUIDE = (ROOT / "docs" / "operations.md").read_text()
BENCH = (ROOT / "bench" / "README.md").read_text()
OPTIONS_WITH_VALUES = {"-e", "-u", "--user", "--scale", "--tail", "-w", "--workdir"}
"""Options of the subcommands the guide uses that take a value (``logs -f`` is a flag)."""


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE, re.S)


def compose_commands() -> list[list[str]]:
    """Every ``docker compose ...`` line of the guide's shell blocks, cut at a redirection."""
    commands = []
    for block in code_blocks("sh"):
        for line in block.splitlines():
            if line.startswith("docker compose "):
                words = shlex.split(line, comments=True)
                cut = [i for i, word in enumerate(words) if word in ("<", ">", "|")]
                commands.append(words[2 : cut[0]] if cut else words[2:])
    return commands


def split_compose_command(words: list[str]) -> tuple[str, dict[str, str], list[str]]:
    """(subcommand, options, the rest) of ``docker compose SUBCOMMAND [OPTIONS] ...``."""
    subcommand, options, rest = words[0], dict[str, str](), words[1:]
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        options[option] = rest.pop(0) if option in OPTIONS_WITH_VALUES else ""
    return subcommand, options, rest


def test_every_compose_command_of_the_guide_names_real_services_and_commands() -> None:
    services = set(compose()["services"])
    commands = compose_commands()
    assert len(commands) >= 10
    for words in commands:
        subcommand, options, rest = split_compose_command(words)
        if "--scale" in options:
            assert options["--scale"].split("=")[0] in services, words
        if subcommand in ("exec", "run"):
            service, *command = rest
            assert service in services, words
            if command[0] == "factcheck":
                resolve_factcheck_command(command[1:])
        else:
            assert subcommand in ("up", "stop", "ps", "logs"), words
            assert set(rest) <= services, words


def test_the_service_commands_quoted_are_the_compose_commands() -> None:
    [block] = code_blocks("text")
    quoted = dict(line.split(None, 1) for line in block.splitlines())
    factcheck_services = {name for name, spec in compose()["services"].items() if "build" in spec}
    assert set(quoted) == factcheck_services
    for service, command in quoted.items():
        compose_command = [
            interpolate(str(arg), {}) for arg in argv_of(compose()["services"][service]["command"])
        ]
        assert command == shlex.join(compose_command), service


def test_the_redis_command_quoted_is_the_compose_one() -> None:
    redis_command = [str(arg) for arg in argv_of(compose()["services"]["redis"]["command"])]
    password = redis_command.index("--requirepass") + 1
    redis_command[password] = "$REDIS_PASSWORD"
    assert shlex.join(redis_command).replace("'$REDIS_PASSWORD'", '"$REDIS_PASSWORD"') in GUIDE


def test_backup_and_restore_use_the_options_the_test_runs() -> None:
    dump = [words for words in compose_commands() if "pg_dump" in words]
    restore = [words for words in compose_commands() if "pg_restore" in words]
    assert dump and restore
    for words in dump:
        assert set(PG_DUMP[1:]) <= set(words)
    for words in restore:
        assert set(PG_RESTORE[1:]) <= set(words)


def test_every_variable_the_compose_file_reads_is_documented() -> None:
    table = set(re.findall(r"^\| `([A-Z_]+)` \|", GUIDE, re.M))
    assert table == set(variables_read())


def test_the_grace_period_quoted_is_the_compose_one() -> None:
    assert f"stop_grace_period: {compose()['services']['worker']['stop_grace_period']}" in GUIDE


def test_every_test_the_guide_cites_exists() -> None:
    cited = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", GUIDE)
    assert len(cited) >= 10
    for path, name in cited:
        source = (ROOT / path).read_text()
        if name:
            assert f"def {name}(" in source, f"{path}::{name}"
    proofs = re.findall(r"^\| `\w+` \|.*\| `(test_\w+)` \|$", GUIDE, re.M)  # the services table
    services_tests = (ROOT / "tests" / "test_services.py").read_text()
    assert len(proofs) == len(compose()["services"])
    for name in proofs:
        assert f"def {name}(" in services_tests, name


def test_every_sizing_figure_is_quoted_from_the_benchmarks() -> None:
    section = GUIDE.split("## Sizing", 1)[1]
    rows = re.findall(r"^\| (?!what|---)(.*) \| (.*) \|$", section, re.M)
    assert len(rows) >= 6
    for _, figure in rows:
        for number in re.findall(r"\d+(?:\.\d+)?", figure):
            assert re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", BENCH), f"{number} ({figure})"


def test_the_override_example_is_valid(tmp_path: Path) -> None:
    [override] = code_blocks("yaml")
    command = yaml.safe_load(override)["services"]["worker"]["command"]
    assert command[0] == "factcheck"
    resolve_factcheck_command(command[1:])
    override_file = tmp_path / "docker-compose.override.yml"
    override_file.write_text(override)
    no_dotenv = tmp_path / "empty.env"
    no_dotenv.write_text("")
    result = compose_config(no_dotenv, COMPOSE_VARIABLES, (COMPOSE_FILE, override_file))
    assert result.returncode == 0, result.stderr


def test_the_placeholders_the_guide_lists_are_the_ones_refused() -> None:
    from factcheck.config import PLACEHOLDER_SECRETS

    listed = re.search(r"well-known placeholder \(([^)]*)\)", GUIDE.replace("\n", " "))
    assert listed is not None
    assert set(re.findall(r"`([^`]+)`", listed.group(1))) == set(PLACEHOLDER_SECRETS)


@pytest.mark.parametrize("path", ["README.md", "docker-compose.yml"])
def test_the_guide_is_linked(path: str) -> None:
    assert "docs/operations.md" in (ROOT / path).read_text()
