"""End to end in a real browser (Debian's Chromium driven by Playwright), against a live server
with a real RQ worker: a claim goes from the form through collection, research, review and
publication to a correction, and a reader's tip is followed through its tracking link.

Screenshots of the main pages are taken on every run; with FACTCHECK_SCREENSHOTS=1 they are
written to docs/screenshots/ (shown in README.md), otherwise to a temporary folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from factcheck.config import Settings
from factcheck.db import unit_of_work
from factcheck.models import User
from factcheck.references import documents
from tests.conftest import REQUIRE_ALL
from tests.support import UserFactory, service_env
from tests.web.support import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("FACTCHECK_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / f"factcheck-screenshots-{os.getpid()}"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--mute-audio",
]
CLAIM = "Unemployment fell to 3% in 2025, the minister said."
LIBRARY = [
    {
        "title": "Labour force survey, fourth quarter 2025",
        "publisher": "National Statistics Office",
        "text": "The unemployment rate stood at 4.1% in the fourth quarter of 2025, up from 3.9% a year "
        "earlier. Unemployment in 2025 averaged 4.0%, the statistics office said in its annual review.",
    },
    {
        "title": "Minister's speech on the economy",
        "publisher": "Ministry of Labour",
        "text": "In a speech on Tuesday the minister said unemployment fell to 3% in 2025 and credited "
        "the government's training programme.",
    },
]

ARTICLE = (
    '"Unemployment fell to 3% in 2025, the lowest rate in forty years," said Finance Minister Jane Doe '
    "on Tuesday. Critics disagreed. The weather was pleasant in the capital. According to the "
    "statistics office, inflation rose by 7.2% last year while wages grew by 2%. The city will open "
    "two new parks next spring."
)
HISTORY = [
    # claim, days ago, fate, hours it took, check-worthiness, demand
    ("Rents doubled in the capital since 2020.", 24, "published", 30, 0.8, 3),
    ("The new bridge cost twice its budget.", 19, "published", 52, 0.7, 1),
    ("Crime fell by half in a decade.", 15, "rejected", 5, 0.4, 1),
    ("Hospital waiting lists are the longest on record.", 11, "published", 20, 0.9, 6),
    ("Electric cars now outsell petrol cars.", 8, "researching", 0, 0.6, 2),
    ("The school year will be cut by two weeks.", 6, "rejected", 3, 0.3, 1),
    ("Tap water in the north is unsafe to drink.", 4, "triage", 0, 0.9, 12),
    ("Bus fares rose 40% this year.", 3, "triage", 0, 0.7, 4),
    ("Half of all graduates leave the country.", 2, "researching", 0, 0.8, 2),
    ("The mayor cut the library budget to zero.", 1, "triage", 0, 0.5, 1),
    ("Wind power supplied a third of all electricity.", 0, "triage", 0, 0.6, 1),
]

pytestmark = pytest.mark.slow


def _playwright() -> Any:
    """The sync API, or a skip (a failure under FACTCHECK_REQUIRE_ALL=1) saying what is missing."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
    try:
        from playwright import sync_api
    except ImportError:
        reason = "playwright is not installed: pip install -e '.[dev]'"
    if reason is not None:
        if REQUIRE_ALL:
            pytest.fail(f"browser tests cannot run and FACTCHECK_REQUIRE_ALL=1: {reason}")
        pytest.skip(reason)
    return sync_api


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture()
def live_server(app: Flask, settings: Settings) -> Iterator[LiveServer]:
    """The test's app served on 127.0.0.1 in a thread, and a real RQ worker in a subprocess."""
    with app.app_context(), unit_of_work() as session:
        documents.add_documents(
            session,
            [documents.NewDocument.from_dict(item) for item in LIBRARY],
            settings.library_passage_words,
        )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    worker = subprocess.Popen(
        [sys.executable, "-m", "factcheck", "worker"],
        env=service_env(settings),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)  # warm shutdown: the job at hand may finish
            try:
                worker.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture()
def browser() -> Iterator[Any]:
    sync_api = _playwright()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


