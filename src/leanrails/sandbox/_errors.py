"""Errors the sandbox answers with, in the kit's Stripe-style error body.

Every error the engine returns is raised inside it as :class:`SandboxError` and rendered
once, so each one has the same shape::

    {"error": {"type": ..., "code": ..., "message": ..., "param": ...}}

``param`` is in the API's path form (``line_items[0].price_data.currency``) or ``null``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .._params import api_path, error_code

ErrorType = Literal[
    "invalid_request_error",
    "authentication_error",
    "permission_error",
    "idempotency_error",
    "rate_limit_error",
    "api_error",
]


class SandboxError(Exception):
    """An error response: the HTTP status and the four fields of the error body."""

    def __init__(
        self,
        status: int,
        type: ErrorType,
        code: str | None,
        message: str,
        param: str | None = None,
        *,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        self.headers = headers

    def body(self) -> dict[str, dict[str, str | None]]:
        return {
            "error": {
                "type": self.type,
                "code": self.code,
                "message": self.message,
                "param": self.param,
            }
        }


def invalid(
    message: str, *, param: str | None = None, code: str = "parameter_invalid"
) -> SandboxError:
    """A 400 ``invalid_request_error``."""
    return SandboxError(400, "invalid_request_error", code, message, param)


def not_found(message: str, *, param: str | None = None) -> SandboxError:
    """A 404: ``invalid_request_error`` with code ``resource_missing`` (Stripe's convention)."""
    return SandboxError(404, "invalid_request_error", "resource_missing", message, param)


def injected(status: int, retry_after: int | None) -> SandboxError:
    """The error of a fault injected with ``fail_next``."""
    headers: tuple[tuple[str, str], ...] = ()
    if retry_after is not None:
        headers = (("Retry-After", str(retry_after)),)
    if status == 429:
        return SandboxError(
            429,
            "rate_limit_error",
            "rate_limited",
            "Too many requests (a fault injected into the sandbox).",
            headers=headers,
        )
    if status == 409:
        return SandboxError(
            409,
            "idempotency_error",
            "idempotency_key_in_use",
            "A request with this Idempotency-Key is in flight (a fault injected into the sandbox).",
            headers=headers,
        )
    if status >= 500:
        return SandboxError(
            status,
            "api_error",
            "injected_fault",
            f"The sandbox failed this request with HTTP {status}, as a fault injected for testing.",
            headers=headers,
        )
    if status == 401:
        return SandboxError(
            401,
            "authentication_error",
            "injected_fault",
            "Injected authentication failure.",
            headers=headers,
        )
    if status == 403:
        return SandboxError(
            403,
            "permission_error",
            "injected_fault",
            "Injected permission failure: the key may not do this.",
            headers=headers,
        )
    return SandboxError(
        status,
        "invalid_request_error",
        "injected_fault",
        f"The sandbox failed this request with HTTP {status}, as a fault injected for testing.",
        headers=headers,
    )


def from_validation_error(exc: ValidationError) -> SandboxError:
    """The 400 for a request body that breaks a rule of the request models.

    The first real error decides ``param`` and ``code``; the message names the param and
    counts the others.
    """
    errors: list[ErrorDetails] = exc.errors()
    first = errors[0]
    msg = first["msg"].rstrip(".")
    loc = first["loc"]
    param = api_path(loc) or None
    code = error_code(first["type"])
    if first["type"] == "json_invalid":
        return invalid(f"The body is not valid JSON: {msg}.", code="json_invalid")
    if first["type"] == "missing":
        text = f"Missing required param: {param}."
    elif first["type"] == "extra_forbidden":
        text = f"Received unknown parameter: {param}."
        suggestion = (first.get("ctx") or {}).get("suggestion")
        if suggestion:
            text += f" Did you mean {suggestion}?"
    elif param is None:
        text = f"Invalid request body: {msg}."
    else:
        text = f"Invalid {param}: {msg}."
    others = len(errors) - 1
    if others:
        text += f" ({others} more {'error' if others == 1 else 'errors'} in this request.)"
    return invalid(text, param=param, code=code)
