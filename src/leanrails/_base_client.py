"""BaseClient: everything a client does except I/O, shared by LeanRails and AsyncLeanRails.

Configuration, request building, retry decisions, logging and the mapping of responses to
models and errors live here once; ``_client.py`` adds only the loops that send and sleep.
A resource method describes one logical call as a ``Call``; the client turns it into one
``httpx2.Request`` that every attempt sends unchanged (so every retry carries the same
idempotency key).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, Self, TypedDict, TypeVar, Unpack
from urllib.parse import urlsplit

import httpx2

from ._call import Call, TimeoutTypes, check_api_version, check_headers, merge_headers
from ._errors import (
    APIConnectionError,
    APIResponseTooLargeError,
    APITimeoutError,
    ConfigurationError,
    LeanRailsError,
    UsageError,
    inert,
    make_status_error,
)
from ._limits import DEFAULT_MAX_RESPONSE_BYTES
from ._params import ValidationError
from ._resources import CheckoutSessions, Helpers
from ._response import APIResponse
from ._retry import retry_delay
from ._secrets import MASK, Secrets, basic_token, mask_key, proxy_credentials
from ._testing import RetryRecord, retry_pause
from ._version import __version__

if TYPE_CHECKING:
    from .sandbox import Sandbox

logger = logging.getLogger("leanrails")

DEFAULT_BASE_URL = "https://api.leanrails.com"
DEFAULT_TIMEOUT = httpx2.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
USER_AGENT = f"leanrails-python/{__version__} httpx2/{httpx2.__version__}"

_AUTHORIZATION_AUTHS = (httpx2.BasicAuth, httpx2.DigestAuth, httpx2.NetRCAuth)
"""An http_client's auth that writes the Authorization header, where the API key goes."""

_HttpClient = TypeVar("_HttpClient", httpx2.Client, httpx2.AsyncClient)


@functools.lru_cache(maxsize=256)
def _parse_url(url: str) -> httpx2.URL:
    """Parsed once per URL: parsing (IDNA checks included) was a third of a create's cost."""
    return httpx2.URL(url)


_AUTO_HEADERS = frozenset((b"host", b"content-length", b"transfer-encoding"))


def http_request(
    http_client: httpx2.Client | httpx2.AsyncClient,
    method: str,
    url: httpx2.URL,
    headers: dict[str, str],
    content: bytes | None,
    timeout: httpx2.Timeout,
    params: Any = None,
) -> httpx2.Request:
    """The request ``http_client.build_request`` would build, for an absolute ``url``.

    A create's common case (a body; no query, cookie, or Host or length header anywhere)
    is assembled in one pass: ``build_request`` copies and merges ``Headers`` five times,
    which was most of what a create cost beyond the bare call. Anything else goes through
    ``build_request`` itself; a test compares the two.
    """
    client_headers = http_client.headers.raw
    lowered = {name.lower().encode("ascii") for name in headers}
    if (
        not content
        or params
        or http_client.params
        or http_client.cookies
        or not lowered.isdisjoint(_AUTO_HEADERS)
        or any(name.lower() in _AUTO_HEADERS for name, _ in client_headers)
    ):
        return http_client.build_request(
            method, url, params=params, content=content, headers=headers, timeout=timeout
        )
    raw = [(b"Host", url.netloc)]
    raw += [item for item in client_headers if item[0].lower() not in lowered]
    raw += [(name.encode("ascii"), value.encode("ascii")) for name, value in headers.items()]
    raw.append((b"Content-Length", str(len(content)).encode("ascii")))
    request = httpx2.Request(
        method,
        url,
        headers=raw,
        stream=httpx2.ByteStream(content),
        extensions={"timeout": timeout.as_dict()},
    )
    request.read()
    return request


class ClientOptions(TypedDict, Generic[_HttpClient], total=False):
    """The settings ``with_options`` can change: the constructor's arguments."""

    api_key: str
    base_url: str
    api_version: str | None
    timeout: TimeoutTypes
    max_retries: int
    max_response_bytes: int
    http_client: _HttpClient
    strict: bool
    default_headers: Mapping[str, str] | None


