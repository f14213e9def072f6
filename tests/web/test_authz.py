"""Who may see what: admin pages for admins, the library for editors, nothing for strangers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.web.support import WebClient, text

ADMIN_ONLY = [
    "/app/admin/users",
    "/app/admin/tokens",
    "/app/admin/ratings",
    "/app/admin/organisation",
    "/app/admin/integrations",
    "/app/admin/webhooks",
]
EVERY_PAGE = [
    *ADMIN_ONLY,
    "/app/admin/library",
    "/app/",
    "/app/tickets",
    "/app/claims/new",
    "/app/articles/new",
]


@pytest.mark.parametrize("path", ADMIN_ONLY)
@pytest.mark.parametrize("role", ["checker", "editor"])
def test_admin_pages_are_forbidden_below_admin(
    signed_in: Callable[[str], WebClient], role: str, path: str
) -> None:
    response = signed_in(role).get(path)

    assert response.status_code == 403
    assert "Not allowed" in text(response)


@pytest.mark.parametrize("path", [path for path in ADMIN_ONLY if not path.endswith("organisation")])
def test_admin_forms_are_forbidden_below_admin(signed_in: Callable[[str], WebClient], path: str) -> None:
    response = signed_in("editor").post(path, {"email": "x@newsroom.test", "role": "admin", "name": "x"})

    assert response.status_code == 403


def test_library_upload_is_for_editors_not_checkers(signed_in: Callable[[str], WebClient]) -> None:
    assert signed_in("checker").get("/app/admin/library").status_code == 403
    assert signed_in("editor").get("/app/admin/library").status_code == 200


@pytest.mark.parametrize("path", EVERY_PAGE)
def test_anonymous_visitors_are_redirected_to_sign_in(anonymous: WebClient, path: str) -> None:
    response = anonymous.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/app/sign-in?next=")


def test_navigation_shows_admin_only_to_admins(signed_in: Callable[[str], WebClient]) -> None:
    assert ">Admin</a>" not in text(signed_in("checker").get("/app/"))
    assert ">Library</a>" not in text(signed_in("checker").get("/app/"))
    assert ">Library</a>" in text(signed_in("editor").get("/app/"))
    assert ">Admin</a>" in text(signed_in("admin").get("/app/"))
