"""uvicorn, bounded whatever clients do: the settings ``leanrails sandbox`` serves with.

uvicorn's HTTP/1.1 protocol times out only idle keep-alive connections, so a client that
sends half a request line, or one byte of a 100-byte body, holds a connection (and a file
descriptor) for ever, and uvicorn's ``limit_concurrency`` counts such connections as busy,
so a thousand of them make every real request a 503. :class:`BoundedH11Protocol` adds, per
connection (kit conventions):

- a **header deadline**: a request's line and headers must arrive within ``header_timeout``
  seconds of the connection (or of the request's first byte on a kept-alive one), else
  ``408`` and the connection is closed;
- a **body deadline**: its body within ``body_timeout`` seconds of its headers, else the
  same ``408``;
- a **connection cap**: past ``max_connections`` open connections, a new one closes the
  oldest connection still sending a request (or idle between requests) instead of waiting
  for it, and is itself closed only when every connection has a request being answered;
- a **quick shutdown**: a connection still sending its request is answered ``503`` and
  closed at once, so a stalled client cannot hold the server past its graceful timeout;
- an answer for a client that **half-closes** after a whole request (uvicorn closes at
  once, losing the answer of any app that awaits, as the SQLite sandbox's worker threads do);
- **answers, not resets**: a request line longer than :data:`MAX_HEAD_BYTES` gets ``414``,
  headers beyond it ``431``, any other malformed request ``400``; the answer is written,
  then the rest of what the client sends is read and dropped (for at most
  :data:`LINGER_SECONDS`) so that closing does not reset the connection before the client
  reads it (a "lingering close").

Every answer this layer writes is the API's JSON error body (``application/json``, a
``Request-Id``, ``Connection: close``), as every other error of the sandbox.

The deadlines are timers armed only while a request is incomplete: a request that arrives
in one piece, as nearly all do, costs nothing more.

Why a subclass of uvicorn's protocol: uvicorn has no public setting for a header or body
deadline, for a cap that closes a stalled connection rather than refusing a live one
(``limit_concurrency`` counts stalled connections as busy and answers ``text/plain``), nor
for the error answers. What a public setting does, one does: the head's size limit is
uvicorn's ``h11_max_incomplete_event_size``. Beyond asyncio's protocol methods, the
subclass relies on two uvicorn internals only: its ``conn`` attribute (the h11 connection,
read through h11's public states) and its ``send_400_response`` hook; it counts its own
connections and reads the response's progress from h11. A uvicorn release may change
either, so tests/test_sandbox_bounds.py and tests/test_sandbox_http.py exercise each
through the real ``leanrails sandbox``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from http import HTTPStatus
from typing import Any, ClassVar, Final

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ._asgi import MAX_HEAD_BYTES, ASGIApp, closing_error, headers_too_large, url_too_long
from ._errors import SandboxError, invalid

__all__ = [
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_MAX_CONNECTIONS",
    "BoundedH11Protocol",
    "bounded_config",
    "connection_cap",
    "raise_fd_limit",
]

DEFAULT_HEADER_TIMEOUT: Final = 10.0
DEFAULT_BODY_TIMEOUT: Final = 30.0
DEFAULT_MAX_CONNECTIONS: Final = 4096
KEEP_ALIVE_SECONDS: Final = 5
GRACEFUL_SHUTDOWN_SECONDS: Final = 3
MAX_BACKLOG: Final = 2048
LINGER_SECONDS: Final = 2.0
"""How long a refused request's remaining bytes are read and dropped before closing."""
_LINGER_BYTES: Final = 8 * 1024 * 1024
_FD_RESERVE: Final = 64
"""File descriptors kept for everything but connections (the database, the log, ...)."""

_LOG: Final = logging.getLogger("uvicorn.error")
_HEAD: Final = "head"
_BODY: Final = "body"


def _error_bytes(error: SandboxError) -> bytes:
    """``error`` as a whole HTTP/1.1 response that closes the connection."""
    headers, body = closing_error(error)
    status = f"HTTP/1.1 {error.status} {HTTPStatus(error.status).phrase}\r\n".encode()
    return (
        status
        + b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        + b"\r\n"
        + body
    )