def _check_api_key(api_key: object) -> str:
    """The key, if it is one key: what the Basic header's username can carry whole."""
    if not isinstance(api_key, str):
        raise ConfigurationError(f"api_key must be a string, got {type(api_key).__name__}")
    if not (api_key.isascii() and api_key.isprintable()) or any(c in api_key for c in " :"):
        raise ConfigurationError(
            f"api_key ({mask_key(api_key)}, {len(api_key)} characters) is not one API key: a "
            "key is printable ASCII with no space or ':'. It is the only credential the "
            "client sends; give a gateway's own credentials in default_headers"
        )
    return api_key


def _check_base_url(base_url: str) -> None:
    """An absolute http(s) URL, with no credentials: those would replace the API key."""
    parts = urlsplit(base_url)
    host = parts.netloc.rpartition("@")[2]
    if parts.scheme not in ("http", "https") or not host:
        shown = MASK if "@" in base_url else base_url
        raise ConfigurationError(f"base_url must be an absolute http(s) URL, got {shown!r}")
    try:
        userinfo = _parse_url(base_url).userinfo
    except httpx2.InvalidURL as exc:
        raise ConfigurationError(f"base_url {parts.scheme}://{host} is not a URL: {exc}") from None
    if "@" in parts.netloc or userinfo:
        raise ConfigurationError(
            f"base_url must not carry credentials ({parts.scheme}://{MASK}@{host}): httpx2 "
            "would send them as the Authorization header, in place of the API key, which is "
            "the only credential the client sends there. To reach the API through a gateway "
            "that wants credentials of its own, send them in another header: "
            "default_headers={'Proxy-Authorization': ...} (or the gateway's own header), or "
            "an http_client whose auth adds that header"
        )


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
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        default_headers: Mapping[str, str] | None = None,
        strict: bool = False,
    ) -> None:
        if api_key is None:
            api_key = os.environ.get("LEANRAILS_API_KEY")
        if not api_key:  # a LeanRailsError as such: guide 02 shows it by that name
            raise LeanRailsError(
                "no API key: pass api_key=... or set the LEANRAILS_API_KEY environment "
                f"variable. To try the kit without an account, use {type(self).__name__}"
                ".sandbox(), which needs no key and no network."
            )
        api_key = _check_api_key(api_key)
        base_url = base_url or os.environ.get("LEANRAILS_BASE_URL") or DEFAULT_BASE_URL
        _check_base_url(base_url)
        if max_retries < 0:
            raise ConfigurationError(f"max_retries must be 0 or more, got {max_retries}")
        if max_response_bytes < 1:
            raise ConfigurationError(
                f"max_response_bytes must be 1 or more, got {max_response_bytes}"
            )
        check_api_version(api_version)
        if http_client is not None and not isinstance(http_client, self._http_client_type):
            raise UsageError(
                f"http_client must be an httpx2.{self._http_client_type.__name__}, got "
                f"{type(http_client).__name__}"
            )
        if http_client is not None and isinstance(http_client.auth, _AUTHORIZATION_AUTHS):
            raise ConfigurationError(
                f"http_client's auth ({type(http_client.auth).__name__}) sets the Authorization "
                "header, which carries the API key, and would replace it; a gateway's "
                "credentials go in a header of their own (default_headers)"
            )
        check_headers(default_headers or {}, "default_headers")
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_response_bytes = max_response_bytes
        self.default_headers = dict(default_headers or {})
        # True: a kit convention is refused before sending (ConventionWarning otherwise).
        self.strict = strict
        self._owns_http_client = http_client is None
        self._http_client: _HttpClient = (
            self._new_http_client(timeout) if http_client is None else http_client
        )
        self._authorization = f"Basic {basic_token(api_key)}"
        self._secrets = Secrets(api_key, proxy_credentials(self._http_client)).with_headers(
            self.default_headers
        )
        self.checkout_sessions = CheckoutSessions(
            self._request_parsed, self._request, self._build_request, strict=strict
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

        ``strict`` defaults to True here: the sandbox refuses the kit's conventions, so the
        client refuses them first, with the sandbox's ``param`` and ``code`` (a live client
        warns and sends instead; docs/conventions.md).
        """
        from .sandbox import IN_PROCESS_BASE_URL, TEST_API_KEY, Sandbox, serve_sandbox

        kwargs.setdefault("api_key", TEST_API_KEY)
        # The sandbox refuses the kit's conventions: strict refuses them first, offline.
        kwargs.setdefault("strict", True)
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
            "max_response_bytes": self.max_response_bytes,
            "http_client": self._http_client,
            "strict": self.strict,
        }
        return type(self)(**settings | changes | {"default_headers": default_headers})

    @staticmethod
    def _sandbox_http_client(sandbox: Sandbox) -> _HttpClient:
        raise NotImplementedError

    @staticmethod
    def _new_http_client(timeout: TimeoutTypes) -> _HttpClient:
        raise NotImplementedError

    def _request(self, call: Call) -> Any:
        raise NotImplementedError

    def _request_parsed(self, call: Call) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(api_key={mask_key(self.api_key)!r}, "
            f"base_url={self._secrets.text(self.base_url)!r}, api_version={self.api_version!r}, "
            f"max_retries={self.max_retries})"
        )

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
        try:
            url = _parse_url(self.base_url + call.path)
            return http_request(
                self._http_client,
                call.method,
                url,
                headers,
                content,
                httpx2.Timeout(self.timeout if call.timeout is None else call.timeout),
                call.extra_query,
            )
        except httpx2.InvalidURL as exc:
            # A session id or extra_query too long for a URL (httpx2 takes 65,536 characters).
            length = len(self.base_url + call.path)
            raise ValidationError.one(
                "request URL",
                None,
                "parameter_invalid",
                f"the request cannot be sent: {exc} ({length:,} characters before the query); "
                "a session id or extra_query too long?",
                length,
            ) from None

    def _max_retries(self, call: Call) -> int:
        return self.max_retries if call.max_retries is None else call.max_retries

    def _after_attempt(
        self,
        request: httpx2.Request,
        outcome: httpx2.Response | httpx2.TransportError,
        retries: int,
        max_retries: int,
    ) -> APIResponse | float:
        """What follows an attempt, for both clients: the seconds to sleep before the next,
        or the call's response (its error raised)."""
        if isinstance(outcome, httpx2.TransportError):
            return self._after_error(request, outcome, retries, max_retries)
        delay = self._after_response(outcome, retries, max_retries)
        return self._finish(outcome, retries) if delay is None else delay

    def _after_error(
        self, request: httpx2.Request, exc: httpx2.TransportError, retries: int, max_retries: int
    ) -> float:
        """Log a failed attempt, and return the seconds to sleep before the next, or raise."""
        delay = retry_delay(retries, max_retries, None)
        pause = self._attempted(request, type(exc).__name__, None, retries, max_retries, delay)
        if pause is not None:
            return pause
        secrets = self._secrets.with_headers(request.headers)
        if isinstance(exc, httpx2.TimeoutException):
            error: type[APIConnectionError] = APITimeoutError
            text = f"{request.method} {request.url} timed out ({exc!r})"
        else:
            error, text = (
                APIConnectionError,
                f"{request.method} {request.url}: no response ({exc!r})",
            )
        cause: BaseException | None = exc
        if secrets.text(str(exc)) != str(exc):  # a server's bytes quoted in a protocol error
            cause = type(exc)(secrets.text(str(exc)))
        raise error(secrets.text(text), request=secrets.request(request)) from cause

    def _too_large(self, response: httpx2.Response, size: int) -> APIResponseTooLargeError:
        """A body past ``max_response_bytes``, dropped unread: its error (never retried)."""
        request = self._secrets.with_headers(response.request.headers).request(response.request)
        return APIResponseTooLargeError(
            f"{request.method} {request.url}: the {response.status_code} response is more than "
            f"max_response_bytes={self.max_response_bytes:,} bytes (read {size:,} of it), so "
            "it was dropped; raise max_response_bytes if the server is right",
            request=request,
        )

    def _after_response(
        self, response: httpx2.Response, retries: int, max_retries: int
    ) -> float | None:
        """Log an attempt's response, and return the seconds to sleep before retrying, or None."""
        delay = None if response.is_success else retry_delay(retries, max_retries, response)
        return self._attempted(
            response.request,
            str(response.status_code),
            inert(response.headers.get("request-id", "")) or None,
            retries,
            max_retries,
            delay,
        )

    def _finish(self, response: httpx2.Response, retries: int) -> APIResponse:
        """The final response: wrapped when 2xx, else its typed error."""
        if response.is_success:
            return APIResponse(response, retries_taken=retries, secrets=self._secrets)
        secrets = self._secrets.with_headers(response.request.headers)
        raise make_status_error(secrets.response(response), redact=secrets.text)

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
                self._secrets.text(str(request.url)),
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
