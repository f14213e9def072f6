"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from factcheck.models.idempotency import IdempotencyRecord
from factcheck.models.outbox import EVENT_TYPES, OutboxEvent
from factcheck.models.publication import PUBLICATION_KINDS, Publication
from factcheck.models.reference import STANCES, Reference
from factcheck.models.ticket import Ticket, TicketEvent, TicketTag, VerdictDraft
from factcheck.models.user import ROLES, ApiToken, User

__all__ = [
    "EVENT_TYPES",
    "PUBLICATION_KINDS",
    "ROLES",
    "STANCES",
    "ApiToken",
    "IdempotencyRecord",
    "OutboxEvent",
    "Publication",
    "Reference",
    "Ticket",
    "TicketEvent",
    "TicketTag",
    "User",
    "VerdictDraft",
]
