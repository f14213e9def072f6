"""The README stays true: its commands exist and every setting is documented."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from factcheck.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_the_run_and_test_commands() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line.split()[0] for line in first_block.group(1).splitlines() if line.strip()]
    assert commands == ["scripts/up", "scripts/test"]
    for command in commands:
        assert (ROOT / command).stat().st_mode & 0o111, f"{command} is executable"


def test_ci_runs_the_readme_test_command() -> None:
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_every_setting_is_documented_in_the_configuration_table() -> None:
    documented = set(re.findall(r"\| `FACTCHECK_([A-Z_]+)` \|", README))
    assert documented == {spec.name.upper() for spec in fields(Settings)}
