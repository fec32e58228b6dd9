"""LeanRails and AsyncLeanRails: one core for building requests and reading responses.

``BaseClient`` holds everything except I/O: configuration, request building, retry decisions,
logging and the mapping of responses to models and errors. The two clients add only the loop
that sends and sleeps. The resources (``client.checkout_sessions`` ...) are written once too:
each method validates its arguments into a ``_Call`` and hands it to a runner that the client
supplies, so the same method returns a ``CheckoutSession`` on the sync client and a coroutine
on the async one.
"""

from __future__ import annotations

import base64
import functools
import logging
import os
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar
from urllib.parse import quote, urlsplit

import anyio
import httpx2
from pydantic_core import to_json

from ._errors import APIConnectionError, APITimeoutError, LeanRailsError, make_status_error
from ._params import CheckoutSessionCreateParams
from ._response import APIResponse
from ._retry import retry_delay
from ._session import CheckoutSession, CustomerDetails
from ._version import __version__

if TYPE_CHECKING:
    from .sandbox import Sandbox

__all__ = ["AsyncLeanRails", "LeanRails"]

logger = logging.getLogger("leanrails")

DEFAULT_BASE_URL = "https://api.leanrails.com"
DEFAULT_TIMEOUT = httpx2.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
USER_AGENT = f"leanrails-python/{__version__} httpx2/{httpx2.__version__}"
MAX_IDEMPOTENCY_KEY_LENGTH = 255

TimeoutTypes = float | httpx2.Timeout | None

_R = TypeVar("_R")
_Raw = TypeVar("_Raw")
_HttpClient = TypeVar("_HttpClient", httpx2.Client, httpx2.AsyncClient)


@dataclass(frozen=True, slots=True)
class _Call:
    """One logical API call, validated; every attempt of it sends the same request."""

    method: str
    path: str
    body: bytes | None
    idempotency_key: str | None
    api_version: str | None
    timeout: TimeoutTypes
    max_retries: int | None

    def __post_init__(self) -> None:
        if self.max_retries is not None and self.max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {self.max_retries}")
        _check_api_version(self.api_version)


def _check_api_version(version: str | None) -> None:
    # Checked here, not by httpx2 at send time, so the error names the argument.
    if version is not None and not (version and version.isascii() and version.isprintable()):
        raise ValueError(
            f"api_version must be printable ASCII, such as '2026-11-01', got {version!r}; "
            "it is sent as the X-API-Version header"
        )


def _idempotency_key(key: str | None) -> str:
    if key is None:
        return str(uuid.uuid4())
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        raise ValueError(
            f"idempotency_key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters, got "
            f"{len(key)}; leave it out and the client generates one"
        )
    if not (key.isascii() and key.isprintable()):
        raise ValueError("idempotency_key must be printable ASCII, as it is sent as a header")
    return key


def _session_path(template: str, session_id: str) -> str:
    if not session_id:
        raise ValueError("a checkout session id is required, such as 'cs_test_...'")
    # Quoted whole, so an id can never walk to another path ("../", "?", "#").
    return template.format(quote(session_id, safe=""))


def _create_call(
    params: CheckoutSessionCreateParams | None,
    fields: dict[str, Any],
    idempotency_key: str | None,
    api_version: str | None,
    timeout: TimeoutTypes,
    max_retries: int | None,
) -> _Call:
    if params is None:
        params = CheckoutSessionCreateParams(**fields)
    elif fields:
        raise TypeError(
            "create() takes a CheckoutSessionCreateParams or keyword fields, not both; "
            f"got params and {', '.join(sorted(fields))}"
        )
    elif not isinstance(params, CheckoutSessionCreateParams):
        raise TypeError(
            "params must be a CheckoutSessionCreateParams, got "
            f"{type(params).__name__}; pass a dict's fields as keywords: create(**body)"
        )
    return _Call(
        "POST",
        "/v1/checkout_sessions",
        params.to_json(),
        _idempotency_key(idempotency_key),
        api_version,
        timeout,
        max_retries,
    )


@functools.lru_cache(maxsize=256)
def _parse_url(url: str) -> httpx2.URL:
    """Parsed once per URL: parsing (IDNA checks included) was a third of a create's cost."""
    return httpx2.URL(url)


def _mask_key(key: str) -> str:
    """``sk_test_****``: says which kind of key without revealing any of it."""
    prefix = re.match(r"[a-z]{2,4}_(?:test|live)_", key)
    if prefix and len(key) >= len(prefix.group()) + 8:
        return prefix.group() + "****"
    return "****"


