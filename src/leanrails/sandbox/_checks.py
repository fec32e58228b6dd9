"""Request checks, before any model sees a body: its size, its content type, its JSON.

The API and the hosted page's form share the size and content-type rule: a body larger
than :data:`MAX_BODY_BYTES` (1 MiB) is refused, and so is a non-empty body of another
media type than the route reads. An empty body passes; each route decides what it means.
A body sent with a ``Content-Encoding`` (gzip, ...) is refused with ``415``: the sandbox
reads bodies as sent, and would otherwise read compressed bytes as JSON.

A JSON body must be one object, and no object in it may repeat a key (a kit convention:
JSON parsers disagree on which copy wins, so ``{"success_url": "javascript:…",
"success_url": "https://…"}`` could be checked as one URL and used as the other).
The bodies the sandbox's own routes read are :class:`Strict` models, closed like the request
models, so a typo is a 400 naming the field rather than silently ignored.

A create's body is parsed once, by jiter (pydantic's JSON parser, which also catches a
repeated key), and its model validates the Python objects jiter reads, as its wrap validator
read a JSON body anyway; the other routes' models validate the JSON after jiter's check. What
jiter refuses goes the long way, the json module's parse then pydantic's, so each refusal
keeps its own message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, TypeVar

import jiter
from pydantic import BaseModel, ConfigDict, ValidationError

from .._conventions import faults, refusal
from .._params import CheckoutSessionCreateParams
from ._errors import SandboxError, from_validation_error, invalid
from ._wire import MAX_BODY_BYTES, SandboxRequest

JSON: Final = "application/json"
FORM: Final = "application/x-www-form-urlencoded"
_KINDS: Final = {JSON: "JSON", FORM: "form fields"}

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """A closed, strict body, like the request models."""

    # Built on first use, not at import: keeps `leanrails sandbox` quick to start.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class EmptyParams(Strict):
    """A route that takes no parameters: an empty body or ``{}``."""


def media_type(request: SandboxRequest) -> str:
    """The request's media type, lower-case and without parameters (``""`` when none)."""
    return (request.header("content-type") or "").split(";")[0].strip().lower()


def checked_body(request: SandboxRequest, media: str) -> bytes:
    """The body, refused when encoded (415), too large (400) or, if not empty, of another
    media type (400)."""
    encoding = (request.header("content-encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise SandboxError(
            415,
            "invalid_request_error",
            "content_encoding_unsupported",
            f"Unsupported Content-Encoding ({encoding[:100]}): send the body uncompressed, "
            "without a Content-Encoding header.",
        )
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

    The body must be one JSON object without a repeated key: anything else is refused
    with a message that says what it is, before the model's own (stricter, field by field)
    errors.
    """
    if not body and not required:
        return model()
    value = _parsed_object(body)
    try:
        if value is None:
            json_object(body)
        elif model in _READ_AS_PYTHON:
            return model.model_validate(value, context=context)
        return model.model_validate_json(body, context=context)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


# The models that read a JSON body as the Python objects it parses to anyway: a wrap model
# validator is handed those objects, so validating jiter's spares a second parse. The others
# validate the JSON itself (its messages and number rules differ: "Input should be an object",
# an integer past a double's range read as infinite).
_READ_AS_PYTHON: Final = frozenset({CheckoutSessionCreateParams})


def _parsed_object(body: bytes) -> dict[str, Any] | None:
    """``body`` as one JSON object without a repeated key, as the models read JSON; None
    when it is anything else (refused, or read only by the json module: a lone surrogate, an
    integer past 4,300 digits), for the long way to say what (jiter refuses a byte order
    mark too)."""
    try:
        value = jiter.from_json(
            body, allow_inf_nan=False, cache_mode="keys", catch_duplicate_keys=True
        )
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def refuse_conventions(params: CheckoutSessionCreateParams) -> None:
    """Refuse the first kit convention ``params`` breaks (400), as a Stripe-like server does;
    the client warns of the same ones (docs/conventions.md)."""
    found = faults(params)
    if found:
        raise from_validation_error(refusal(found[0]))


def json_object(body: bytes) -> dict[str, Any]:
    """``body`` as one JSON object, or the 400 that says what it is instead."""
    if not body:
        raise invalid(
            "The request body is empty: send the parameters as a JSON object.",
            code="body_missing",
        )
    try:
        text = body.decode("utf-8")
        if text.startswith("\ufeff"):  # as json.loads says it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        value = _DECODER.decode(text)
    except UnicodeDecodeError:
        raise invalid("The request body is not UTF-8 encoded JSON.", code="json_invalid") from None
    except _DuplicateKey as exc:
        raise invalid(
            f"The request body repeats the key {exc.key[:100]!r} in one object: send each "
            "key once.",
            code="duplicate_key",
        ) from None
    except (ValueError, RecursionError) as exc:
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise invalid(
            f"The request body is not valid JSON: {detail}.", code="json_invalid"
        ) from None
    if not isinstance(value, dict):
        raise invalid(
            f"The request body is not a JSON object: it is {_json_kind(value)}.",
            code="body_not_object",
        )
    return value


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return value


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value")


# One decoder for every request (json.loads with options builds one per call).
# Numbers read as floats: their size is the models' to judge, not int()'s digit limit.
_DECODER: Final = json.JSONDecoder(
    parse_int=float, parse_constant=_not_json, object_pairs_hook=_unique_keys
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
