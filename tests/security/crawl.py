"""A crawler for the server-rendered pages: follow links as a browser would, keep every answer and
every ``<form method=post>`` found, and fill a form in as a person would.

Parsing uses the standard library's HTMLParser: the pages are our own, well-formed templates.
"""

from __future__ import annotations

import io
import uuid
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.test import TestResponse

from tests.web.support import PASSWORD, WebClient

FOLLOWED = ("/app", "/tips", "/fact-checks")
"""Where the HTML lives; /api answers JSON and /static files are not pages."""
PER_ENDPOINT = 2
"""Links to the same view with other ids or filters add nothing once two were seen."""
LIBRARY_FILE = b'{"title": "Crawled document", "text": "Unemployment stood at 4.1% in 2025."}\n'


@dataclass
class Input:
    tag: str
    name: str
    kind: str = "text"
    value: str = ""
    checked: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)
    """For a select: ``(value, selected)`` of each option."""


@dataclass
class Form:
    page: str
    """The page the form was found on (fetch it again for a fresh CSRF token)."""
    action: str
    enctype: str
    inputs: list[Input] = field(default_factory=list)

    def data(self, with_token: bool, people: dict[str, str]) -> dict[str, Any]:
        """What a person submits: the values the page set, and the empty fields filled in."""
        data: dict[str, Any] = {}
        groups = Counter(i.name for i in self.inputs if i.kind == "checkbox")
        ticked = {i.name for i in self.inputs if i.kind == "checkbox" and i.checked}
        for item in self.inputs:
            if (
                item.name.endswith("csrf_token") and not with_token
            ):  # a prefixed form's is "<prefix>-csrf_token"
                continue
            value = _value(item, people, first_box=groups[item.name] > 1 and item.name not in ticked)
            if value is None:
                continue
            if item.kind == "checkbox" and groups[item.name] > 1:
                data.setdefault(item.name, []).append(value)
                ticked.add(item.name)
            else:
                data.setdefault(item.name, value)
        return data


def _value(item: Input, people: dict[str, str], first_box: bool) -> Any:
    """The submitted value of one field, or None for a field a browser would not send."""
    if item.kind in ("submit", "button", "reset"):
        return item.value if item.name else None
    if item.kind in ("checkbox", "radio"):
        return item.value or "y" if item.checked or first_box or item.kind == "radio" else None
    if item.tag == "select":
        chosen = [value for value, selected in item.options if selected] or [v for v, _ in item.options[:1]]
        return chosen[0] if chosen else None
    if item.kind == "file":
        return (io.BytesIO(LIBRARY_FILE), "library.jsonl")
    if item.value or item.name in ("website", "assignee", "duplicate_of") or "-" in item.name:
        return item.value  # kept as the page set it: the honeypot stays empty, rating rows stay as they are
    return _filled(item, people)


def _filled(item: Input, people: dict[str, str]) -> str:
    tag = uuid.uuid4().hex[:8]
    by_kind = {
        "email": people.get("sign_in", f"crawler-{tag}@newsroom.test"),
        "password": PASSWORD,
        "url": f"https://example.org/{tag}",
        "date": "2025-01-15",
        "number": "1",
    }
    if item.name == "name":
        return f"crawler-{tag}"
    if item.name == "email" and "sign_in" not in people:
        return f"crawler-{tag}@newsroom.test"
    return by_kind.get(item.kind, f"Security crawl {tag}: unemployment fell to 3% in 2025.")


class _Parser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Input | None = None
        self._textarea: Input | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "a" and attr.get("href"):
            self.links.append(urljoin(self.page, attr["href"]))
        elif tag == "form" and attr.get("method", "get").lower() == "post":
            action = urljoin(self.page, attr.get("action") or self.page)
            self._form = Form(self.page, action, attr.get("enctype", ""))
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "button") and attr.get("name"):
            kind = attr.get("type", "text" if tag == "input" else "submit").lower()
            self._form.inputs.append(Input(tag, attr["name"], kind, attr.get("value", ""), "checked" in attr))
        elif self._form is not None and tag == "select" and attr.get("name"):
            self._select = Input(tag, attr["name"], "select")
            self._form.inputs.append(self._select)
        elif self._select is not None and tag == "option":
            self._select.options.append((attr.get("value", ""), "selected" in attr))
        elif self._form is not None and tag == "textarea" and attr.get("name"):
            self._textarea = Input(tag, attr["name"], "textarea")
            self._form.inputs.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None:
                self._textarea.value = self._textarea.value.strip()
            self._textarea = None


def parse(page: str, response: TestResponse) -> tuple[list[str], list[Form]]:
    parser = _Parser(page)
    parser.feed(response.get_data(as_text=True))
    return parser.links, parser.forms


@dataclass
class Crawl:
    role: str
    pages: dict[str, TestResponse] = field(default_factory=dict)
    """Every answer, by path (with query)."""
    forms: list[Form] = field(default_factory=list)
    browser: WebClient | None = None
    """The browser that crawled, still signed in."""


def endpoint(app: Flask, path: str, method: str = "GET") -> str | None:
    """The view that answers ``method path``, or None."""
    adapter = app.url_map.bind("localhost")
    try:
        name, _args = adapter.match(urlsplit(path).path, method=method)
    except HTTPException:
        return None
    return str(name)


def crawl(app: Flask, web: WebClient, role: str, seeds: Iterable[str]) -> Crawl:
    """Breadth-first from ``seeds``: every seed, and up to two links per view beyond them."""
    result = Crawl(role)
    queue = deque(seeds)
    seen: set[str] = set(queue)
    per_view: Counter[str | None] = Counter()
    while queue:
        path = queue.popleft()
        response = web.get(path)
        result.pages[path] = response
        if response.mimetype != "text/html":
            continue
        links, forms = parse(path, response)
        for form in forms:
            form.action = _local(form.action) or form.action
        result.forms += forms
        for link in links:
            local = _local(link)
            if local is None or local in seen or not local.startswith(FOLLOWED):
                continue
            view = endpoint(app, local)
            if view is None or per_view[view] >= PER_ENDPOINT:
                continue
            per_view[view] += 1
            seen.add(local)
            queue.append(local)
    return result


def _local(url: str) -> str | None:
    """``/path?query`` of a link to this site (relative or on localhost), without its fragment."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
