"""A valid request for every classified operation: the path with real ids, and a JSON body.

``request_for(desk, operation, fresh)`` answers ``(path, body)``. With ``fresh`` the objects
the call changes or consumes are made for it alone (an allowed call really acts); without,
shared objects are used (a refused call must change nothing, so sharing them is safe).
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Callable
from typing import Any

from tests.security.desk import HOOK_URL, RATING, Newsdesk, unique
from tests.security.intended_access import ACTION, DELIVERY, REFERENCE, TICKET, WEBHOOK, Operation

Body = dict[str, Any] | None
Prepared = tuple[str, Body]


class Shared:
    """Objects made once per newsroom and reused by every call that only needs them to exist."""

    def __init__(self, desk: Newsdesk) -> None:
        self.desk = weakref.proxy(desk)  # kept by _SHARED under the desk: no reference back to it
        self._made: dict[str, str] = {}

    def get(self, key: str, make: Callable[[], str]) -> str:
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def ticket(self, state: str) -> str:
        return self.get(f"ticket:{state}", lambda: self.desk.ticket(state))

    def submittable(self) -> str:
        return self.get("submittable", lambda: _submittable(self.desk))

    def reference(self) -> tuple[str, str]:
        ticket = self.ticket("triage")
        return ticket, self.get("reference", lambda: self.desk.reference(ticket))

    def article(self) -> str:
        return self.get("article", self.desk.article)

    def slug(self) -> str:
        return self.get("slug", lambda: self.desk.slug(self.ticket("published")))


def _submittable(desk: Newsdesk) -> str:
    """Researching, assigned to the desk's checker, with one pinned reference: ready to submit."""
    ticket = desk.ticket("researching")
    desk.reference(ticket, pinned=True)
    return ticket


_SHARED: weakref.WeakKeyDictionary[Newsdesk, Shared] = weakref.WeakKeyDictionary()


def _shared(desk: Newsdesk) -> Shared:
    if desk not in _SHARED:
        _SHARED[desk] = Shared(desk)
    return _SHARED[desk]


ACTION_STATES = {
    "accept": "triage",
    "reject": "triage",
    "merge": "triage",
    "recollect": "triage",
    "submit": "researching",
    "approve": "in_review",
    "request_changes": "in_review",
    "publish": "approved",
    "reopen": "published",
    "retract": "published",
}


def _action(desk: Newsdesk, shared: Shared, action: str, fresh: bool) -> Prepared:
    state = ACTION_STATES[action]
    if action == "submit":
        ticket = _submittable(desk) if fresh else shared.submittable()
    else:
        ticket = desk.ticket(state) if fresh else shared.ticket(state)
    bodies: dict[str, dict[str, Any]] = {
        "reject": {"reason": "Not a factual claim."},
        "merge": {"duplicate_of": shared.ticket("researching")},
        "submit": {"rating": RATING, "summary": "Official data show 4.1%."},
        "request_changes": {"note": "Add the second source."},
        "reopen": {"note": "New figures were released."},
        "retract": {"note": "The source was fabricated."},
    }
    return ACTION.format(ticket_id=ticket, action=action), bodies.get(action, {})


def _claimreview() -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": f"https://checks.example/{uuid.uuid4().hex}",
        "claimReviewed": "Greenland lost 532 billion tonnes of ice in 2019",
        "author": {"@type": "Organization", "name": "Example Checks"},
        "datePublished": "2020-08-21",
        "reviewRating": {"@type": "Rating", "ratingValue": 5, "alternateName": "True"},
    }


def _document() -> dict[str, Any]:
    return {
        "title": unique("Labour force survey"),
        "text": "Unemployment stood at 4.1% in the fourth quarter.",
    }


def _scale(desk: Newsdesk) -> dict[str, Any]:
    """The scale in force, unchanged: replacing it with itself is allowed and harmless."""
    items = desk.api("checker").get("/api/v1/ratings").get_json()["items"]
    return {
        "ratings": [{key: item[key] for key in ("slug", "label", "value", "description")} for item in items]
    }


