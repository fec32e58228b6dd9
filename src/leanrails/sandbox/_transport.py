"""httpx2 transports that hand requests straight to a :class:`Sandbox`: no socket, no thread.

>>> import httpx2
>>> from leanrails.sandbox import Sandbox, SandboxTransport, IN_PROCESS_BASE_URL
>>> client = httpx2.Client(transport=SandboxTransport(Sandbox()), base_url=IN_PROCESS_BASE_URL)

A drop-after-commit fault raises :class:`httpx2.RemoteProtocolError` after the create is
stored, as a real connection closed by the server mid-response would.
"""

from __future__ import annotations

import httpx2

from ._engine import Sandbox
from ._wire import SandboxRequest, SandboxResponse

__all__ = ["AsyncSandboxTransport", "SandboxTransport"]


def _to_sandbox(request: httpx2.Request, body: bytes) -> SandboxRequest:
    return SandboxRequest(
        method=request.method,
        # The raw (still percent-encoded) path, as the ASGI adapter reads it.
        path=request.url.raw_path.decode("ascii", "replace").split("?", 1)[0],
        query=request.url.query.decode("ascii", "replace"),
        headers=tuple(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw
        ),
        body=body,
    )


def _to_httpx(answer: SandboxResponse, request: httpx2.Request) -> httpx2.Response:
    if answer.drop_connection:
        raise httpx2.RemoteProtocolError(
            "Server disconnected without sending a complete response "
            "(the sandbox's drop-after-commit fault; the request was committed).",
            request=request,
        )
    return httpx2.Response(
        answer.status,
        headers=list(answer.headers),
        content=answer.body,
        request=request,
        extensions={"http_version": b"HTTP/1.1"},
    )


class SandboxTransport(httpx2.BaseTransport):
    """A synchronous transport into ``sandbox``. Delay faults block the calling thread."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        body = request.read()
        return _to_httpx(self.sandbox.handle(_to_sandbox(request, body)), request)

    def __repr__(self) -> str:
        return f"SandboxTransport({self.sandbox!r})"


class AsyncSandboxTransport(httpx2.AsyncBaseTransport):
    """An asynchronous transport into ``sandbox``. Delay faults sleep, never block."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        answer = await self.sandbox.handle_async(_to_sandbox(request, body))
        return _to_httpx(answer, request)

    def __repr__(self) -> str:
        return f"AsyncSandboxTransport({self.sandbox!r})"
