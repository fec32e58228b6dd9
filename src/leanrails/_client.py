"""LeanRails and AsyncLeanRails: ``BaseClient`` plus the loop that sends and sleeps.

Everything else (configuration, request building, what follows each attempt, responses and
errors) is in ``_base_client.py``, and the calls themselves in ``_resources.py``, written
once for both clients, as httpx shares its ``BaseClient``. What is left here is the I/O:
an attempt and the sleep before a retry, one blocking, the other awaited.
"""

from __future__ import annotations

import time
from collections.abc import Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import anyio
import httpx2

from ._base_client import BaseClient
from ._call import Call, TimeoutTypes
from ._limits import aread_body, attempt_seconds, read_body, reset_deadline, set_deadline
from ._resources import CheckoutSessions, Helpers
from ._response import APIResponse
from ._session import CheckoutSession

if TYPE_CHECKING:
    from .sandbox import Sandbox

__all__ = ["AsyncLeanRails", "LeanRails"]


class LeanRails(BaseClient[httpx2.Client]):
    """The synchronous LeanRails client.

    ``api_key`` falls back to ``LEANRAILS_API_KEY`` and ``base_url`` to
    ``LEANRAILS_BASE_URL``, then ``https://api.leanrails.com``; it may not carry credentials
    (a gateway's go in ``default_headers``). ``timeout`` applies to every request, also
    through an injected ``http_client``, and bounds each attempt as a whole (connect, send,
    read), however slowly a server answers; ``max_retries`` counts retries after the first
    attempt; a response over ``max_response_bytes`` (10 MiB) raises
    ``APIResponseTooLargeError``. ``http_client`` is an ``httpx2.Client`` of your own (a
    proxy, a transport, a test's ``httpx2.MockTransport``); this client never closes it, and
    through it the attempt's deadline is checked between the body's chunks only. For tests,
    ``leanrails.testing`` makes retries instantaneous and records them. ``strict=True``
    refuses a kit convention before sending, as the sandbox does (``ConventionWarning``
    and send otherwise; ``sandbox()`` defaults to strict).
    """

    _http_client_type = httpx2.Client
    checkout_sessions: CheckoutSessions[CheckoutSession, APIResponse]
    test_helpers: Helpers[CheckoutSession, APIResponse]

    @staticmethod
    def _sandbox_http_client(sandbox: Sandbox) -> httpx2.Client:
        from .sandbox import SandboxTransport

        return httpx2.Client(transport=SandboxTransport(sandbox))

    @staticmethod
    def _new_http_client(timeout: TimeoutTypes) -> httpx2.Client:
        from ._deadline_transport import deadline_transport  # httpcore2: not on import

        return httpx2.Client(timeout=timeout, transport=deadline_transport())

    def _send(self, request: httpx2.Request) -> httpx2.Response | httpx2.TransportError:
        """One attempt, by its deadline, its body read up to ``max_response_bytes``: the
        response, or the transport error that ended it."""
        at, token = set_deadline(attempt_seconds(request))
        try:
            # Never a redirect, whatever the http_client's setting: httpx2 would carry a
            # gateway's header (default_headers) to any host a server names.
            response = self._http_client.send(request, stream=True, follow_redirects=False)
            try:
                over = read_body(response, self.max_response_bytes, at)
            finally:
                response.close()
        except httpx2.TransportError as exc:
            return exc
        finally:
            reset_deadline(token)
        if over is not None:
            raise self._too_large(response, over)
        return response

    def _request(self, call: Call) -> APIResponse:
        request = self._build_request(call)
        max_retries = self._max_retries(call)
        retries = 0
        while True:
            step = self._after_attempt(request, self._send(request), retries, max_retries)
            if isinstance(step, APIResponse):
                return step
            time.sleep(step)
            retries += 1

    def _request_parsed(self, call: Call) -> CheckoutSession:
        return self._request(call).parse()

    def close(self) -> None:
        """Close the HTTP client, if this client created it."""
        if self._owns_http_client:
            self._http_client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncLeanRails(BaseClient[httpx2.AsyncClient]):
    """The asynchronous LeanRails client: ``LeanRails`` with awaitable calls.

    It takes the same arguments, with an ``httpx2.AsyncClient`` as ``http_client``.
    Arguments are validated when a call is made, before anything is awaited.
    """

    _http_client_type = httpx2.AsyncClient
    checkout_sessions: CheckoutSessions[
        Coroutine[Any, Any, CheckoutSession], Coroutine[Any, Any, APIResponse]
    ]
    test_helpers: Helpers[Coroutine[Any, Any, CheckoutSession], Coroutine[Any, Any, APIResponse]]

    @staticmethod
    def _sandbox_http_client(sandbox: Sandbox) -> httpx2.AsyncClient:
        from .sandbox import AsyncSandboxTransport

        return httpx2.AsyncClient(transport=AsyncSandboxTransport(sandbox))

    @staticmethod
    def _new_http_client(timeout: TimeoutTypes) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(timeout=timeout)

    async def _send(self, request: httpx2.Request) -> httpx2.Response | httpx2.TransportError:
        """One attempt, cancelled at its deadline, its body read up to ``max_response_bytes``:
        the response, or the transport error that ended it."""
        seconds = attempt_seconds(request)
        try:
            with anyio.fail_after(seconds):
                response = await self._http_client.send(
                    request, stream=True, follow_redirects=False
                )  # never a redirect: see LeanRails._send
                try:
                    over = await aread_body(response, self.max_response_bytes)
                finally:
                    await response.aclose()
        except httpx2.TransportError as exc:
            return exc
        except TimeoutError:
            return httpx2.ReadTimeout(f"no complete response within {seconds} s", request=request)
        if over is not None:
            raise self._too_large(response, over)
        return response

    async def _request(self, call: Call) -> APIResponse:
        request = self._build_request(call)
        max_retries = self._max_retries(call)
        retries = 0
        while True:
            step = self._after_attempt(request, await self._send(request), retries, max_retries)
            if isinstance(step, APIResponse):
                return step
            await anyio.sleep(step)
            retries += 1

    async def _request_parsed(self, call: Call) -> CheckoutSession:
        return (await self._request(call)).parse()

    async def close(self) -> None:
        """Close the HTTP client, if this client created it."""
        if self._owns_http_client:
            await self._http_client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
