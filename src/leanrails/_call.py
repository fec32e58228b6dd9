"""One logical API call, as a resource method describes it to the client.

Every attempt of a call sends the same request, so it carries one idempotency key for all
its retries. ``RequestOptions`` are the per-call settings each method accepts; a new one
(a header, a query parameter) is added here and in ``BaseClient._build_request``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

import httpx2
from pydantic_core import PydanticSerializationError, to_json

from ._errors import ConfigurationError, UsageError
from ._params import ValidationError
from ._rules import MAX_IDEMPOTENCY_KEY_LENGTH, idempotency_key_fault, is_header_text
from ._secrets import MASK, is_credential_header

TimeoutTypes = float | httpx2.Timeout | None
Headers = Mapping[str, str]
Query = Mapping[str, str | int | float | bool]
Body = Mapping[str, object]


class RequestOptions(TypedDict, total=False):
    """Per-call settings every method takes; each overrides the client's for that call.

    The ``extra_*`` options are the escape hatch for what the kit does not know yet (a
    parameter or a header a newer API version added): they are sent as given, unvalidated,
    and the request shows them (``build``, ``to_curl``). ``extra_body``'s keys are merged
    into the body's top level, replacing a validated key of the same name.
    """

    api_version: str | None
    timeout: TimeoutTypes
    max_retries: int | None
    extra_headers: Headers | None
    extra_query: Query | None
    extra_body: Body | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """One logical API call, validated: what a resource method hands to the client."""

    method: str
    path: str
    body: bytes | None = None
    idempotency_key: str | None = None
    api_version: str | None = None
    timeout: TimeoutTypes = None
    max_retries: int | None = None
    extra_headers: Headers | None = None
    extra_query: Query | None = None
    extra_body: Body | None = None

    def __post_init__(self) -> None:
        if self.max_retries is not None and self.max_retries < 0:
            raise ConfigurationError(f"max_retries must be 0 or more, got {self.max_retries}")
        check_api_version(self.api_version)
        if self.extra_body is not None and not isinstance(self.extra_body, Mapping):
            raise UsageError(
                "extra_body must be a mapping of top-level body parameters, got "
                f"{type(self.extra_body).__name__}"
            )
        if self.extra_headers:
            check_headers(self.extra_headers, "extra_headers")

    def content(self) -> bytes | None:
        """The body sent: the validated one, with ``extra_body`` merged in at the top level."""
        content = self.body
        if self.extra_body:
            body = {} if self.body is None else json.loads(self.body)
            content = _extra_body_json({**body, **self.extra_body}, self.extra_body)
        return content


def check_api_version(version: str | None) -> None:
    # Checked here, not by httpx2 at send time, so the error names the argument.
    if version is not None and not (version and version.isascii() and version.isprintable()):
        raise ValidationError.one(
            "X-API-Version",
            "X-API-Version",
            "api_version",
            "api_version must be printable ASCII, such as '2026-11-01'; it is sent as the "
            "X-API-Version header",
            version,
        )


def _non_finite(value: object, path: str) -> str | None:
    """The path of the first NaN or infinity in ``value``, which JSON cannot carry."""
    if isinstance(value, float):
        return None if math.isfinite(value) else path
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)  # type: ignore[assignment]
    else:
        return None
    for key, item in items:
        where = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"
        found = _non_finite(item, where)
        if found is not None:
            return found
    return None


def _extra_body_json(body: Mapping[str, object], extra: Mapping[str, object]) -> bytes:
    """``body`` as JSON, or the ``ValidationError`` naming the ``extra_body`` key at fault."""
    for key, value in extra.items():
        path = _non_finite(value, str(key))
        if path is not None:
            raise ValidationError.one(
                "extra_body",
                path,
                "parameter_invalid",
                f"extra_body: {path} is not a JSON number (NaN and infinities are not JSON)",
                value,
            )
    try:
        return to_json(body)
    except PydanticSerializationError:
        pass
    for key, value in extra.items():
        try:
            to_json(value)
        except PydanticSerializationError as exc:
            raise ValidationError.one(
                "extra_body",
                str(key),
                "parameter_invalid",
                f"extra_body: {key} cannot be sent as JSON ({exc}); give JSON values: "
                "dicts, lists, strings, numbers, booleans or None",
                repr(value)[:120],
            ) from None
    raise UsageError("extra_body's keys must be strings")


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def check_idempotency_key(key: str) -> None:
    """Refuse a key as the API would (param ``Idempotency-Key``, ``parameter_invalid``)."""
    fault = idempotency_key_fault(key)
    if fault == "length":
        problem = (
            f"must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters, got {len(key)}; leave it "
            "out and the client generates one"
        )
    elif fault == "characters":
        problem = "must be printable ASCII, as it is sent as a header"
    elif fault == "whitespace":
        problem = "must not start or end with a space, which an HTTP server would trim"
    else:
        return
    raise ValidationError.one(
        "Idempotency-Key",
        "Idempotency-Key",
        "idempotency_key",
        f"idempotency_key (the Idempotency-Key header) {problem}",
        key,
    )


def check_headers(headers: Headers, source: str) -> None:
    """Refuse, before sending, a header that HTTP cannot carry as written (``source`` names
    the argument): a name that is not a token, a value with control or non-ASCII characters,
    or with a space first or last, which a server would trim."""
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise UsageError(f"{source} maps header names to strings, got {name!r}: {value!r}")
        if name.lower() == "idempotency-key":
            check_idempotency_key(value)
            continue
        if _TOKEN.fullmatch(name) is None:
            problem = "is not a header name (letters, digits and !#$%&'*+-.^_`|~)"
        elif not is_header_text(value) or value != value.strip():
            problem = "must be printable ASCII with no space first or last"
        else:
            continue
        shown = MASK if is_credential_header(name) else value[:120]
        raise ValidationError.one(
            source, name, "parameter_invalid", f"{source}: {name} {problem}", shown
        )


def merge_headers(headers: dict[str, str], extra: Headers) -> None:
    """Add ``extra`` to ``headers``, each replacing any header of the same name in any case."""
    for name, value in extra.items():
        lowered = name.lower()
        for existing in [key for key in headers if key.lower() == lowered]:
            del headers[existing]
        headers[name] = value
