"""The sandbox as a plain ASGI application, served by ``leanrails sandbox`` under uvicorn.

The app is a thin adapter: it reads the body (at most 1 MiB is kept; the rest is read
and discarded, so the client always gets its 400 rather than a reset connection), runs
the engine and writes the answer. For a drop-after-commit fault it starts the response,
sends half the body and returns, so the server closes the connection and the client sees
a broken response.

At most :data:`MAX_REQUESTS` requests are answered at once (a kit convention); more get
``503 api_error`` with ``Retry-After: 1`` and the connection closed. A request counts only
once its body has arrived: a client that sends its body slowly, or never, holds a
connection (bounded by the server's body deadline and connection cap), not one of these.
Only requests held by a delay fault or waiting for the database take time, so the cap is
reached only when they pile up. A request a delay fault holds is left out: it counts against
its own account's share (:mod:`._shares`), so one key's delays never fill the cap.

With ``cors_origins``, pages on those origins may call the API from a browser (CORS,
preflights included; see :mod:`._cors`).

A request that carries both ``Transfer-Encoding`` and ``Content-Length`` is refused with
``400`` and its connection closed (RFC 9112 §6.1): a proxy in front may have framed it
differently, so what follows it on the connection cannot be trusted as a request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, Final

from ._cors import Cors
from ._engine import Sandbox
from ._errors import SandboxError, invalid
from ._record import new_id
from ._wire import MAX_BODY_BYTES, SandboxRequest, dump_json

__all__ = [
    "MAX_HEAD_BYTES",
    "MAX_REQUESTS",
    "closing_error",
    "create_app",
    "headers_too_large",
    "url_too_long",
]

MAX_REQUESTS: Final = 1000
"""Requests answered at once by one app; more get 503 with ``Retry-After``."""
MAX_HEAD_BYTES: Final = 16 * 1024
"""A request's line and headers hold at most this many bytes (h11's default)."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _SandboxApp:
    def __init__(self, sandbox: Sandbox, cors: Cors) -> None:
        self.sandbox = sandbox
        self._cors = cors
        self._answering = 0

    def __repr__(self) -> str:
        return f"create_app({self.sandbox!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # websockets: not served
            return
        headers, smuggling = _read_head(scope)
        body, truncated, disconnected = await _read_body(receive)
        if disconnected:
            return
        cors = self._cors.headers(_header(scope, b"origin"), scope["path"]) if self._cors else []
        if smuggling is not None:
            await _send_error(send, smuggling, cors)
            return
        if self._cors and scope["method"] == "OPTIONS":
            preflight = _header(scope, b"access-control-request-method")
            if preflight is not None:
                await self._preflight(scope, preflight, send)
                return
        if self._answering - self.sandbox.held >= MAX_REQUESTS:
            await _send_error(send, _too_busy(), cors)
            return
        self._answering += 1
        try:
            await self._answer(scope, headers, body, truncated, cors, send)
        finally:
            self._answering -= 1

    async def _answer(
        self,
        scope: Scope,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
        truncated: bool,
        cors: list[tuple[str, str]],
        send: Send,
    ) -> None:
        raw_path: bytes | None = scope.get("raw_path")
        path = raw_path.decode("latin-1").split("?", 1)[0] if raw_path else scope["path"]
        request = SandboxRequest(
            method=scope["method"],
            path=path,
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
            body_truncated=truncated,
        )
        answer = await self.sandbox.handle_async(request)
        written = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in (*answer.headers, *cors)
        ]
        await send({"type": "http.response.start", "status": answer.status, "headers": written})
        if answer.drop_connection:
            # Returning without the rest of the body makes the server close the connection.
            await send(
                {
                    "type": "http.response.body",
                    "body": answer.body[: len(answer.body) // 2],
                    "more_body": True,
                }
            )
            return
        await send({"type": "http.response.body", "body": answer.body})

    async def _preflight(self, scope: Scope, method: str, send: Send) -> None:
        """A browser asks whether a page on another origin may send this request."""
        origin = _header(scope, b"origin")
        asked = _header(scope, b"access-control-request-headers") or ""
        try:
            allowed = self._cors.preflight(origin, scope["path"], method, asked)
        except SandboxError as error:
            await _send_error(send, error)
            return
        headers = [(b"request-id", new_id("req_").encode())]
        headers += [(name.lower().encode(), value.encode("latin-1")) for name, value in allowed]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


async def _read_body(receive: Receive) -> tuple[bytes, bool, bool]:
    """(body kept, whether more was discarded, whether the client went away)."""
    chunks: list[bytes] = []
    size = 0
    truncated = False
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", False, True
        chunk: bytes = message.get("body", b"")
        if not truncated:
            if size + len(chunk) > MAX_BODY_BYTES:
                truncated = True
                chunks.append(chunk[: MAX_BODY_BYTES + 1 - size])
            else:
                chunks.append(chunk)
            size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), truncated, False


