"""Security suite fixtures: apps that live for a whole module (each module builds one newsroom and
runs many requests against it), emptied like every other test's app when the module ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask

from factcheck import auth, create_app
from factcheck.config import Settings
from tests.conftest import _empty_everything
from tests.security.desk import DESK_SETTINGS, Newsdesk

ModuleApps = Callable[..., Flask]


def base_settings(database_url: str, redis_url: str, instance_path: Path, **overrides: Any) -> Settings:
    """The suite's test settings (as ``tests/conftest.py``'s ``settings``), with ``overrides``."""
    return Settings.from_env(
        {},
        database_url=database_url,
        redis_url=redis_url,
        instance_path=str(instance_path),
        secret_key="test-secret",
        sweep_grace=0,
        job_monitoring_interval=1,
        job_stale_after=3,
        **overrides,
    )


@pytest.fixture(scope="module")
def module_apps(
    migrated: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ModuleApps]:
    """Build apps on the test database and Redis for this module; both are emptied at its end."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        instance = tmp_path_factory.mktemp("instance")
        app = create_app(base_settings(migrated, redis_url, instance, **overrides))
        app.config["TESTING"] = True
        made.append(app)
        return app

    with pytest.MonkeyPatch.context() as patch:
        # Argon2 at its smallest cost: these tests sign in often and test access, not hashing.
        patch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield make
    if made:
        _empty_everything(made[0])
    for app in made:
        app.extensions["factcheck.engine"].dispose()


@pytest.fixture(scope="module")
def desk(module_apps: ModuleApps) -> Newsdesk:
    """One newsroom per module, with one of everything (see ``tests/security/desk.py``)."""
    desk = Newsdesk(module_apps(**DESK_SETTINGS))
    assert desk.collected  # made now, before any test looks at the database
    return desk
