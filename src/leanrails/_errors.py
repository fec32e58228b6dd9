"""Errors raised by the LeanRails clients (the openai-python shape).

The hierarchy::

    LeanRailsError                      everything this package raises on purpose
    ├── ConfigurationError              a setting the client cannot use (also a ValueError)
    ├── UsageError                      a call of the wrong shape (also a TypeError)
    ├── ValidationError                 a request refused before sending (pydantic's, and a
    │                                   ValueError; defined with the request models)
    └── APIError                        about one request: request, body, message, type,
        │                               code, param, request_id
        ├── APIConnectionError          no HTTP response: connect, read or protocol failure
        │   └── APITimeoutError         the request timed out
        ├── APIStatusError              a non-2xx response; fields from {"error": {...}}
        │   ├── InvalidRequestError     400
        │   ├── AuthenticationError     401
        │   ├── PermissionDeniedError   403
        │   ├── NotFoundError           404
        │   ├── IdempotencyError        409, or any status with error.type "idempotency_error"
        │   ├── RateLimitError          429
        │   └── APIServerError          5xx
        ├── APIResponseValidationError  a 2xx body that is not a CheckoutSession
        └── APIResponseTooLargeError    a response over max_response_bytes (not read further)

``APIStatusError`` and ``APIResponseValidationError`` also carry the ``response`` and its
``status_code``. Every ``APIError`` pickles with its fields (``__cause__`` and the traceback
stay behind, as for any exception), so it can cross a process pool.

Mistakes caught before anything is sent are the caller's to fix, not the API's to report:
``leanrails.ValidationError`` (pydantic's, with the ``param`` and ``code`` the API would
answer) for the request body, ``extra_body``, an Idempotency-Key, a session id or a body
over 1 MiB; ``UsageError`` for a wrong call shape. Both are ``LeanRailsError``s, and
still the ``ValueError`` and ``TypeError`` they were.

No form of an error holds the API key or another credential: the client builds every
``APIError`` from a redacted copy of the request and response (``_secrets.py``), so its
text, ``body``, ``request``, ``response`` and pickle are all masked, in case a proxy or a
hostile server echoes the Authorization header back. Nor does any of its text hold a
server's control characters: ``str``, ``message``, ``type``, ``code``, ``param`` and
``request_id`` pass through :func:`inert`, so no ANSI escape, OSC 8 link or bidi override
reaches a terminal or a log (``body`` keeps the JSON as the server sent it).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from typing import Any

import httpx2

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseTooLargeError",
    "APIResponseValidationError",
    "APIServerError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "ConfigurationError",
    "IdempotencyError",
    "InvalidRequestError",
    "LeanRailsError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UsageError",
    "make_status_error",
]

_SNIPPET_CHARS = 200


class LeanRailsError(Exception):
    """The base of every error this package raises on purpose: ``except LeanRailsError``
    catches them all, validation included."""


class ConfigurationError(LeanRailsError, ValueError):
    """A client setting the client cannot use: a key that is not one key, a ``base_url``
    that is not an absolute http(s) URL or that carries credentials, a negative retry count."""


class UsageError(LeanRailsError, TypeError):
    """A call of the wrong shape, such as an argument of the wrong type: a bug to fix in the
    calling code."""


class APIError(LeanRailsError):
    """An error about one request.

    ``str(error)`` is the full text; ``message`` is the API's own ``error.message`` when it
    sent one. ``body`` is the decoded JSON (or the text when it is not JSON; None without a
    response). ``type``, ``code`` and ``param`` come from the API's ``{"error": {...}}``;
    ``request_id`` is the ``Request-Id`` header: quote it when asking for support.
    """

    response: httpx2.Response | None
    status_code: int | None

    def __init__(
        self,
        text: str,
        *,
        request: httpx2.Request,
        response: httpx2.Response | None = None,
        body: object = None,
        message: str | None = None,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(text)
        self.request = request
        self.response = response
        self.status_code = None if response is None else response.status_code
        self.request_id: str | None = (
            None if response is None else _str_or_none(response.headers.get("request-id"))
        )
        self.body = body
        self.message = text if message is None else message
        self.type = type
        self.code = code
        self.param = param

    def __reduce__(self) -> tuple[Any, ...]:
        # The default calls cls(*args), which misses the keyword-only fields.
        return (_unpickle, (type(self), self.args), self.__dict__)


def _unpickle(cls: type[APIError], args: tuple[object, ...]) -> APIError:
    return cls.__new__(cls, *args)  # the fields arrive next, as the pickled state


class APIConnectionError(APIError):
    """No HTTP response arrived (after any retries); ``__cause__`` is the httpx2 error."""


class APITimeoutError(APIConnectionError):
    """The request timed out (after any retries)."""


class APIStatusError(APIError):
    """The API answered with a non-2xx status; ``str(error)`` adds status, type, code, param
    and request id to the API's message."""

    response: httpx2.Response
    status_code: int

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """In Jupyter, a table of what the server said (``_display`` loads then)."""
        from ._display import bundle

        return bundle(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # IPython's printer for exceptions would replace the bundle's plain text.
        from ._display import api_error_text

        printer.text(api_error_text(self))


class InvalidRequestError(APIStatusError):
    """400: the API rejected the request; ``param`` names the field in API path form."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, malformed or unknown."""


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but may not do this."""


class NotFoundError(APIStatusError):
    """404: no such resource, for example an unknown session id."""


class IdempotencyError(APIStatusError):
    """409 (the key's first request is still in flight), or a key reused with another body."""


class RateLimitError(APIStatusError):
    """429: too many requests."""


class APIServerError(APIStatusError):
    """5xx: the API failed; safe to retry with the same idempotency key."""


class APIResponseValidationError(APIError):
    """A 2xx response whose body is not a valid CheckoutSession; ``__cause__`` says why."""

    response: httpx2.Response
    status_code: int


class APIResponseTooLargeError(APIError):
    """A response larger than the client's ``max_response_bytes``: reading stopped there, so
    a server can never make the client hold more. Not retried."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: IdempotencyError,
    429: RateLimitError,
}


def decode_body(response: httpx2.Response) -> object:
    """The body as JSON when it is JSON, else as text (never raises, even for JSON nested
    deeper than Python's recursion limit)."""
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):
        return response.text


_UNPRINTABLE = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})


