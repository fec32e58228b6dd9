"""BaseClient: everything a client does except I/O, shared by LeanRails and AsyncLeanRails.

Configuration, request building, retry decisions, logging and the mapping of responses to
models and errors live here once; ``_client.py`` adds only the loops that send and sleep.
A resource method describes one logical call as a ``Call``; the client turns it into one
``httpx2.Request`` that every attempt sends unchanged (so every retry carries the same
idempotency key).
"""

from __future__ import annotations

import base64
import functools
import logging
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, Self, TypedDict, TypeVar, Unpack
from urllib.parse import urlsplit

import httpx2

from ._call import Call, TimeoutTypes, check_api_version, merge_headers
from ._errors import APIConnectionError, APITimeoutError, LeanRailsError, make_status_error
from ._resources import CheckoutSessions, Helpers
from ._response import APIResponse
from ._retry import retry_delay
from ._testing import RetryRecord, retry_pause
from ._version import __version__

if TYPE_CHECKING:
    from .sandbox import Sandbox

logger = logging.getLogger("leanrails")

DEFAULT_BASE_URL = "https://api.leanrails.com"
DEFAULT_TIMEOUT = httpx2.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
USER_AGENT = f"leanrails-python/{__version__} httpx2/{httpx2.__version__}"

_HttpClient = TypeVar("_HttpClient", httpx2.Client, httpx2.AsyncClient)


@functools.lru_cache(maxsize=256)
def _parse_url(url: str) -> httpx2.URL:
    """Parsed once per URL: parsing (IDNA checks included) was a third of a create's cost."""
    return httpx2.URL(url)


class ClientOptions(TypedDict, Generic[_HttpClient], total=False):
    """The settings ``with_options`` can change: the constructor's arguments."""

    api_key: str
    base_url: str
    api_version: str | None
    timeout: TimeoutTypes
    max_retries: int
    http_client: _HttpClient
    default_headers: Mapping[str, str] | None


def mask_key(key: str) -> str:
    """``sk_test_****``: says which kind of key without revealing any of it."""
    prefix = re.match(r"[a-z]{2,4}_(?:test|live)_", key)
    if prefix and len(key) >= len(prefix.group()) + 8:
        return prefix.group() + "****"
    return "****"


