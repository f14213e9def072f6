"""Who may call each API operation: the intended table, written by hand from API.md and DESIGN.md.

This is data, not derived from the code: the matrix test (``test_authorisation_matrix``)
compares it with the operations of the generated OpenAPI document (every operation must be
classified here, so a new route cannot escape review) and with the status each role really
gets. Roles, in ascending power: ``checker`` < ``editor`` < ``admin``; ``integration`` is an
integration's credentials (its ``whsec_`` secret: it signs ``/hooks/v1/<name>`` requests and
may do nothing else, DESIGN.md "Integrations authenticate by signature and may only submit").
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("anonymous", "checker", "editor", "admin", "integration")
PEOPLE = ("checker", "editor", "admin")
PUBLIC = "public"
INTEGRATION = "integration"


@dataclass(frozen=True)
class Rule:
    """Who may call an operation and what they get."""

    least: str
    """``public``, ``integration`` (signed inbound hook only) or the least person role."""
    success: int
    """The status of an allowed call with a valid request."""
    hidden: bool = False
    """One object of an admin-only collection: a person below ``least`` gets 404, not 403
    (API.md: 404 "also for objects the caller may not see")."""

    def expected(self, role: str) -> int:
        """The status ``role`` gets: the success status, 401, 403 or 404."""
        if self.least == PUBLIC:
            return self.success
        if self.least == INTEGRATION:
            return self.success if role == INTEGRATION else 401
        if role in ("anonymous", INTEGRATION):
            return 401  # no bearer token of a person: an integration's secret is not one
        if PEOPLE.index(role) >= PEOPLE.index(self.least):
            return self.success
        return 404 if self.hidden else 403


TICKET = "/api/v1/tickets/{ticket_id}"
REFERENCE = TICKET + "/references/{reference_id}"
WEBHOOK = "/api/v1/webhooks/{subscription_id}"
DELIVERY = WEBHOOK + "/deliveries/{delivery_id}"
ACTION = TICKET + "/actions/{action}"

TABLE: dict[tuple[str, str], Rule] = {
    # Tickets: every person; the actions route has one rule per action (ACTIONS below).
    ("POST", "/api/v1/tickets"): Rule("checker", 201),
    ("GET", "/api/v1/tickets"): Rule("checker", 200),
    ("GET", TICKET): Rule("checker", 200),
    ("GET", TICKET + "/events"): Rule("checker", 200),
    ("PUT", TICKET + "/verdict"): Rule("checker", 200),
    # References: the evidence work of checkers.
    ("GET", TICKET + "/references"): Rule("checker", 200),
    ("POST", TICKET + "/references"): Rule("checker", 201),
    ("GET", REFERENCE + "/archive"): Rule("checker", 200),
    ("PATCH", REFERENCE): Rule("checker", 200),
    # Rating scale: read by all, replaced by admins.
    ("GET", "/api/v1/ratings"): Rule("checker", 200),
    ("PUT", "/api/v1/ratings"): Rule("admin", 200),
    # Publication: the ClaimReview for people signed in; the public list, pages and feeds for anyone.
    ("GET", TICKET + "/claimreview"): Rule("checker", 200),
    ("GET", "/api/v1/fact-checks"): Rule(PUBLIC, 200),
    ("GET", "/fact-checks/"): Rule(PUBLIC, 200),
    ("GET", "/fact-checks/methodology"): Rule(PUBLIC, 200),
    ("GET", "/fact-checks/corrections"): Rule(PUBLIC, 200),
    ("GET", "/fact-checks/feed.json"): Rule(PUBLIC, 200),
    ("GET", "/fact-checks/feed.xml"): Rule(PUBLIC, 200),
    ("GET", "/fact-checks/{slug}"): Rule(PUBLIC, 200),
    # Integrations and outbound webhooks: admins. One subscription or delivery is hidden (404).
    ("POST", "/api/v1/integrations"): Rule("admin", 201),
    ("GET", "/api/v1/integrations"): Rule("admin", 200),
    ("POST", "/api/v1/webhooks"): Rule("admin", 201),
    ("GET", "/api/v1/webhooks"): Rule("admin", 200),
    ("GET", WEBHOOK): Rule("admin", 200, hidden=True),
    ("PATCH", WEBHOOK): Rule("admin", 200, hidden=True),
    ("DELETE", WEBHOOK): Rule("admin", 204, hidden=True),
    ("GET", WEBHOOK + "/deliveries"): Rule("admin", 200, hidden=True),
    ("GET", DELIVERY): Rule("admin", 200, hidden=True),
    ("POST", DELIVERY + "/redeliver"): Rule("admin", 202, hidden=True),
    # Inbound: the integration's signature is the only credential.
    ("POST", "/hooks/v1/{integration}"): Rule(INTEGRATION, 202),
    # Reference library and earlier fact-checks: editors feed them, everyone searches.
    ("POST", "/api/v1/library/documents"): Rule("editor", 201),
    ("POST", "/api/v1/library/documents:batch"): Rule("editor", 201),
    ("GET", "/api/v1/library/search"): Rule("checker", 200),
    ("POST", "/api/v1/claimreviews:batch"): Rule("editor", 201),
    # Articles: any person may post one and read it back.
    ("POST", "/api/v1/articles"): Rule("checker", 201),
    ("GET", "/api/v1/articles/{article_id}"): Rule("checker", 200),
}

ACTIONS: dict[str, Rule] = {
    # DESIGN.md: checkers triage, research and submit; editors also approve, request changes,
    # publish, reopen, retract, reject and merge.
    "accept": Rule("checker", 200),
    "submit": Rule("checker", 200),
    "recollect": Rule("checker", 200),
    "reject": Rule("editor", 200),
    "merge": Rule("editor", 200),
    "approve": Rule("editor", 200),
    "request_changes": Rule("editor", 200),
    "publish": Rule("editor", 200),
    "reopen": Rule("editor", 200),
    "retract": Rule("editor", 200),
}
TABLE[("POST", ACTION)] = Rule("checker", 200)  # the route itself; each action narrows it


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    """The OpenAPI path template; ``{action}`` is filled in for the actions route."""
    action: str | None = None

    @property
    def rule(self) -> Rule:
        return ACTIONS[self.action] if self.action else TABLE[(self.method, self.path)]

    @property
    def label(self) -> str:
        path = self.path.replace("{action}", self.action) if self.action else self.path
        return f"{self.method} {path}"


def operations() -> list[Operation]:
    """Every classified operation, the actions route once per action."""
    found = []
    for method, path in TABLE:
        if path == ACTION:
            found += [Operation(method, path, action) for action in ACTIONS]
        else:
            found.append(Operation(method, path))
    return found


def cases() -> list[tuple[Operation, str]]:
    """The matrix: every operation times every role."""
    return [(operation, role) for operation in operations() for role in ROLES]