def request_for(desk: Newsdesk, operation: Operation, fresh: bool) -> Prepared:
    """The path (ids filled in) and JSON body of a valid call of ``operation``."""
    shared = _shared(desk)
    if operation.action is not None:
        return _action(desk, shared, operation.action, fresh)
    method, path = operation.method, operation.path
    ticket = shared.ticket("triage")
    ticket_ids = {"ticket_id": ticket}
    own_subscription = fresh and method in ("PATCH", "DELETE") and "{subscription_id}" in path
    subscription = desk.subscription() if own_subscription else desk.subscription_id
    webhook_ids = {"subscription_id": subscription, "delivery_id": desk.delivery_id}
    simple: dict[tuple[str, str], Callable[[], Prepared]] = {
        ("POST", "/api/v1/tickets"): lambda: (path, {"claim": unique("Inflation doubled last year")}),
        ("GET", TICKET): lambda: (path.format(**ticket_ids), None),
        ("GET", TICKET + "/events"): lambda: (path.format(**ticket_ids), None),
        ("PUT", TICKET + "/verdict"): lambda: (
            path.format(ticket_id=shared.ticket("researching")),
            {"rating": RATING, "summary": "Draft."},
        ),
        ("GET", TICKET + "/references"): lambda: (path.format(**ticket_ids), None),
        ("POST", TICKET + "/references"): lambda: (
            path.format(**ticket_ids),
            {"url": "https://stats.example/q4", "title": "Q4 survey"},
        ),
        ("GET", REFERENCE + "/archive"): lambda: (
            path.format(ticket_id=desk.archived_ticket, reference_id=desk.archived_reference),
            None,
        ),
        ("PATCH", REFERENCE): lambda: (
            path.format(**dict(zip(("ticket_id", "reference_id"), shared.reference(), strict=True))),
            {"stance": "refutes"},
        ),
        ("PUT", "/api/v1/ratings"): lambda: (path, _scale(desk)),
        ("GET", TICKET + "/claimreview"): lambda: (path.format(ticket_id=shared.ticket("published")), None),
        ("GET", "/fact-checks/{slug}"): lambda: (path.format(slug=shared.slug()), None),
        ("POST", "/api/v1/integrations"): lambda: (path, {"name": f"bot-{uuid.uuid4().hex[:8]}"}),
        ("POST", "/api/v1/webhooks"): lambda: (path, {"url": HOOK_URL, "events": ["ticket.created"]}),
        ("PATCH", WEBHOOK): lambda: (path.format(**webhook_ids), {"events": ["ticket.published"]}),
        ("POST", DELIVERY + "/redeliver"): lambda: (path.format(**webhook_ids), {}),
        ("POST", "/hooks/v1/{integration}"): lambda: (
            path.format(integration=desk.integration),
            {"type": "claim.submitted", "data": {"claim": unique("Bananas cure colds")}},
        ),
        ("POST", "/api/v1/library/documents"): lambda: (path, _document()),
        ("POST", "/api/v1/library/documents:batch"): lambda: (path, {"documents": [_document()]}),
        ("GET", "/api/v1/library/search"): lambda: (path + "?q=unemployment", None),
        ("POST", "/api/v1/claimreviews:batch"): lambda: (path, {"claimreviews": [_claimreview()]}),
        ("POST", "/api/v1/articles"): lambda: (
            path,
            {"text": unique("The mayor said crime fell by 40% in 2024. Police data disagree.")},
        ),
        ("GET", "/api/v1/articles/{article_id}"): lambda: (path.format(article_id=shared.article()), None),
    }
    if (method, path) in simple:
        return simple[(method, path)]()
    if "{subscription_id}" in path:
        return path.format(**webhook_ids), None
    assert "{" not in path, f"no request is defined for {operation.label}"
    return path, None