class Person:
    """One person in their own browser context (their own cookies)."""

    def __init__(self, browser: Any, server: LiveServer, user: User | None, width: int = 1280) -> None:
        self.server = server
        self.user = user
        self.context = browser.new_context(viewport={"width": width, "height": 900}, base_url=server.url)
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _console(self, message: Any) -> None:
        # Script errors and CSP violations; not the 403 page a checker is shown on purpose.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def sign_in(self) -> None:
        assert self.user is not None
        self.page.goto("/app/")
        self.page.get_by_label("Email").fill(self.user.email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url("**/app/")

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()
        self.page.wait_for_url("**/app/sign-in")

    def open_ticket(self, ticket_url: str) -> None:
        self.page.goto(ticket_url)

    def act(self, label: str, **fields: str) -> None:
        """Take a workflow action: fill its form's fields, press its button, wait for the page."""
        button = self.page.get_by_role("button", name=label, exact=True)
        form = self.page.locator("form", has=button)
        for field_label, value in fields.items():
            form.get_by_label(field_label, exact=True).fill(value)
        with self.page.expect_navigation():
            button.click()

    def rate(self, slug: str, summary: str) -> None:
        self.page.locator(f'input[name="rating"][value="{slug}"]').check()
        self.page.get_by_label("Summary").fill(summary)

    def shot(self, name: str, full_page: bool = True) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    def close(self) -> None:
        self.context.close()


def _expect() -> Any:
    return _playwright().expect


def _state_badge(person: Person) -> Any:
    return person.page.locator("#claim-title").locator("xpath=..").locator(".state").first


def _submit_claim_and_watch_collection(checker: Person) -> str:
    expect = _expect()
    page = checker.page
    page.get_by_role("link", name="New claim").click()
    page.get_by_label("Claim", exact=True).fill(CLAIM)
    page.get_by_label("Speaker").fill("Minister of Labour")
    page.get_by_label("Tags").fill("economy, labour")
    checker.shot("new-claim", full_page=False)
    page.get_by_role("button", name="Open a ticket").click()
    page.wait_for_url("**/app/tickets/*")
    ticket_url = page.url
    # Our script polls the collection status and reloads once the references are in.
    expect(page.locator("li[data-reference]").first).to_be_visible(timeout=45_000)
    expect(page.locator("[data-collection-status]")).to_contain_text("Done")
    expect(page.locator("li[data-reference]").filter(has_text="Labour force survey")).to_have_count(1)
    return ticket_url


def _research(checker: Person) -> None:
    expect = _expect()
    page = checker.page
    checker.act("Accept and start research")
    expect(_state_badge(checker)).to_have_text("Researching")
    survey = page.locator("li[data-reference]").filter(has_text="Labour force survey")
    survey.get_by_role("button", name="Pin as evidence").click()
    expect(survey.locator("[data-pin-label]")).to_have_text("Pinned as evidence")
    survey.get_by_label("Stance of this reference").select_option("refutes")
    expect(survey.locator("[data-stance-label]")).to_have_text("Refutes")
    expect(page.locator("[data-reference-status]")).to_contain_text("Refutes")
    checker.rate("false", "Official figures show unemployment at 4.1% at the end of 2025, not 3%.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flashes")).to_contain_text("Draft saved.")
    page.reload()  # the pin survived a reload: it was saved, not just drawn
    expect(survey.locator("[data-pin-label]")).to_have_text("Pinned as evidence")
    checker.shot("ticket-workspace")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".flashes")).to_contain_text("Submitted for review.")
    expect(_state_badge(checker)).to_have_text("In review")


def _review_and_publish(editor: Person, reviewer: Person, checker: Person, ticket_url: str) -> str:
    expect = _expect()
    editor.open_ticket(ticket_url)
    expect(editor.page.get_by_role("button", name="Publish")).to_have_count(0)
    editor.act("Request changes", Note="Cite the statistics office's annual review too.")
    expect(_state_badge(editor)).to_have_text("Researching")
    checker.open_ticket(ticket_url)
    expect(checker.page.locator(".timeline")).to_contain_text("Cite the statistics office")
    checker.page.get_by_role("button", name="Submit for review").click()
    expect(_state_badge(checker)).to_have_text("In review")
    expect(checker.page.get_by_role("button", name="Approve")).to_have_count(0)  # checkers never approve
    reviewer.open_ticket(ticket_url)
    reviewer.act("Approve")
    expect(_state_badge(reviewer)).to_have_text("Approved")
    reviewer.act("Publish")
    expect(_state_badge(reviewer)).to_have_text("Published")
    link = reviewer.page.locator("#public-link")
    expect(link).to_be_visible()
    public_path: str = link.get_attribute("href") or ""
    assert public_path.startswith("/fact-checks/")
    return public_path


