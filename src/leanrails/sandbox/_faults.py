"""Faults on demand, so a client's retries can be tested against a server that misbehaves.

Three faults, set from Python (``sandbox.fail_next(...)`` and friends) or over HTTP
(``POST /v1/test_helpers/faults``). They apply to the API routes under
``/v1/checkout_sessions`` only, never to the test helpers, the hosted page or
``/openapi.yaml``, so a test can always inspect and reset the sandbox.

- ``fail_next(count, status=503, retry_after=None)``: the next ``count`` API requests are
  answered with ``status`` and an error body, before anything is processed (no session is
  created, no idempotency record stored), optionally with ``Retry-After``.
- ``delay(seconds, count=None)``: the next ``count`` API responses (all of them when
  ``count`` is None) are held for ``seconds``, at most :data:`MAX_DELAY_SECONDS`. A POST is
  held *while its Idempotency-Key is in flight*, so a second request with the same key
  meanwhile gets 409. ``clear_faults()`` releases every held response at once.
- ``drop_after_commit(count=1)``: the next ``count`` creates are committed (the session and
  its idempotency record are stored) and then the connection is dropped, so the client
  sees a network error and must retry with the same key to learn the outcome.

Faults belong to an account (one per test key, see :mod:`._auth`): a fault set with one key
never fires for another. A held response counts against its own account's share of the
server (:mod:`._shares`), never against the server's cap on requests answered at once (the
:class:`FaultBook` counts the holds, so the server can leave them out). The Python helpers
act on the documented key's account unless given another key. Faults live in memory only;
they are not stored in ``--db``, and with several processes on one database each process has
its own.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Final

from pydantic import Field

from ._checks import Strict

MAX_DELAY_SECONDS: Final = 60
"""The longest a delay fault may hold a response (a kit convention): longer than the
client's default 30 s timeout, so a timeout can be tested, and short enough that a held
request always ends."""


@dataclass(slots=True)
class _FailNext:
    count: int
    status: int
    retry_after: int | None


@dataclass(slots=True)
class _Delay:
    seconds: float
    count: int | None


class _Holding:
    """How many responses are being held now, over every account of one sandbox."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def add(self, change: int) -> None:
        with self._lock:
            self.count += change


class Faults:
    """The fault state of one account. Thread-safe."""

    def __init__(self, holding: _Holding | None = None) -> None:
        self._holding = _Holding() if holding is None else holding
        self._lock = threading.Lock()
        self._fail: _FailNext | None = None
        self._delay: _Delay | None = None
        self._drop = 0
        self._release = threading.Event()

    # -- setting -----------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 503, *, retry_after: int | None = None) -> None:
        if count < 0:
            raise ValueError("count must be >= 0")
        if not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status, 400 to 599")
        if retry_after is not None and retry_after < 0:
            raise ValueError("retry_after must be >= 0 seconds")
        with self._lock:
            self._fail = _FailNext(count, status, retry_after) if count else None

    def delay(self, seconds: float, *, count: int | None = None) -> None:
        if not 0 <= seconds <= MAX_DELAY_SECONDS:
            raise ValueError(f"seconds must be 0 to {MAX_DELAY_SECONDS}")
        if count is not None and count < 0:
            raise ValueError("count must be >= 0 or None")
        with self._lock:
            self._delay = _Delay(seconds, count) if seconds and count != 0 else None

    def drop_after_commit(self, count: int = 1) -> None:
        if count < 0:
            raise ValueError("count must be >= 0")
        with self._lock:
            self._drop = count

    def clear(self) -> None:
        """Remove every fault and release every response held by a delay."""
        with self._lock:
            self._fail = None
            self._delay = None
            self._drop = 0
            self._release.set()
            self._release = threading.Event()

    def state(self) -> dict[str, Any]:
        """The current faults, as ``POST /v1/test_helpers/faults`` returns them."""
        with self._lock:
            return {
                "object": "sandbox.faults",
                "fail_next": None
                if self._fail is None
                else {
                    "count": self._fail.count,
                    "status": self._fail.status,
                    "retry_after": self._fail.retry_after,
                },
                "delay": None
                if self._delay is None
                else {"seconds": self._delay.seconds, "count": self._delay.count},
                "drop_after_commit": self._drop,
            }

    # -- taking (by the engine) ----------------------------------------------------------

    def take_failure(self) -> tuple[int, int | None] | None:
        with self._lock:
            fail = self._fail
            if fail is None:
                return None
            fail.count -= 1
            if fail.count <= 0:
                self._fail = None
            return fail.status, fail.retry_after

    def take_delay(self) -> Hold | None:
        """The hold for the next response, if a delay is set."""
        with self._lock:
            delay = self._delay
            if delay is None:
                return None
            if delay.count is not None:
                delay.count -= 1
                if delay.count <= 0:
                    self._delay = None
            # The release event is taken now, so a clear() that comes before the wait
            # starts still releases it.
            return Hold(delay.seconds, self._release, self._holding)

    def take_drop(self) -> bool:
        with self._lock:
            if self._drop <= 0:
                return False
            self._drop -= 1
            return True


