"""Every page and every form of the web app, found by crawling it as each role (and as a visitor):
each HTML answer carries the security headers and safe cookie flags (HSTS and Secure cookies in
production), and each ``<form method=post>`` is refused without its CSRF token, changing nothing,
and, filled in as a person would, works with it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from factcheck import create_app
from factcheck.web.urls import TIP_ROUTES, WEB_ROUTES
from tests.security.conftest import ModuleApps
from tests.security.crawl import Crawl, Form, crawl, endpoint, parse
from tests.security.desk import DESK_SETTINGS, Newsdesk, unique
from tests.web.support import WebClient

VISITOR = "anonymous"
CRAWLERS = (VISITOR, "checker", "editor", "admin")
FORM_ENDPOINTS = [f"web.{name}" for _rule, name, _view, methods in WEB_ROUTES if "POST" in methods] + [
    f"tips.{name}" for _rule, name, _view, methods in TIP_ROUTES if "POST" in methods
]
REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
HSTS_MIN_AGE = 31_536_000


@pytest.fixture(scope="module")
def desk(module_apps: ModuleApps) -> Newsdesk:
    """The newsroom, with sign-ins and tips unthrottled: this module signs in for every form."""
    limits = {"login_rate_limit": "1000 per minute", "tip_rate_limit": "1000 per minute"}
    desk = Newsdesk(module_apps(**DESK_SETTINGS, **limits))
    assert desk.collected
    return desk


@pytest.fixture(scope="module")
def seeds(desk: Newsdesk) -> list[str]:
    """Where the crawl starts: the app's own entry pages and one object of every kind."""
    tickets = {state: desk.ticket(state) for state in ("triage", "researching", "in_review", "approved")}
    published = desk.ticket("published")
    rejected = desk.ticket("triage")
    assert desk.api("editor").act(rejected, "reject", {"reason": "Opinion."}).status_code == 200
    visitor = WebClient(desk.app.test_client())
    tip = visitor.post("/tips/new", {"claim": unique("A reader says bread prices tripled")})
    assert tip.status_code == 302, tip.get_data(as_text=True)
    hook = f"/app/admin/webhooks/{desk.subscription_id}"
    return [
        "/app/",
        "/app/sign-in",
        "/tips/new",
        tip.headers["Location"],
        "/fact-checks/",
        f"/fact-checks/{desk.slug(published)}",
        *(
            f"/app/tickets/{ticket}"
            for ticket in [*tickets.values(), published, rejected, desk.archived_ticket]
        ),
        f"/app/articles/{desk.article()}",
        hook,
        f"{hook}/deliveries/{desk.delivery_id}",
        "/app/admin/users",
        "/app/admin/tokens",
    ]


def client_as(desk: Newsdesk, role: str, app: Flask | None = None) -> WebClient:
    """A browser of its own: a visitor, or signed in as the desk's person with ``role``."""
    return signed_in_as(desk, role, app)[0]


def signed_in_as(
    desk: Newsdesk, role: str, app: Flask | None = None
) -> tuple[WebClient, TestResponse | None]:
    """A browser of its own, and the answer to its sign-in (None for a visitor)."""
    if role == VISITOR:
        return WebClient((app or desk.app).test_client()), None
    web = WebClient((app or desk.app).test_client(), desk.people[role])
    answer = web.sign_in(desk.people[role].email)
    assert answer.status_code == 302
    return web, answer


def crawl_as(desk: Newsdesk, role: str, seeds: list[str], app: Flask | None = None) -> Crawl:
    """The crawl of one role; its sign-in answer (which sets the session cookie) is kept with it."""
    web, answer = signed_in_as(desk, role, app)
    result = crawl(app or desk.app, web, role, seeds)
    if answer is not None:
        result.pages["(sign-in answer)"] = answer
    result.browser = web
    return result


@pytest.fixture(scope="module")
def crawls(desk: Newsdesk, seeds: list[str]) -> dict[str, Crawl]:
    return {role: crawl_as(desk, role, seeds) for role in CRAWLERS}


@pytest.fixture(scope="module")
def production(desk: Newsdesk) -> Iterator[Flask]:
    """The same newsroom served with production settings (same database and Redis)."""
    settings = replace(desk.app.extensions["factcheck.settings"], env="production")
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["factcheck.engine"].dispose()


# --- headers and cookies ---------------------------------------------------------------------------