class CheckoutSessionCalls(Generic[_R]):
    """The Checkout Session calls; ``_R`` is what the client's runner returns."""

    def __init__(self, run: Callable[[_Call], _R]) -> None:
        self._run = run

    def create(
        self,
        params: CheckoutSessionCreateParams | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        api_version: str | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
        **fields: Any,
    ) -> _R:
        """``POST /v1/checkout_sessions``: validate, then send with retries.

        Give a ``CheckoutSessionCreateParams`` or its fields as keywords; either way they
        are validated before anything is sent (pydantic ``ValidationError``). Without an
        ``idempotency_key`` one UUID4 is generated, and every retry reuses it, so retries
        never create a second session. ``api_version``, ``timeout`` and ``max_retries``
        override the client's settings for this call.
        """
        return self._run(
            _create_call(params, fields, idempotency_key, api_version, timeout, max_retries)
        )

    def retrieve(
        self,
        session_id: str,
        /,
        *,
        api_version: str | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> _R:
        """``GET /v1/checkout_sessions/{id}`` (a sandbox convention beyond the reference)."""
        return self._run(
            _Call(
                "GET",
                _session_path("/v1/checkout_sessions/{}", session_id),
                None,
                None,
                api_version,
                timeout,
                max_retries,
            )
        )

    def expire(
        self,
        session_id: str,
        /,
        *,
        idempotency_key: str | None = None,
        api_version: str | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> _R:
        """``POST /v1/checkout_sessions/{id}/expire`` (a sandbox convention)."""
        return self._run(
            _Call(
                "POST",
                _session_path("/v1/checkout_sessions/{}/expire", session_id),
                b"{}",
                _idempotency_key(idempotency_key),
                api_version,
                timeout,
                max_retries,
            )
        )


class CheckoutSessions(CheckoutSessionCalls[_R], Generic[_R, _Raw]):
    """``client.checkout_sessions``; ``with_raw_response`` has the same calls, unparsed."""

    def __init__(
        self,
        run: Callable[[_Call], _R],
        run_raw: Callable[[_Call], _Raw],
        build: Callable[[_Call], httpx2.Request],
    ) -> None:
        super().__init__(run)
        self._build = build
        self.with_raw_response = CheckoutSessionCalls(run_raw)

    def build(
        self,
        params: CheckoutSessionCreateParams | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        api_version: str | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
        **fields: Any,
    ) -> httpx2.Request:
        """The request ``create`` would send, unsent: for ``to_curl`` or inspection.

        Each call generates a fresh idempotency key unless one is given.
        """
        return self._build(
            _create_call(params, fields, idempotency_key, api_version, timeout, max_retries)
        )


class HelperCheckoutSessionCalls(Generic[_R]):
    """Test helpers for Checkout Sessions (sandbox conventions, not in the reference)."""

    def __init__(self, run: Callable[[_Call], _R]) -> None:
        self._run = run

    def complete(
        self,
        session_id: str,
        /,
        *,
        customer_details: CustomerDetails | Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        api_version: str | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> _R:
        """``POST /v1/test_helpers/checkout_sessions/{id}/complete``: pay the session."""
        body: dict[str, Any] = {}
        if isinstance(customer_details, CustomerDetails):
            body["customer_details"] = customer_details.model_dump(mode="json", exclude_unset=True)
        elif customer_details is not None:
            body["customer_details"] = dict(customer_details)
        return self._run(
            _Call(
                "POST",
                _session_path("/v1/test_helpers/checkout_sessions/{}/complete", session_id),
                to_json(body),
                _idempotency_key(idempotency_key),
                api_version,
                timeout,
                max_retries,
            )
        )


class HelperCheckoutSessions(HelperCheckoutSessionCalls[_R], Generic[_R, _Raw]):
    def __init__(self, run: Callable[[_Call], _R], run_raw: Callable[[_Call], _Raw]) -> None:
        super().__init__(run)
        self.with_raw_response = HelperCheckoutSessionCalls(run_raw)


class Helpers(Generic[_R, _Raw]):
    """``client.test_helpers``: drive the sandbox as a customer would."""

    def __init__(self, run: Callable[[_Call], _R], run_raw: Callable[[_Call], _Raw]) -> None:
        self.checkout_sessions = HelperCheckoutSessions(run, run_raw)


class BaseClient(Generic[_HttpClient]):
    """Configuration, request building, retry decisions and response handling: no I/O."""

    _http_client: _HttpClient

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str | None,
        api_version: str | None,
        timeout: TimeoutTypes,
        max_retries: int,
    ) -> None:
        if api_key is None:
            api_key = os.environ.get("LEANRAILS_API_KEY")
        if not api_key:
            raise LeanRailsError(
                "no API key: pass api_key=... or set the LEANRAILS_API_KEY environment "
                f"variable. To try the kit without an account, use {type(self).__name__}"
                ".sandbox(), which needs no key and no network."
            )
        base_url = base_url or os.environ.get("LEANRAILS_BASE_URL") or DEFAULT_BASE_URL
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
        _check_api_version(api_version)
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.timeout = timeout
        self.max_retries = max_retries
        token = base64.b64encode(f"{api_key}:".encode()).decode("ascii")
        self._authorization = f"Basic {token}"
        self._secrets = (api_key, token)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(api_key={_mask_key(self.api_key)!r}, "
            f"base_url={self.base_url!r}, api_version={self.api_version!r}, "
            f"max_retries={self.max_retries})"
        )

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, _mask_key(self.api_key))
        return text

    def _build_request(self, call: _Call) -> httpx2.Request:
        # Insertion order is the reference's order, which to_curl() preserves.
        headers = {"Authorization": self._authorization}
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        if call.idempotency_key is not None:
            headers["Idempotency-Key"] = call.idempotency_key
        api_version = call.api_version or self.api_version
        if api_version:
            headers["X-API-Version"] = api_version
        headers["User-Agent"] = USER_AGENT
        return self._http_client.build_request(
            call.method,
            _parse_url(self.base_url + call.path),
            content=call.body,
            headers=headers,
            timeout=self.timeout if call.timeout is None else call.timeout,
        )

    def _max_retries(self, call: _Call) -> int:
        return self.max_retries if call.max_retries is None else call.max_retries

    def _after_error(
        self, request: httpx2.Request, exc: httpx2.TransportError, retries: int, max_retries: int
    ) -> float:
        """Log a failed attempt, and return the wait before the next one, or raise."""
        delay = retry_delay(retries, max_retries, None)
        self._log(request, type(exc).__name__, None, retries, max_retries, delay)
        if delay is not None:
            return delay
        if isinstance(exc, httpx2.TimeoutException):
            raise APITimeoutError(
                self._redact(f"{request.method} {request.url} timed out ({exc!r})"),
                request=request,
            ) from exc
        raise APIConnectionError(
            self._redact(f"{request.method} {request.url}: no response ({exc!r})"),
            request=request,
        ) from exc

    def _after_response(
        self, response: httpx2.Response, retries: int, max_retries: int
    ) -> float | None:
        """Log an attempt's response, and return the wait before retrying it, or None."""
        delay = None if response.is_success else retry_delay(retries, max_retries, response)
        self._log(
            response.request,
            str(response.status_code),
            response.headers.get("request-id"),
            retries,
            max_retries,
            delay,
        )
        return delay

    def _finish(self, response: httpx2.Response, retries: int) -> APIResponse:
        """The final response: wrapped when 2xx, else its typed error."""
        if response.is_success:
            return APIResponse(response, retries_taken=retries)
        raise make_status_error(response, redact=self._redact)

    @staticmethod
    def _log(
        request: httpx2.Request,
        outcome: str,
        request_id: str | None,
        retries: int,
        max_retries: int,
        delay: float | None,
    ) -> None:
        # Never the headers: the Authorization header cannot leak through a log handler.
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %s (request_id=%s, idempotency_key=%s, retry %d of %d)%s",
                request.method,
                request.url,
                outcome,
                request_id,
                request.headers.get("idempotency-key"),
                retries,
                max_retries,
                "" if delay is None else f"; retrying in {delay:.2f}s",
            )


