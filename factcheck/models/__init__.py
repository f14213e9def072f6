"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from factcheck.models.archive import ArchivedText
from factcheck.models.article import ARTICLE_INPUTS, Article, ArticleClaim
from factcheck.models.claimreview import ClaimReviewRecord
from factcheck.models.idempotency import IdempotencyRecord
from factcheck.models.integration import InboundMessage, Integration
from factcheck.models.library import LibraryDocument, LibraryPassage
from factcheck.models.matching import MATCH_KINDS, MatchEntry, MatchTerm
from factcheck.models.outbox import EVENT_TYPES, OutboxEvent
from factcheck.models.publication import PUBLICATION_KINDS, Publication
from factcheck.models.rating import Rating
from factcheck.models.reference import STANCES, Reference
from factcheck.models.ticket import Ticket, TicketEvent, TicketTag, VerdictDraft
from factcheck.models.tip import Tip
from factcheck.models.user import ROLES, ApiToken, User
from factcheck.models.webhook import DELIVERY_STATUSES, DeliveryAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "ARTICLE_INPUTS",
    "DELIVERY_STATUSES",
    "EVENT_TYPES",
    "MATCH_KINDS",
    "PUBLICATION_KINDS",
    "ROLES",
    "STANCES",
    "ApiToken",
    "ArchivedText",
    "Article",
    "ArticleClaim",
    "ClaimReviewRecord",
    "DeliveryAttempt",
    "IdempotencyRecord",
    "InboundMessage",
    "Integration",
    "LibraryDocument",
    "LibraryPassage",
    "MatchEntry",
    "MatchTerm",
    "OutboxEvent",
    "Publication",
    "Rating",
    "Reference",
    "Ticket",
    "TicketEvent",
    "TicketTag",
    "Tip",
    "User",
    "VerdictDraft",
    "WebhookDelivery",
    "WebhookSubscription",
]
