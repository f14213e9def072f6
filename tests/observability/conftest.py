"""Observability fixtures: settings that let webhook receivers on 127.0.0.1 be reached."""

from __future__ import annotations

from dataclasses import replace

import pytest

from factcheck.config import Settings


@pytest.fixture()
def settings(settings: Settings) -> Settings:
    return replace(settings, outbound_allow_hosts="127.0.0.1")
