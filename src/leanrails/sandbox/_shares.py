"""Each account's share of the server: how many of its API requests are answered at once.

A kit convention. One key cannot take the capacity of the others: at most
:data:`MAX_REQUESTS_PER_ACCOUNT` requests of one account (its keys' requests under ``/v1``)
are in flight at once, held by a delay fault or not; more get ``429 rate_limit_error``
(``account_busy``) with ``Retry-After: 1`` at once, and the rest of the server stays for
the other accounts. The fault helpers (``/v1/test_helpers/faults``) are outside the share, so
a key can always clear the faults that hold its requests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from ._errors import SandboxError

MAX_REQUESTS_PER_ACCOUNT: Final = 100
"""Requests of one account answered at once; more get 429 with ``Retry-After: 1``."""


class Shares:
    """The requests in flight per account. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}

    @contextmanager
    def take(self, account: str) -> Iterator[None]:
        """One of ``account``'s slots for the block, or :class:`SandboxError` 429 at once."""
        with self._lock:
            taken = self._in_flight.get(account, 0)
            if taken >= MAX_REQUESTS_PER_ACCOUNT:
                raise SandboxError(
                    429,
                    "rate_limit_error",
                    "account_busy",
                    f"This key's account has {MAX_REQUESTS_PER_ACCOUNT} requests in flight "
                    "already (a delay fault may be holding them); retry shortly, or clear "
                    "its faults.",
                    headers=(("Retry-After", "1"),),
                )
            self._in_flight[account] = taken + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._in_flight[account] - 1
                if left:
                    self._in_flight[account] = left
                else:
                    del self._in_flight[account]
