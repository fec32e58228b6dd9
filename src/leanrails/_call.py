"""One logical API call, as a resource method describes it to the client.

Every attempt of a call sends the same request, so it carries one idempotency key for all
its retries. ``RequestOptions`` are the per-call settings each method accepts; a new one
(a header, a query parameter) is added here and in ``BaseClient._build_request``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import httpx2

TimeoutTypes = float | httpx2.Timeout | None


class RequestOptions(TypedDict, total=False):
    """Per-call settings every method takes; each overrides the client's for that call."""

    api_version: str | None
    timeout: TimeoutTypes
    max_retries: int | None


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

    def __post_init__(self) -> None:
        if self.max_retries is not None and self.max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {self.max_retries}")
        check_api_version(self.api_version)


def check_api_version(version: str | None) -> None:
    # Checked here, not by httpx2 at send time, so the error names the argument.
    if version is not None and not (version and version.isascii() and version.isprintable()):
        raise ValueError(
            f"api_version must be printable ASCII, such as '2026-11-01', got {version!r}; "
            "it is sent as the X-API-Version header"
        )