def _read_head(scope: Scope) -> tuple[tuple[tuple[str, str], ...], SandboxError | None]:
    """The request's headers as text, and the error its head earns (or None): a 400 when
    both Transfer-Encoding and Content-Length frame it, a 414 or 431 when it is too long.
    One pass over the headers: every request pays for it."""
    headers: list[tuple[str, str]] = []
    size = 0
    framings: set[bytes] = set()
    for name, value in scope["headers"]:
        size += len(name) + len(value) + 4
        if (lowered := name.lower()) in _FRAMING:
            framings.add(lowered)
        headers.append((name.decode("latin-1"), value.decode("latin-1")))
    if framings == _FRAMING:
        error: SandboxError | None = invalid(
            "The request has both Transfer-Encoding and Content-Length: send one "
            "(RFC 9112 §6.1). The connection is closed.",
            code="http_invalid",
        )
    else:
        error = _oversized_head(scope, size)
    return tuple(headers), error


_FRAMING: Final = frozenset({b"transfer-encoding", b"content-length"})


def url_too_long() -> SandboxError:
    return SandboxError(
        414,
        "invalid_request_error",
        "url_too_long",
        f"The request line is longer than {MAX_HEAD_BYTES} bytes.",
    )


def headers_too_large() -> SandboxError:
    return SandboxError(
        431,
        "invalid_request_error",
        "headers_too_large",
        f"The request's line and headers are longer than {MAX_HEAD_BYTES} bytes.",
    )


def _oversized_head(scope: Scope, headers_size: int) -> SandboxError | None:
    """The 414 or 431 for a head over the limit that h11 read whole: its limit holds only
    while a head is still arriving, and one read can bring up to 64 KiB."""
    line = len(scope["method"]) + len(scope.get("raw_path") or b"") + 11  # "M /p HTTP/1.1\r\n"
    query = scope.get("query_string", b"")
    line += len(query) + 1 if query else 0
    if line > MAX_HEAD_BYTES:
        return url_too_long()
    if line + headers_size > MAX_HEAD_BYTES:
        return headers_too_large()
    return None


def _too_busy() -> SandboxError:
    return SandboxError(
        503,
        "api_error",
        "server_busy",
        f"The sandbox is answering {MAX_REQUESTS} requests already; retry shortly.",
        headers=(("Retry-After", "1"),),
    )


def closing_error(error: SandboxError) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """``error``'s headers and body: the API's JSON error, the connection closed after it.
    The HTTP layer (:mod:`._http_limits`) writes its own errors with these too."""
    body = dump_json(error.body())
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in error.headers),
        (b"request-id", new_id("req_").encode()),
        (b"connection", b"close"),
    ]
    return headers, body


async def _send_error(
    send: Send, error: SandboxError, extra: Iterable[tuple[str, str]] = ()
) -> None:
    headers, body = closing_error(error)
    headers += [(name.lower().encode(), value.encode("latin-1")) for name, value in extra]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(sandbox: Sandbox, *, cors_origins: Iterable[str] = ()) -> ASGIApp:
    """An ASGI app serving ``sandbox``: the API, the hosted page and ``/openapi.yaml``.
    Pages on ``cors_origins`` (``scheme://host[:port]``; ValueError for ``*`` or anything
    else that is not an origin) may call the API from a browser."""
    return _SandboxApp(sandbox, Cors(cors_origins))