def _correct(editor: Person, reviewer: Person, ticket_url: str, public_path: str) -> None:
    expect = _expect()
    reviewer.open_ticket(ticket_url)
    reviewer.act("Reopen", Note="The office revised its figures: 3.6% for 2025.")
    expect(_state_badge(reviewer)).to_have_text("Researching")
    editor.open_ticket(ticket_url)
    editor.rate("mostly-false", "Revised figures put 2025 unemployment at 3.6%: lower, but not 3%.")
    editor.page.get_by_role("button", name="Submit for review").click()
    expect(_state_badge(editor)).to_have_text("In review")
    reviewer.open_ticket(ticket_url)
    reviewer.act("Approve")
    reviewer.act("Publish")
    expect(_state_badge(reviewer)).to_have_text("Published")
    reviewer.page.goto(public_path)
    expect(reviewer.page.locator("body")).to_contain_text("Mostly false")
    expect(reviewer.page.locator("body")).to_contain_text("Correction")
    expect(reviewer.page.locator("body")).to_contain_text("The office revised its figures")
    reviewer.shot("public-fact-check-corrected")


def _tips(browser: Any, server: LiveServer) -> None:
    expect = _expect()
    reader = Person(browser, server, None, width=390)  # a phone
    page = reader.page
    page.goto("/tips/new")
    page.get_by_label("What claim should we check?").fill(CLAIM)
    page.get_by_label("Where did you see it? (link, optional)").fill("https://social.example/post/1")
    reader.shot("tip-form")
    page.get_by_role("button", name="Send the tip").click()
    page.wait_for_url("**/tips/*")
    tracking_url = page.url
    expect(page.locator("#tip-stage")).to_have_attribute("data-stage", "published")
    expect(page.locator("#tip-verdict")).to_have_text("Mostly false")
    reader.shot("tip-tracking")
    reader.close()
    stranger = Person(browser, server, None, width=390)  # the link alone is enough: no cookie needed
    stranger.page.goto(tracking_url)
    expect(stranger.page.locator("#tip-verdict")).to_have_text("Mostly false")
    stranger.page.goto("/tips/new")
    stranger.page.get_by_label("What claim should we check?").fill("The city closed 12 libraries in 2024.")
    stranger.page.get_by_role("button", name="Send the tip").click()
    expect(stranger.page.locator("#tip-stage")).to_have_attribute("data-stage", "received")
    stranger.close()


def _article(checker: Person) -> None:
    expect = _expect()
    page = checker.page
    page.goto("/app/")
    page.get_by_role("link", name="New article").click()
    page.get_by_label("Title").fill("The economy in numbers")
    page.get_by_label("Article text").fill(ARTICLE)
    page.get_by_role("button", name="Extract claims").click()
    page.wait_for_url("**/app/articles/*")
    expect(page.get_by_role("link", name="open ticket").first).to_be_visible()
    picked = page.get_by_role("checkbox").first
    picked.check()
    page.get_by_role("button", name="Open tickets for the picked claims").click()
    expect(page.locator(".flashes")).to_contain_text("1 tickets opened.")
    checker.shot("article-claims")


def _seed_history(app: Flask, checker: User, editor: User, reviewer: User) -> None:
    """A month of newsroom work, through the services, backdated: the dashboard has something to show."""
    from sqlalchemy import update

    from factcheck import workflow
    from factcheck.actors import SYSTEM, Actor
    from factcheck.db import utcnow
    from factcheck.models import Publication, Ticket, TicketEvent
    from factcheck.tickets import evidence, intake

    now = utcnow()
    with app.app_context(), unit_of_work() as session:
        people = {u.id: Actor.for_user(session.get(User, u.id)) for u in (checker, editor, reviewer)}  # type: ignore[arg-type]
        c, e, r = people[checker.id], people[editor.id], people[reviewer.id]
        made: list[tuple[str, int, str, int]] = []
        for claim, days_ago, fate, hours, worth, demand in HISTORY:
            opened = intake.submit_claim(session, intake.Submission(claim=claim, channel="api"), e)
            ticket = session.get(Ticket, opened.ticket_id)
            assert ticket is not None
            workflow.perform(session, ticket, "start_collection", SYSTEM)
            workflow.perform(session, ticket, "finish_collection", SYSTEM, {"status": "done"})
            ticket.checkworthiness, ticket.demand = worth, demand
            if fate in ("researching", "published"):
                workflow.perform(session, ticket, "accept", c)
            if fate == "published":
                ref = evidence.add_reference(session, ticket, c, url="https://stats.example/" + ticket.id)
                evidence.update_reference(session, ticket, ref.id, c, {"pinned": True, "stance": "refutes"})
                workflow.perform(session, ticket, "submit", c, {"rating": "false", "summary": "Not so."})
                workflow.perform(session, ticket, "approve", r)
                workflow.perform(session, ticket, "publish", e)
            if fate == "rejected":
                workflow.perform(session, ticket, "reject", e, {"reason": "Opinion, not a checkable claim."})
            made.append((ticket.id, days_ago, fate, hours))
    with app.app_context(), unit_of_work() as session:
        for ticket_id, days_ago, fate, hours in made:
            opened = now - timedelta(days=days_ago, hours=3)
            moved = opened + timedelta(hours=hours or 1)
            session.execute(update(Ticket).where(Ticket.id == ticket_id).values(created_at=opened))
            session.execute(
                update(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id)
                .values(at=moved if fate in ("published", "rejected") else opened)
            )
            session.execute(
                update(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id, TicketEvent.action == "create")
                .values(at=opened)
            )
            session.execute(
                update(Publication).where(Publication.ticket_id == ticket_id).values(published_at=moved)
            )