class BaseClient(Generic[_HttpClient]):
    """Configuration, request building, retry decisions and response handling: no I/O.

    A subclass names its HTTP client type and supplies ``_request`` (send with retries) and
    ``_request_parsed``; the resources are built here, on those two runners.
    """

    _http_client_type: type[_HttpClient]
    checkout_sessions: CheckoutSessions[Any, Any]
    test_helpers: Helpers[Any, Any]

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        http_client: _HttpClient | None = None,
        api_version: str | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
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
        check_api_version(api_version)
        if http_client is not None and not isinstance(http_client, self._http_client_type):
            raise TypeError(
                f"http_client must be an httpx2.{self._http_client_type.__name__}, got "
                f"{type(http_client).__name__}"
            )
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.timeout = timeout
        self.max_retries = max_retries
        self.default_headers = dict(default_headers or {})
        self._owns_http_client = http_client is None
        self._http_client: _HttpClient = (
            self._http_client_type(timeout=timeout) if http_client is None else http_client
        )
        token = base64.b64encode(f"{api_key}:".encode()).decode("ascii")
        self._authorization = f"Basic {token}"
        self._secrets = (api_key, token)
        # Credentials in base_url (a gateway's user:password) are masked wherever the key is.
        self._userinfo = parts.netloc.rpartition("@")[0]
        self.checkout_sessions = CheckoutSessions(
            self._request_parsed, self._request, self._build_request
        )
        self.test_helpers = Helpers(self._request_parsed, self._request)

    @classmethod
    def sandbox(cls, sandbox: Sandbox | None = None, *, serve: bool = False, **kwargs: Any) -> Self:
        """A client wired to an in-process sandbox: no key, no socket, no thread.

        ``sandbox`` shares state between clients (a fresh one otherwise); ``kwargs`` go to
        the constructor, for example ``max_retries``. ``serve=True`` serves a fresh sandbox
        over HTTP on a free 127.0.0.1 port in a background thread instead, so that
        ``session.url`` opens in a browser and ``to_curl`` output runs as printed; closing
        the client stops the server. It needs the ``server`` extra (uvicorn).
        """
        from .sandbox import IN_PROCESS_BASE_URL, TEST_API_KEY, Sandbox, serve_sandbox

        kwargs.setdefault("api_key", TEST_API_KEY)
        if not serve:
            kwargs.setdefault("base_url", IN_PROCESS_BASE_URL)
            http_client = cls._sandbox_http_client(Sandbox() if sandbox is None else sandbox)
        elif sandbox is not None:
            raise ValueError(
                "serve=True serves a sandbox of its own, whose URLs carry the port it got; "
                "pass either sandbox or serve=True"
            )
        else:
            served = serve_sandbox()
            kwargs.setdefault("base_url", served.base_url)
            http_client = served.http_client(cls._http_client_type)
        try:
            client = cls(http_client=http_client, **kwargs)
        except BaseException:
            if serve:
                served.stop()
            raise
        client._owns_http_client = True
        return client

    def with_options(self, **changes: Unpack[ClientOptions[_HttpClient]]) -> Self:
        """A copy of this client with some settings changed, sharing its HTTP client.

        ``default_headers`` are added to this client's (a header of the same name is
        replaced); every other setting replaces this client's. Closing the copy leaves the
        shared HTTP client open: the client that created it closes it.
        """
        default_headers = dict(self.default_headers)
        merge_headers(default_headers, changes.get("default_headers") or {})
        settings: ClientOptions[_HttpClient] = {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "api_version": self.api_version,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "http_client": self._http_client,
        }
        return type(self)(**settings | changes | {"default_headers": default_headers})

    @staticmethod
    def _sandbox_http_client(sandbox: Sandbox) -> _HttpClient:
        raise NotImplementedError

    def _request(self, call: Call) -> Any:
        raise NotImplementedError

    def _request_parsed(self, call: Call) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(api_key={mask_key(self.api_key)!r}, "
            f"base_url={self._redact(self.base_url)!r}, api_version={self.api_version!r}, "
            f"max_retries={self.max_retries})"
        )

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, mask_key(self.api_key))
        if self._userinfo:
            text = text.replace(f"{self._userinfo}@", f"{mask_key(self._userinfo)}@")
        return text

    def _build_request(self, call: Call) -> httpx2.Request:
        # Insertion order is the reference's order, which to_curl() preserves.
        headers = {"Authorization": self._authorization}
        content = call.content()
        if content is not None:
            headers["Content-Type"] = "application/json"
        if call.idempotency_key is not None:
            headers["Idempotency-Key"] = call.idempotency_key
        api_version = call.api_version or self.api_version
        if api_version:
            headers["X-API-Version"] = api_version
        headers["User-Agent"] = USER_AGENT
        if self.default_headers:
            merge_headers(headers, self.default_headers)
        if call.extra_headers:
            merge_headers(headers, call.extra_headers)
        return self._http_client.build_request(
            call.method,
            _parse_url(self.base_url + call.path),
            params=call.extra_query,
            content=content,
            headers=headers,
            timeout=self.timeout if call.timeout is None else call.timeout,
        )

    def _max_retries(self, call: Call) -> int:
        return self.max_retries if call.max_retries is None else call.max_retries

    def _after_error(
        self, request: httpx2.Request, exc: httpx2.TransportError, retries: int, max_retries: int
    ) -> float:
        """Log a failed attempt, and return the seconds to sleep before the next, or raise."""
        delay = retry_delay(retries, max_retries, None)
        pause = self._attempted(request, type(exc).__name__, None, retries, max_retries, delay)
        if pause is not None:
            return pause
        if isinstance(exc, httpx2.TimeoutException):
            error: type[APIConnectionError] = APITimeoutError
            text = f"{request.method} {request.url} timed out ({exc!r})"
        else:
            error, text = (
                APIConnectionError,
                f"{request.method} {request.url}: no response ({exc!r})",
            )
        raise error(self._redact(text), request=request) from exc

    def _after_response(
        self, response: httpx2.Response, retries: int, max_retries: int
    ) -> float | None:
        """Log an attempt's response, and return the seconds to sleep before retrying, or None."""
        delay = None if response.is_success else retry_delay(retries, max_retries, response)
        return self._attempted(
            response.request,
            str(response.status_code),
            response.headers.get("request-id"),
            retries,
            max_retries,
            delay,
        )

    def _finish(self, response: httpx2.Response, retries: int) -> APIResponse:
        """The final response: wrapped when 2xx, else its typed error."""
        if response.is_success:
            return APIResponse(response, retries_taken=retries)
        raise make_status_error(response, redact=self._redact)

    def _attempted(
        self,
        request: httpx2.Request,
        outcome: str,
        request_id: str | None,
        retries: int,
        max_retries: int,
        delay: float | None,
    ) -> float | None:
        """Log one attempt; with a ``delay``, the sleep before the retry (see ``testing``)."""
        # Never the headers: the Authorization header cannot leak through a log handler.
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %s (request_id=%s, idempotency_key=%s, retry %d of %d)%s",
                request.method,
                self._redact(str(request.url)),
                outcome,
                request_id,
                request.headers.get("idempotency-key"),
                retries,
                max_retries,
                "" if delay is None else f"; retrying in {delay:.2f}s",
            )
        if delay is None:
            return None
        key = request.headers.get("idempotency-key")
        return retry_pause(RetryRecord(retries + 1, delay, outcome, key))
