"""When to retry, and how long to wait: pure functions, so the policy is tested without I/O.

Retrying a create is safe only because every attempt carries the same idempotency key; the
client guarantees that, this module only decides.
"""

from __future__ import annotations

import math
import random
import time
from email.utils import parsedate_to_datetime

import httpx2

RETRYABLE_STATUSES = frozenset({409, 429, 500, 502, 503, 504})
"""409 is a concurrent request with the same key still in flight: waiting resolves it."""

INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
"""A server asking for a longer pause is not going to recover within one call."""


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from ``Retry-After`` (delta-seconds or an HTTP date), or None if absent/invalid.

    A date in the past gives 0. ``now`` (Unix seconds) fixes the clock for tests.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            date = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if date.tzinfo is None:  # RFC 9110 dates are GMT; a naive one is read as such.
            return None
        seconds = date.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def backoff(retries_taken: int, *, rand: float | None = None) -> float:
    """``min(0.5 * 2**n, 8)`` seconds, shortened by up to 25 % of jitter.

    The jitter spreads clients that failed together; it only ever shortens the wait, so the
    cap stays a cap. ``rand`` in [0, 1) fixes the jitter for tests.
    """
    delay = min(INITIAL_DELAY * 2.0**retries_taken, MAX_DELAY)
    return delay * (1.0 - 0.25 * (random.random() if rand is None else rand))


def retry_delay(
    retries_taken: int, max_retries: int, response: httpx2.Response | None
) -> float | None:
    """Seconds to wait before the next attempt, or None when the call must not be retried.

    ``response`` is None after a connection error or a timeout, which are always retried.
    A ``Retry-After`` of up to 60 s is honoured exactly; a longer one stops the retries.
    """
    if retries_taken >= max_retries:
        return None
    if response is None:
        return backoff(retries_taken)
    if response.status_code not in RETRYABLE_STATUSES:
        return None
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if retry_after is None:
        return backoff(retries_taken)
    return retry_after if retry_after <= MAX_RETRY_AFTER else None