def _busy(message: str, code: str) -> SandboxError:
    return SandboxError(503, "api_error", code, message, headers=(("Retry-After", "1"),))


def _timeout(message: str) -> SandboxError:
    return SandboxError(408, "invalid_request_error", "request_timeout", message)


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with header and body deadlines, a connection cap and a quick
    shutdown. Use :func:`bounded_config`, which makes a subclass with the limits set."""

    header_timeout: ClassVar[float] = DEFAULT_HEADER_TIMEOUT
    body_timeout: ClassVar[float] = DEFAULT_BODY_TIMEOUT
    max_connections: ClassVar[int] = DEFAULT_MAX_CONNECTIONS
    connected: ClassVar[set[BoundedH11Protocol]] = set()
    """This server's open connections (one set per server, as ``receiving``)."""
    receiving: ClassVar[dict[BoundedH11Protocol, None]] = {}
    """Connections still sending a request or idle between two, oldest first: the ones the
    cap may close. One dict per server (:func:`bounded_config` makes a new class)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._deadline_kind = ""
        self._head_started = False
        self._half_closed = False
        self._lingering = 0
        """Bytes still to drop after a refusal (0: not lingering)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.connected.add(self)
        if len(self.connected) > self.max_connections and not self._make_room():
            _LOG.warning(
                "connection cap (%d) reached with every connection busy: a new connection "
                "was closed",
                self.max_connections,
            )
            transport.close()
            return
        self.receiving[self] = None
        self._arm(_HEAD, self.header_timeout)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            self._lingering = max(0, self._lingering - len(data))
            if not self._lingering:
                self.transport.close()
            return
        super().data_received(data)
        self._follow(data_arrived=True)

    def send_400_response(self, msg: str) -> None:
        """A request h11 cannot read: 414 or 431 when its head is too long, else 400.

        uvicorn calls this while handling h11's error, which says which it is.
        """
        problem = sys.exc_info()[1]
        hint = getattr(problem, "error_status_hint", 400)
        if hint == 431:
            received, _ = self.conn.trailing_data
            error = url_too_long() if b"\n" not in received else headers_too_large()
        else:
            detail = (str(problem) if problem is not None else "") or msg
            error = invalid(
                f"The request is not valid HTTP/1.1: {detail.rstrip('.')[:200]}.",
                code="http_invalid",
            )
        self._refuse(error, linger=True)

    def on_response_complete(self) -> None:
        if self._half_closed:
            self.transport.close()
        super().on_response_complete()
        self._follow(data_arrived=False)

    def eof_received(self) -> bool:  # type: ignore[override]
        """A client that half-closes its side after a whole request (``shutdown(SHUT_WR)``,
        ``nc -N``) still gets the answer, even when the app awaits a worker thread; the
        connection closes once it is sent. Otherwise (idle, or mid-request) it closes now."""
        state = self.conn.their_state
        if (state is h11.DONE or state is h11.MUST_CLOSE) and not self._cycle_complete():
            self._half_closed = True
            return True
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.connected.discard(self)
        self.receiving.pop(self, None)
        super().connection_lost(exc)

    def shutdown(self) -> None:
        if self.conn.their_state is h11.SEND_BODY and not self._answering():
            # The app waits for a body that may never come: answer now.
            self._refuse(_busy("The server is shutting down; retry.", "shutting_down"))
            return
        super().shutdown()

    # -- the deadlines -------------------------------------------------------------------

    def _follow(self, *, data_arrived: bool) -> None:
        """Arm the deadline the request's state calls for, or none once it has arrived."""
        if self.transport.is_closing():
            self._disarm()
            self.receiving.pop(self, None)
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            self.receiving[self] = None
            if data_arrived:  # part of a request's head; the keep-alive timer is off
                self._head_started = True
                self._arm(_HEAD, self.header_timeout)
        elif state is h11.SEND_BODY:
            self.receiving[self] = None
            self._arm(_BODY, self.body_timeout)
        else:
            self.receiving.pop(self, None)
            self._head_started = False
            self._disarm()

    def _arm(self, kind: str, seconds: float) -> None:
        if self._deadline_kind == kind:
            return  # a deadline, not an idle timeout: more bytes do not extend it
        self._disarm()
        self._deadline_kind = kind
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._deadline_kind = ""

    def _expired(self) -> None:
        kind = self._deadline_kind
        self._deadline = None
        self._deadline_kind = ""
        if self.transport.is_closing():
            return
        if kind == _BODY:
            seconds = self.body_timeout
            what = "The request body did not arrive"
        elif self._head_started:
            seconds = self.header_timeout
            what = "The request line and headers did not arrive"
        else:  # a connection that never sent a byte: nothing to answer
            self.transport.close()
            return
        self._refuse(_timeout(f"{what} within {seconds:g} s."))

    def _refuse(self, error: SandboxError, *, linger: bool = False) -> None:
        """Answer a request that is still arriving, and close its connection; with
        ``linger``, after dropping what the client still sends (so it reads the answer)."""
        if not self._answering():
            self.transport.write(_error_bytes(error))
        if not linger or not self.transport.can_write_eof():
            self.transport.close()
            return
        self._disarm()
        self.receiving.pop(self, None)
        self.transport.write_eof()
        self._lingering = _LINGER_BYTES
        self.transport.resume_reading()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def _answering(self) -> bool:
        """Whether a response is being written on this connection now."""
        return self.conn.our_state is h11.SEND_BODY

    def _cycle_complete(self) -> bool:
        return self.conn.our_state not in (h11.SEND_RESPONSE, h11.SEND_BODY)

    def _make_room(self) -> bool:
        """Close the oldest connection still sending a request; False when there is none."""
        for victim in self.receiving:
            del self.receiving[victim]
            _LOG.warning(
                "connection cap (%d) reached: closed the oldest connection still sending "
                "a request or idle",
                self.max_connections,
            )
            victim._evict()
            return True
        return False

    def _evict(self) -> None:
        if self._head_started or self.conn.their_state is h11.SEND_BODY:
            self._refuse(_busy("Too many connections; retry.", "too_many_connections"))
        else:  # idle between requests: a client retries a closed keep-alive connection
            self.transport.close()