def header_problems(response: TestResponse, production: bool) -> list[str]:
    """What is missing from an HTML answer's security headers and cookie flags."""
    headers = response.headers
    policy = dict(
        [*part.strip().split(" ", 1), ""][:2]
        for part in headers.get("Content-Security-Policy", "").split(";")
    )
    scripts = policy.get("script-src", policy.get("default-src", "*"))
    problems = [
        "no CSP" if not policy.get("default-src") else "",
        "scripts not limited" if "'unsafe-inline'" in scripts or "*" in scripts else "",
        "framable (CSP)" if policy.get("frame-ancestors") != "'none'" else "",
        "framable (X-Frame-Options)" if headers.get("X-Frame-Options") != "DENY" else "",
        "plugins allowed"
        if "'none'" not in (policy.get("object-src") or policy.get("default-src", ""))
        else "",
        "no nosniff" if headers.get("X-Content-Type-Options") != "nosniff" else "",
        "referrer leaks" if headers.get("Referrer-Policy") not in REFERRER_POLICIES else "",
    ]
    hsts = headers.get("Strict-Transport-Security")
    if production:
        age = hsts.split(";")[0].removeprefix("max-age=") if hsts else ""
        problems.append("" if age.isdigit() and int(age) >= HSTS_MIN_AGE else f"HSTS {hsts!r}")
    else:
        problems.append("HSTS over plain http" if hsts else "")
    for cookie in headers.getlist("Set-Cookie"):
        flags = {flag.strip().lower() for flag in cookie.split(";")[1:]}
        problems += [
            "" if "httponly" in flags else f"cookie without HttpOnly: {cookie}",
            "" if flags & {"samesite=lax", "samesite=strict"} else f"cookie without SameSite: {cookie}",
            "" if ("secure" in flags) == production else f"cookie Secure flag wrong: {cookie}",
        ]
    return [problem for problem in problems if problem]


def assert_all_secure(pages: dict[str, TestResponse], production: bool) -> int:
    html = {path: response for path, response in pages.items() if response.mimetype == "text/html"}
    failures = {path: header_problems(response, production) for path, response in html.items()}
    assert {path: problems for path, problems in failures.items() if problems} == {}
    return len(html)


@pytest.mark.parametrize("role", CRAWLERS)
def test_every_page_reached_sends_security_headers_and_safe_cookies(
    crawls: dict[str, Crawl], role: str
) -> None:
    reached = crawls[role]
    sign_in = crawls[VISITOR].pages["/app/sign-in"]

    checked = assert_all_secure({**reached.pages, "sign-in form": sign_in}, production=False)

    assert checked >= 10, f"the crawl as {role} reached only {checked} pages"
    if role != VISITOR:
        assert all(
            response.headers.get("Cache-Control") == "no-store"
            for path, response in reached.pages.items()
            if path.startswith("/app") and response.status_code == 200 and response.mimetype == "text/html"
        ), "signed-in pages are never stored by caches"


@pytest.mark.parametrize("role", [VISITOR, "admin"])
def test_in_production_every_page_also_sends_hsts_and_secure_cookies(
    desk: Newsdesk, production: Flask, seeds: list[str], role: str
) -> None:
    reached = crawl_as(desk, role, seeds, production)
    signed_out = reached.browser.post("/app/sign-out")

    checked = assert_all_secure({**reached.pages, "sign-out": signed_out}, production=True)

    assert checked >= 10


# --- CSRF on every form ------------------------------------------------------------------------------


def first_form(desk: Newsdesk, crawls: dict[str, Crawl], name: str) -> tuple[str, Form]:
    """The least powerful role that was offered a form posting to ``name``, and that form."""
    for role in CRAWLERS:
        for form in crawls[role].forms:
            if _view_name(desk.app, form.action) == name:
                return role, form
    raise AssertionError(f"no crawled page offers a form that posts to {name}")


def _view_name(app: Flask, path: str) -> str | None:
    return endpoint(app, path, "POST")


def refused_for_csrf(response: TestResponse) -> bool:
    return response.status_code == 400 and "CSRF" in response.get_data(as_text=True)


def test_the_crawl_finds_a_form_for_every_post_route_of_the_web_app(
    desk: Newsdesk, crawls: dict[str, Crawl]
) -> None:
    found = {_view_name(desk.app, form.action) for result in crawls.values() for form in result.forms}

    assert set(FORM_ENDPOINTS) - found == set()


@pytest.mark.parametrize("name", FORM_ENDPOINTS)
def test_each_form_is_refused_without_its_csrf_token_and_accepted_with_it(
    desk: Newsdesk, crawls: dict[str, Crawl], name: str
) -> None:
    role, found = first_form(desk, crawls, name)
    browser = client_as(desk, role)
    _links, forms = parse(found.page, browser.get(found.page))
    form = next(form for form in forms if form.action == found.action)
    people = {"sign_in": desk.people["checker"].email} if name == "web.sign_in" else {}
    before = desk.fingerprint()

    forged = browser.client.post(form.action, data=form.data(with_token=False, people=people))

    assert refused_for_csrf(forged), (forged.status_code, forged.get_data(as_text=True)[:200])
    assert header_problems(forged, production=False) == []
    assert desk.fingerprint() == before, "a forged form changed the database"
    if role != VISITOR:
        assert browser.get("/app/").status_code == 200, "still signed in (sign-out needs the token too)"
    genuine = browser.client.post(form.action, data=form.data(with_token=True, people=people))
    assert genuine.status_code in (200, 302, 303), genuine.get_data(as_text=True)[:300]
    assert header_problems(genuine, production=False) == []
