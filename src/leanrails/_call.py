"""One logical API call, as a resource method describes it to the client.

Every attempt of a call sends the same request, so it carries one idempotency key for all
its retries. ``RequestOptions`` are the per-call settings each method accepts; a new one
(a header, a query parameter) is added here and in ``BaseClient._build_request``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

import httpx2
from pydantic_core import to_json

from ._params import ValidationError, check_body_size

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
            raise ValueError(f"max_retries must be 0 or more, got {self.max_retries}")
        check_api_version(self.api_version)
        if self.extra_body is not None and not isinstance(self.extra_body, Mapping):
            raise TypeError(
                "extra_body must be a mapping of top-level body parameters, got "
                f"{type(self.extra_body).__name__}"
            )

    def content(self) -> bytes | None:
        """The body sent: the validated one, with ``extra_body`` merged in at the top level.

        A body over the API's size limit raises the ``ValidationError`` the API would answer.
        """
        content = self.body
        if self.extra_body:
            body = {} if self.body is None else json.loads(self.body)
            content = to_json({**body, **self.extra_body})
        if content is not None:
            check_body_size(len(content))
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


def merge_headers(headers: dict[str, str], extra: Headers) -> None:
    """Add ``extra`` to ``headers``, each replacing any header of the same name in any case."""
    for name, value in extra.items():
        lowered = name.lower()
        for existing in [key for key in headers if key.lower() == lowered]:
            del headers[existing]
        headers[name] = value
