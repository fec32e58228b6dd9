"""Request checks, before any model sees a body: its size, its content type, its JSON.

The API and the hosted page's form share the size and content-type rule: a body larger
than :data:`MAX_BODY_BYTES` (1 MiB) is refused, and so is a non-empty body of another
media type than the route reads. An empty body passes; each route decides what it means.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ValidationError

from ._errors import from_validation_error, invalid
from ._wire import MAX_BODY_BYTES, SandboxRequest

JSON: Final = "application/json"
FORM: Final = "application/x-www-form-urlencoded"
_KINDS: Final = {JSON: "JSON", FORM: "form fields"}

M = TypeVar("M", bound=BaseModel)


def media_type(request: SandboxRequest) -> str:
    """The request's media type, lower-case and without parameters (``""`` when none)."""
    return (request.header("content-type") or "").split(";")[0].strip().lower()


def checked_body(request: SandboxRequest, media: str) -> bytes:
    """The body, refused (400) when too large or, if not empty, of another media type."""
    if request.body_truncated or len(request.body) > MAX_BODY_BYTES:
        raise invalid(
            f"The request body is larger than {MAX_BODY_BYTES} bytes (1 MiB).",
            code="body_too_large",
        )
    if request.body:
        sent = media_type(request)
        if sent != media:
            shown = sent or "none"
            raise invalid(
                f"Unsupported Content-Type ({shown[:100]}): send the body as {_KINDS[media]}, "
                f"with Content-Type: {media}.",
                code="content_type_invalid",
            )
    return request.body


def read_params(
    model: type[M], body: bytes, *, required: bool = False, context: Mapping[str, Any] | None = None
) -> M:
    """``body`` as ``model``, or the model's defaults when the body is empty and optional.

    The body must be one JSON object: anything else is refused with a message that says
    what it is, before the model's own (stricter, field by field) errors.
    """
    if not body and not required:
        return model()
    try:
        return model.model_validate_json(body, context=context)
    except ValidationError as exc:
        # Parsed a second time only when refused, so a valid body is parsed once.
        _require_json_object(body)
        raise from_validation_error(exc) from None


def _require_json_object(body: bytes) -> None:
    if not body:
        raise invalid(
            "The request body is empty: send the parameters as a JSON object.",
            code="body_missing",
        )
    try:
        # Integers kept as text: their size is the models' to judge, not int()'s digit limit.
        value = json.loads(body.decode("utf-8"), parse_int=str)
    except UnicodeDecodeError:
        raise invalid("The request body is not UTF-8 encoded JSON.", code="json_invalid") from None
    except (ValueError, RecursionError) as exc:
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise invalid(
            f"The request body is not valid JSON: {detail}.", code="json_invalid"
        ) from None
    if not isinstance(value, dict):
        raise invalid(
            f"The request body must be a JSON object, not {_json_kind(value)}.",
            code="body_not_object",
        )


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"
