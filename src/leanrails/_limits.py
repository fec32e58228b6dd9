"""The limits an attempt runs under, so that no server can exhaust or hold the client.

- **One deadline per attempt.** httpx2's timeouts bound each read, so a server trickling a
  byte at a time could hold a call forever. The attempt as a whole (connect, send, read the
  answer) gets the timeout's longest part: the async client cancels it with
  ``anyio.fail_after``; the sync client gives every socket operation of its own transport
  only the time left (``_deadline_transport``), and checks the clock between body chunks,
  which is all it can do through an ``http_client`` of yours.
- **A cap on the answer's size.** The body is read as a stream and dropped once it passes
  ``max_response_bytes`` (decoded bytes, so a compressed bomb is caught too).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextvars import ContextVar, Token

import httpx2

DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024
"""10 MiB: a Checkout Session is a few kilobytes, its largest possible one under 1 MiB."""

_DEADLINE: ContextVar[float | None] = ContextVar("leanrails_attempt_deadline", default=None)


def attempt_seconds(request: httpx2.Request) -> float | None:
    """The time one attempt may take: the longest part of its timeout (None: no limit)."""
    timeouts: Mapping[str, float | None] = request.extensions.get("timeout", {})
    read = timeouts.get("read")
    if read is None:
        return None
    return max(
        read, timeouts.get("connect") or 0, timeouts.get("write") or 0, timeouts.get("pool") or 0
    )


def set_deadline(seconds: float | None) -> tuple[float | None, Token[float | None]]:
    """Set the attempt's deadline (``time.monotonic()``) for the deadline transport; reset
    it with the token."""
    at = None if seconds is None else time.monotonic() + seconds
    return at, _DEADLINE.set(at)


def reset_deadline(token: Token[float | None]) -> None:
    _DEADLINE.reset(token)


def time_left() -> float | None:
    """Seconds left before the attempt's deadline (None: no deadline); may be negative."""
    at = _DEADLINE.get()
    return None if at is None else at - time.monotonic()


def _too_large(response: httpx2.Response, limit: int) -> int | None:
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit and "content-encoding" not in response.headers:
        return int(length)
    return None


def read_body(response: httpx2.Response, limit: int, at: float | None) -> int | None:
    """Read a streamed body of at most ``limit`` bytes by the deadline ``at``.

    Returns None once read, or the bytes seen when it was dropped for being larger.
    """
    try:  # already read: a transport in memory (the sandbox's, a MockTransport)
        return len(response.content) if len(response.content) > limit else None
    except httpx2.ResponseNotRead:
        pass
    over = _too_large(response, limit)
    if over is not None:
        return over
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            return size
        if at is not None and time.monotonic() > at:
            raise httpx2.ReadTimeout("the attempt's deadline passed", request=response.request)
        chunks.append(chunk)
    response._content = b"".join(chunks)
    return None


async def aread_body(response: httpx2.Response, limit: int) -> int | None:
    """``read_body`` for the async client, whose deadline is a cancel scope around it."""
    over = _too_large(response, limit)
    if over is not None:
        return over
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            return size
        chunks.append(chunk)
    response._content = b"".join(chunks)
    return None
