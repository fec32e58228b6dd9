"""Errors raised by the LeanRails clients.

The hierarchy::

    LeanRailsError                  everything the client raises about the API (and a missing key)
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
    └── APIResponseValidationError  a 2xx body that is not a CheckoutSession

Mistakes caught before anything is sent are ``ValueError``s instead: pydantic's
``ValidationError`` for the request body, a plain ``ValueError`` for an idempotency key or a
session id, and ``TypeError`` for a wrong call shape. They are the caller's to fix, not the
API's to report.

Exception text never contains the API key: every message built from a response is passed
through the client's redaction, in case a proxy echoes the Authorization header back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIServerError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "IdempotencyError",
    "InvalidRequestError",
    "LeanRailsError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "make_status_error",
]

_SNIPPET_CHARS = 200


class LeanRailsError(Exception):
    """The base of every error this package raises about the API or its configuration."""


class APIConnectionError(LeanRailsError):
    """No HTTP response arrived (after any retries); ``__cause__`` is the httpx2 error."""

    def __init__(self, message: str, *, request: httpx2.Request) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request timed out (after any retries)."""


class APIStatusError(LeanRailsError):
    """The API answered with a non-2xx status.

    ``message`` is the API's own ``error.message`` (or a description of the body when it
    has none); ``str(error)`` adds the status, type, code, param and request id. ``body`` is
    the decoded JSON, or the text when the body is not JSON.
    """

    def __init__(
        self,
        text: str,
        *,
        response: httpx2.Response,
        body: object,
        message: str,
        type: str | None,
        code: str | None,
        param: str | None,
    ) -> None:
        super().__init__(text)
        self.response = response
        self.request = response.request
        self.status_code = response.status_code
        self.request_id: str | None = response.headers.get("request-id")
        self.body = body
        self.message = message
        self.type = type
        self.code = code
        self.param = param


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


class APIResponseValidationError(LeanRailsError):
    """A 2xx response whose body is not a valid CheckoutSession; ``__cause__`` says why."""

    def __init__(self, message: str, *, response: httpx2.Response, body: object) -> None:
        super().__init__(message)
        self.response = response
        self.request = response.request
        self.status_code = response.status_code
        self.request_id: str | None = response.headers.get("request-id")
        self.body = body


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: IdempotencyError,
    429: RateLimitError,
}


def decode_body(response: httpx2.Response) -> object:
    """The body as JSON when it is JSON, else as text (never raises)."""
    try:
        return json.loads(response.content)
    except ValueError:
        return response.text


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def make_status_error(
    response: httpx2.Response, *, redact: Callable[[str], str] = str
) -> APIStatusError:
    """The one place that turns a non-2xx response into the right typed error.

    Tolerates any body: ``{"error": {...}}`` with some fields missing, other JSON, HTML from
    a proxy, or nothing at all. ``redact`` scrubs secrets from everything that reaches the
    exception text.
    """
    body = decode_body(response)
    error: dict[str, Any] = {}
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
    type_ = _str_or_none(error.get("type"))
    code = _str_or_none(error.get("code"))
    param = _str_or_none(error.get("param"))
    message = _str_or_none(error.get("message"))
    if message is None:
        if isinstance(body, str):
            snippet = " ".join(body.split())
            if len(snippet) > _SNIPPET_CHARS:
                snippet = snippet[:_SNIPPET_CHARS] + "…"
            message = f"non-JSON body: {snippet}" if snippet else "empty body"
        else:
            message = "no error message in the body"
    message = redact(message)

    status = response.status_code
    if type_ == "idempotency_error":
        cls: type[APIStatusError] = IdempotencyError
    elif status >= 500:
        cls = APIServerError
    else:
        cls = _BY_STATUS.get(status, APIStatusError)

    details = {
        "type": type_,
        "code": code,
        "param": param,
        "request_id": response.headers.get("request-id"),
    }
    text = f"{status} {response.reason_phrase}: {message}"
    if any(details.values()):
        text += " (" + ", ".join(f"{k}={v}" for k, v in details.items() if v) + ")"
    return cls(
        redact(text),
        response=response,
        body=body,
        message=message,
        type=type_,
        code=code,
        param=param,
    )