class LeanRails(BaseClient[httpx2.Client]):
    """The synchronous LeanRails client.

    ``api_key`` falls back to ``LEANRAILS_API_KEY`` and ``base_url`` to
    ``LEANRAILS_BASE_URL``, then ``https://api.leanrails.com``. ``timeout`` applies to every
    request, also through an injected ``http_client``; ``max_retries`` counts retries after
    the first attempt. An injected ``http_client`` is never closed by this client.
    ``_sleep`` replaces ``time.sleep`` between retries (tests); ``_transport`` wires an
    owned HTTP client to a transport (``sandbox()``).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        api_version: str | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx2.Client | None = None,
        _transport: httpx2.BaseTransport | None = None,
        _sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        super().__init__(
            api_key,
            base_url=base_url,
            api_version=api_version,
            timeout=timeout,
            max_retries=max_retries,
        )
        if http_client is not None and _transport is not None:
            raise TypeError("pass http_client or _transport, not both")
        self._owns_http_client = http_client is None
        self._http_client = http_client or httpx2.Client(timeout=timeout, transport=_transport)
        self._sleep = _sleep
        self.checkout_sessions: CheckoutSessions[CheckoutSession, APIResponse] = CheckoutSessions(
            self._request_parsed, self._request, self._build_request
        )
        self.test_helpers: Helpers[CheckoutSession, APIResponse] = Helpers(
            self._request_parsed, self._request
        )

    @classmethod
    def sandbox(cls, sandbox: Sandbox | None = None, **kwargs: Any) -> Self:
        """A client wired to an in-process sandbox: no key, no socket, no thread.

        ``sandbox`` shares state between clients (a fresh one otherwise); ``kwargs`` go to
        the constructor, for example ``max_retries``.
        """
        from .sandbox import IN_PROCESS_BASE_URL, TEST_API_KEY, Sandbox, SandboxTransport

        kwargs.setdefault("api_key", TEST_API_KEY)
        kwargs.setdefault("base_url", IN_PROCESS_BASE_URL)
        transport = SandboxTransport(Sandbox() if sandbox is None else sandbox)
        return cls(_transport=transport, **kwargs)

    def _request(self, call: _Call) -> APIResponse:
        request = self._build_request(call)
        max_retries = self._max_retries(call)
        retries = 0
        while True:
            try:
                response = self._http_client.send(request)
            except httpx2.TransportError as exc:
                delay = self._after_error(request, exc, retries, max_retries)
            else:
                retry_in = self._after_response(response, retries, max_retries)
                if retry_in is None:
                    return self._finish(response, retries)
                delay = retry_in
            self._sleep(delay)
            retries += 1

    def _request_parsed(self, call: _Call) -> CheckoutSession:
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

    Arguments are validated when a call is made, before anything is awaited. ``_sleep``
    replaces ``anyio.sleep`` between retries (tests).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        api_version: str | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx2.AsyncClient | None = None,
        _transport: httpx2.AsyncBaseTransport | None = None,
        _sleep: Callable[[float], Awaitable[object]] = anyio.sleep,
    ) -> None:
        super().__init__(
            api_key,
            base_url=base_url,
            api_version=api_version,
            timeout=timeout,
            max_retries=max_retries,
        )
        if http_client is not None and _transport is not None:
            raise TypeError("pass http_client or _transport, not both")
        self._owns_http_client = http_client is None
        self._http_client = http_client or httpx2.AsyncClient(timeout=timeout, transport=_transport)
        self._sleep = _sleep
        self.checkout_sessions: CheckoutSessions[
            Coroutine[Any, Any, CheckoutSession], Coroutine[Any, Any, APIResponse]
        ] = CheckoutSessions(self._request_parsed, self._request, self._build_request)
        self.test_helpers: Helpers[
            Coroutine[Any, Any, CheckoutSession], Coroutine[Any, Any, APIResponse]
        ] = Helpers(self._request_parsed, self._request)

    @classmethod
    def sandbox(cls, sandbox: Sandbox | None = None, **kwargs: Any) -> Self:
        """An async client wired to an in-process sandbox; see ``LeanRails.sandbox``."""
        from .sandbox import IN_PROCESS_BASE_URL, TEST_API_KEY, AsyncSandboxTransport, Sandbox

        kwargs.setdefault("api_key", TEST_API_KEY)
        kwargs.setdefault("base_url", IN_PROCESS_BASE_URL)
        transport = AsyncSandboxTransport(Sandbox() if sandbox is None else sandbox)
        return cls(_transport=transport, **kwargs)

    async def _request(self, call: _Call) -> APIResponse:
        request = self._build_request(call)
        max_retries = self._max_retries(call)
        retries = 0
        while True:
            try:
                response = await self._http_client.send(request)
            except httpx2.TransportError as exc:
                delay = self._after_error(request, exc, retries, max_retries)
            else:
                retry_in = self._after_response(response, retries, max_retries)
                if retry_in is None:
                    return self._finish(response, retries)
                delay = retry_in
            await self._sleep(delay)
            retries += 1

    async def _request_parsed(self, call: _Call) -> CheckoutSession:
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