def _admin_pages(admin: Person) -> None:
    expect = _expect()
    page = admin.page
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Users and roles")).to_be_visible()
    admin.shot("admin-users")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Label").fill("newsroom CMS")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token")).to_contain_text("fct_")
    admin.shot("admin-tokens", full_page=False)
    page.get_by_role("link", name="Rating scale").click()
    admin.shot("admin-ratings")
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("Receiver URL").fill("https://hooks.example/factcheck")
    page.get_by_label("ticket.published").check()
    page.get_by_role("button", name="Subscribe").click()
    expect(page.locator("#new-secret")).to_contain_text("whsec_")
    admin.shot("admin-webhooks", full_page=False)
    page.get_by_role("link", name="Reference library").click()
    lines = "\n".join(
        json.dumps(
            {"title": f"Budget report {year}", "text": f"The deficit was {year - 2010}% of GDP in {year}."}
        )
        for year in (2023, 2024, 2025)
    )
    page.get_by_label("File").set_input_files(
        {"name": "reports.jsonl", "mimeType": "application/x-ndjson", "buffer": lines.encode()}
    )
    page.get_by_role("button", name="Upload").click()  # our script sends it with a progress bar
    expect(page.locator("[data-upload-result]")).to_contain_text("Stored 3 new documents")
    expect(page.locator("#upload-progress")).to_have_attribute("value", "1")
    admin.shot("admin-library", full_page=False)


def test_claim_to_published_correction_and_a_tracked_tip_in_a_real_browser(
    browser: Any, live_server: LiveServer, users: UserFactory
) -> None:
    expect = _expect()
    checker = Person(browser, live_server, users.create("checker", PASSWORD))
    editor = Person(browser, live_server, users.create("editor", PASSWORD))
    reviewer = Person(browser, live_server, users.create("editor", PASSWORD))
    admin = Person(browser, live_server, users.create("admin", PASSWORD))
    people = [checker, editor, reviewer, admin]
    try:
        checker.page.goto("/app/")
        checker.shot("sign-in", full_page=False)
        checker.sign_in()
        ticket_url = _submit_claim_and_watch_collection(checker)
        _research(checker)
        checker.page.goto("/app/admin/users")  # checkers have no admin pages
        expect(checker.page.get_by_role("heading", name="Not allowed")).to_be_visible()
        checker.sign_out()
        checker.sign_in()
        for person in (editor, reviewer, admin):
            person.sign_in()
        public_path = _review_and_publish(editor, reviewer, checker, ticket_url)
        checker.page.goto(public_path)
        expect(checker.page.locator("body")).to_contain_text("False")
        checker.shot("public-fact-check")
        _correct(editor, reviewer, ticket_url, public_path)
        _tips(browser, live_server)
        _article(checker)
        _seed_history(live_server.app, checker.user, editor.user, reviewer.user)  # type: ignore[arg-type]
        checker.page.goto("/app/")
        checker.shot("dashboard")
        editor.page.goto("/app/tickets?state=published")
        editor.shot("ticket-list", full_page=False)
        phone = Person(browser, live_server, checker.user, width=390)
        phone.sign_in()
        phone.open_ticket(ticket_url)
        phone.shot("ticket-workspace-phone", full_page=False)
        phone.close()
        _admin_pages(admin)
        for person in people:
            assert person.errors == [], person.errors  # no script errors, no CSP violations
    finally:
        for person in people:
            person.close()
