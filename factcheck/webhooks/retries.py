"""When to try a delivery again: what an attempt's outcome means, backoff with jitter, Retry-After.

Standard Webhooks treats any non-2xx answer as a failure to retry; ``410 Gone`` means the
receiver is gone for good. So: 2xx delivered, 410 gone, everything else (network errors,
timeouts, 5xx, 429, and also 3xx and other 4xx, which are usually a receiver's passing
misconfiguration) is retried until the delivery's retry window closes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from factcheck.config import Settings

DELIVERED, RETRY, GONE, FAILED = "delivered", "retry", "gone", "failed"
_jitter = random.SystemRandom()


def classify(status_code: int | None) -> str:
    """``delivered``, ``gone`` or ``retry`` for an answer's status (None: no answer at all)."""
    if status_code is not None and 200 <= status_code < 300:
        return DELIVERED
    if status_code == 410:
        return GONE
    return RETRY


@dataclass(frozen=True)
class RetryPolicy:
    base: float
    """Delay before the second attempt, in seconds; doubled for each further one."""
    cap: float
    """Longest delay, also applied to a receiver's Retry-After."""
    window: timedelta
    """How long after its first attempt a delivery keeps being retried."""
    disable_after: timedelta
    """How long a subscription may fail without a single success before it is disabled."""

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            base=settings.webhook_retry_base,
            cap=settings.webhook_retry_cap,
            window=timedelta(seconds=settings.webhook_retry_window),
            disable_after=timedelta(seconds=settings.webhook_disable_after),
        )

    def delay(self, attempts_made: int, retry_after: float | None = None) -> float:
        """Seconds to wait after the ``attempts_made``-th failed attempt.

        Exponential with "equal jitter" (half fixed, half random) so that receivers coming
        back up are not hit by every sender at once; a Retry-After is honoured as given.
        """
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.cap)
        exponent = min(max(attempts_made - 1, 0), 60)
        ceiling = min(self.cap, self.base * 2**exponent)
        return _jitter.uniform(ceiling / 2, ceiling)

    def next_attempt_at(self, now: datetime, attempts_made: int, retry_after: float | None) -> datetime:
        """The time of the next attempt, rounded up to a whole second (RQ schedules in seconds)."""
        moment = now + timedelta(seconds=self.delay(attempts_made, retry_after))
        return datetime.fromtimestamp(math.ceil(moment.timestamp()), UTC)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from ``Retry-After`` (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value[:9])
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)
