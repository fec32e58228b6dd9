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
from typing import Final

from ._errors import SandboxError

MAX_REQUESTS_PER_ACCOUNT: Final = 100
"""Requests of one account answered at once; more get 429 with ``Retry-After: 1``."""


class Shares:
    """The requests in flight per account. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}

    def take(self, account: str) -> _Slot:
        """One of ``account``'s slots for a ``with`` block, or :class:`SandboxError` 429 at
        once."""
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
        return _Slot(self, account)

    def _give_back(self, account: str) -> None:
        with self._lock:
            left = self._in_flight[account] - 1
            if left:
                self._in_flight[account] = left
            else:
                del self._in_flight[account]


class _Slot:
    """A slot taken: given back when its block ends, however it ends (a class rather than a
    ``contextmanager`` generator: it is taken on every API request)."""

    __slots__ = ("_account", "_shares")

    def __init__(self, shares: Shares, account: str) -> None:
        self._shares = shares
        self._account = account

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        self._shares._give_back(self._account)
