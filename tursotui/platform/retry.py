"""Retry policy: jittered exponential backoff for idempotent requests.

Retried: 429, 5xx, timeouts and connection failures, and only for idempotent methods (GET, HEAD, PUT, DELETE,
OPTIONS). POST and PATCH are never retried: a lost response could mean the database or token was created.
A ``Retry-After`` header (seconds or HTTP date) is honoured, capped at ``max_retry_after``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRYABLE_STATUSES = frozenset({429}) | frozenset(range(500, 600))

Sleep = Callable[[float], Awaitable[None]]


def is_idempotent(method: str) -> bool:
    return method.upper() in IDEMPOTENT_METHODS


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); ``None`` if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        # an HTTP date: rare, and the email package takes ~2 ms to import
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


@dataclass
class RetryPolicy:
    """How many times and how long to wait. ``sleep`` and ``rng`` are injectable so tests never wait."""

    max_retries: int = 4
    backoff_base: float = 0.5
    """The first retry waits up to this many seconds; each further one doubles the ceiling."""
    backoff_cap: float = 20.0
    max_retry_after: float = 60.0
    sleep: Sleep = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if self.backoff_base < 0 or self.backoff_cap < 0 or self.max_retry_after < 0:
            raise ValueError("backoff_base, backoff_cap and max_retry_after must be >= 0")

    def should_retry(self, method: str, attempt: int) -> bool:
        """Whether a failed ``attempt`` (0 for the first try) of ``method`` may be retried."""
        return is_idempotent(method) and attempt < self.max_retries

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt + 1`` ("full jitter" backoff, or the server's hint)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        ceiling = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return self.rng.uniform(0, ceiling)