class FaultBook:
    """The faults of every account, created when an account first sets one. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_account: dict[str, Faults] = {}
        self._holding = _Holding()

    @property
    def holding(self) -> int:
        """How many responses delays hold now, whatever their account."""
        return self._holding.count

    def of(self, account: str) -> Faults:
        """The account's faults, to set or take."""
        with self._lock:
            faults = self._by_account.get(account)
            if faults is None:
                faults = self._by_account[account] = Faults(self._holding)
            return faults

    def peek(self, account: str) -> Faults:
        """The account's faults to take; an empty set (not kept) for an account with none."""
        with self._lock:
            return self._by_account.get(account) or _NONE

    def clear(self) -> None:
        """Clear every account's faults."""
        with self._lock:
            every = list(self._by_account.values())
        for faults in every:
            faults.clear()


_NONE = Faults()


class _FailNextParams(Strict):
    count: int = Field(ge=0, le=10_000)
    status: int = Field(default=503, ge=400, le=599)
    retry_after: int | None = Field(default=None, ge=0, le=86_400)


class _DelayParams(Strict):
    seconds: float = Field(ge=0, le=MAX_DELAY_SECONDS)
    count: int | None = Field(default=None, ge=0, le=10_000)


class FaultParams(Strict):
    """``POST /v1/test_helpers/faults``: each given fault is set, after ``clear``."""

    clear: bool = False
    fail_next: _FailNextParams | None = None
    delay: _DelayParams | None = None
    drop_after_commit: int | None = Field(default=None, ge=0, le=10_000)

    def apply(self, faults: Faults) -> None:
        if self.clear:
            faults.clear()
        if self.fail_next is not None:
            fail = self.fail_next
            faults.fail_next(fail.count, fail.status, retry_after=fail.retry_after)
        if self.delay is not None:
            faults.delay(self.delay.seconds, count=self.delay.count)
        if self.drop_after_commit is not None:
            faults.drop_after_commit(self.drop_after_commit)


@dataclass(frozen=True, slots=True)
class Hold:
    """One response held by a delay fault: for ``seconds``, or until ``Faults.clear()``."""

    seconds: float
    release: threading.Event
    holding: _Holding

    def wait(self) -> None:
        """Block the calling thread."""
        self.holding.add(1)
        try:
            self.release.wait(self.seconds)
        finally:
            self.holding.add(-1)

    async def wait_async(self) -> None:
        """Sleep without blocking the event loop (the release is checked every 10 ms)."""
        import anyio

        deadline = time.monotonic() + self.seconds
        self.holding.add(1)
        try:
            while not self.release.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                await anyio.sleep(min(remaining, 0.01))
        finally:
            self.holding.add(-1)