def inert(text: str) -> str:
    """A server's ``text`` made safe to print: each control, format (bidi), private-use or
    line-separator character becomes a space."""
    if text.isprintable():
        return text
    return "".join(" " if unicodedata.category(c) in _UNPRINTABLE else c for c in text)


def _str_or_none(value: object) -> str | None:
    return inert(value) if isinstance(value, str) and value else None


def status_error_class(status: int, error_type: str | None) -> type[APIStatusError]:
    """The one place that picks the class for a non-2xx response."""
    if error_type == "idempotency_error":
        return IdempotencyError
    if status >= 500:
        return APIServerError
    return _BY_STATUS.get(status, APIStatusError)


def _describe(body: object) -> str:
    """A message for a body without ``error.message``: a proxy's HTML, other JSON, nothing."""
    if not isinstance(body, str):
        return "no error message in the body"
    snippet = " ".join(body.split())
    if len(snippet) > _SNIPPET_CHARS:
        snippet = snippet[:_SNIPPET_CHARS] + "…"
    return f"non-JSON body: {snippet}" if snippet else "empty body"


def make_status_error(
    response: httpx2.Response, *, redact: Callable[[str], str] = str
) -> APIStatusError:
    """A non-2xx response as its typed error, whatever the body.

    Tolerates ``{"error": {...}}`` with some fields missing, other JSON, HTML from a proxy,
    or nothing at all. ``redact`` scrubs secrets from everything that reaches the exception
    text.
    """
    body = decode_body(response)
    error: dict[str, Any] = {}
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
    fields = {name: _str_or_none(error.get(name)) for name in ("type", "code", "param")}
    message = redact(_str_or_none(error.get("message")) or inert(_describe(body)))
    details = {**fields, "request_id": _str_or_none(response.headers.get("request-id"))}
    text = inert(f"{response.status_code} {response.reason_phrase}: {message}")
    if any(details.values()):
        text += " (" + ", ".join(f"{k}={v}" for k, v in details.items() if v) + ")"
    cls = status_error_class(response.status_code, fields["type"])
    return cls(
        redact(text),
        request=response.request,
        response=response,
        body=body,
        message=message,
        **fields,
    )
