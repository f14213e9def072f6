"""Bearer-token owners remembered per process (``factcheck.token_owners``) never outlive a change.

Two apps on the same database and Redis stand for two worker processes: what one changes through
the product (revoke a token, deactivate a user, change a role) the other sees on its next request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import event, select, update

from factcheck import accounts, create_app, token_owners
from factcheck.config import Settings
from factcheck.db import unit_of_work, utcnow
from factcheck.models import ApiToken, User
from tests.support import UserFactory, free_port

TICKETS = "/api/v1/tickets"
INTEGRATIONS = "/api/v1/integrations"


@pytest.fixture()
def other_process(settings: Settings) -> Iterator[Flask]:
    """A second app on the same database and Redis: another gunicorn worker, in effect."""
    other = create_app(settings)
    other.config["TESTING"] = True
    yield other
    other.extensions["factcheck.engine"].dispose()


def count_token_lookups(app: Flask) -> Callable[[], int]:
    """How many statements looking a token's owner up the app's engine runs from now on."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "FROM users JOIN api_tokens" in statement:
            seen.append(statement)

    event.listen(app.extensions["factcheck.engine"], "before_cursor_execute", note)
    return lambda: len(seen)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_remembered_owner_costs_no_query(app: Flask, users: UserFactory) -> None:
    lookups = count_token_lookups(app)
    token = users.token_for("editor")
    client = app.test_client()
    for _ in range(3):
        assert client.get(TICKETS, headers=bearer(token)).status_code == 200
    assert lookups() == 1


def test_revocation_in_one_process_is_401_in_the_other_at_once(
    app: Flask, other_process: Flask, users: UserFactory
) -> None:
    token = users.token_for("editor")
    client = app.test_client()
    assert client.get(TICKETS, headers=bearer(token)).status_code == 200
    with other_process.app_context(), unit_of_work() as session:
        accounts.revoke_token(session, session.scalars(select(ApiToken)).one())
    assert client.get(TICKETS, headers=bearer(token)).status_code == 401


def test_role_changes_and_deactivation_apply_at_once_everywhere(
    app: Flask, other_process: Flask, users: UserFactory
) -> None:
    checker = users.create("checker")
    users.create("admin")  # not the last admin, once promoted: may be deactivated
    token = users.token_of(checker)
    client = app.test_client()
    assert client.get(INTEGRATIONS, headers=bearer(token)).status_code == 403  # admins only
    with other_process.app_context(), unit_of_work() as session:
        accounts.update_user(session, session.get_one(User, checker.id), "admin", True)
    assert client.get(INTEGRATIONS, headers=bearer(token)).status_code == 200
    with other_process.app_context(), unit_of_work() as session:
        accounts.update_user(session, session.get_one(User, checker.id), "admin", False)
    assert client.get(INTEGRATIONS, headers=bearer(token)).status_code == 401


def test_only_credential_changes_renew_the_epoch(app: Flask, users: UserFactory) -> None:
    token = users.token_for("editor")
    client = app.test_client()
    with app.app_context():
        first = token_owners.current_epoch()
        assert (
            client.post(TICKETS, json={"claim": "Bread costs more."}, headers=bearer(token)).status_code
            == 201
        )
        assert token_owners.current_epoch() == first
        users.create("checker")
        assert token_owners.current_epoch() not in {first, None}


def test_a_change_made_around_the_orm_is_seen_after_max_age(
    app: Flask, users: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raw SQL renews no epoch: the remembered owner holds until MAX_AGE, then the database decides."""
    token = users.token_for("editor")
    client = app.test_client()
    assert client.get(TICKETS, headers=bearer(token)).status_code == 200
    with app.extensions["factcheck.engine"].begin() as connection:
        connection.execute(update(ApiToken).values(revoked_at=utcnow()))
    assert client.get(TICKETS, headers=bearer(token)).status_code == 200  # remembered, within MAX_AGE
    monkeypatch.setattr(token_owners, "MAX_AGE", 0.0)
    assert client.get(TICKETS, headers=bearer(token)).status_code == 401


def test_without_redis_every_request_asks_the_database(settings: Settings, users: UserFactory) -> None:
    app = create_app(replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    app.config["TESTING"] = True
    lookups = count_token_lookups(app)
    token = users.token_for("editor")
    client = app.test_client()
    for _ in range(2):
        assert client.get(TICKETS, headers=bearer(token)).status_code == 200
    assert lookups() == 2
    app.extensions["factcheck.engine"].dispose()