def bounded_config(
    app: ASGIApp,
    *,
    header_timeout: float = DEFAULT_HEADER_TIMEOUT,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    max_connections: int | None = None,
    **settings: Any,
) -> uvicorn.Config:
    """uvicorn's configuration for the sandbox: ``settings`` (host, port, log level, ...)
    plus the bounds. ``max_connections`` defaults to what the file-descriptor limit allows
    (:func:`connection_cap`)."""
    cap = connection_cap(DEFAULT_MAX_CONNECTIONS if max_connections is None else max_connections)
    protocol = type(
        "BoundedH11Protocol",
        (BoundedH11Protocol,),
        {
            "header_timeout": header_timeout,
            "body_timeout": body_timeout,
            "max_connections": cap,
            "connected": set(),
            "receiving": {},
        },
    )
    return uvicorn.Config(
        app,
        http=protocol,
        ws="none",
        lifespan="off",
        server_header=False,
        # Idle connections close after 5 s; a shutdown ends within 3 s. At most `backlog`
        # connections are accepted per loop turn: half the cap, so a burst cannot run the
        # process out of file descriptors before the cap closes the oldest.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        backlog=max(16, min(MAX_BACKLOG, cap // 2)),
        **settings,
    )


def connection_cap(wanted: int) -> int:
    """``wanted``, or less when the file-descriptor limit could not hold it (a connection is
    one descriptor; up to half as many again may be accepted in one turn of the loop)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: no such limit to respect
        return wanted
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, (soft - _FD_RESERVE) * 2 // 3))


def raise_fd_limit(wanted_connections: int) -> None:
    """Raise this process's soft file-descriptor limit towards its hard limit, as far as
    ``wanted_connections`` need (a server's usual start-up step; a default soft limit of
    1,024 would otherwise cap the connections)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted_connections * 3 // 2 + _FD_RESERVE
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):  # pragma: no cover - not allowed here: keep the limit
        return
