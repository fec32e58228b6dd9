"""Test support: retries that wait 0 s, and a record of each retry (``leanrails.testing``).

The setting is process-wide, as stamina's ``set_testing`` is: a test suite turns it on once
(in a ``conftest.py``), and every client, sync or async, in any thread, follows it. The
clients ask ``retry_pause`` how long to actually sleep before each retry; nothing else in
the retry policy changes, so a test sees the same attempts, keys and errors as production.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

__all__ = ["RetryRecord", "record_retries", "retry_pause", "set_testing"]


@dataclass(frozen=True, slots=True)
class RetryRecord:
    """One retry, as the client decided it."""

    attempt: int
    """The attempt that failed: 1 for the first request, 2 for the first retry..."""
    wait: float
    """The seconds the client chose to wait before the next attempt (backoff or Retry-After)."""
    reason: str
    """Why: the status (``"503"``), or the httpx2 exception's name (``"ConnectError"``)."""
    idempotency_key: str | None
    """The key every attempt of the call sends; None for a call without one (``retrieve``)."""


@dataclass(slots=True)
class _State:
    testing: bool = False
    max_wait: float = 0.0
    recorders: list[list[RetryRecord]] = field(default_factory=list)


_state = _State()


class _RestoreTesting:
    """What ``set_testing`` returns: as a context manager, it restores the previous setting."""

    __slots__ = ("_previous",)

    def __init__(self, previous: tuple[bool, float]) -> None:
        self._previous = previous

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        _state.testing, _state.max_wait = self._previous


def set_testing(enabled: bool = True, *, max_wait: float = 0.0) -> AbstractContextManager[None]:
    """Make every client's retries wait 0 s (or at most ``max_wait``), process-wide.

    The retries still happen, with the same idempotency key; only the sleep between them is
    cut. ``max_wait`` keeps a short real pause, for tests where another request must get
    ahead (a 409 while the key's first request is in flight). Call it once, or use it as a
    context manager to restore the previous setting on exit:

    ```python
    with leanrails.testing.set_testing():
        client.checkout_sessions.create(...)
    ```
    """
    if max_wait < 0:
        raise ValueError(f"max_wait must be 0 or more, got {max_wait}")
    previous = (_state.testing, _state.max_wait)
    _state.testing, _state.max_wait = enabled, max_wait
    return _RestoreTesting(previous)


@contextmanager
def record_retries() -> Iterator[list[RetryRecord]]:
    """Record every retry in the block, without sleeping: yields the list the records go to.

    Process-wide, like ``set_testing``: retries of any client, in any thread, are recorded
    while the block runs (in the innermost block, when they nest).
    """
    records: list[RetryRecord] = []
    _state.recorders.append(records)
    try:
        yield records
    finally:
        _state.recorders.remove(records)


def retry_pause(record: RetryRecord) -> float:
    """The seconds to actually sleep before the retry ``record`` describes (the clients' hook)."""
    recorders = _state.recorders
    if recorders:
        recorders[-1].append(record)
        return 0.0
    if _state.testing:
        return min(record.wait, _state.max_wait)
    return record.wait
