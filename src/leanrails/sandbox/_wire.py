"""The engine's own small request and response types, independent of any transport."""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from pydantic_core import to_json

from .._rules import MAX_BODY_BYTES

if TYPE_CHECKING:  # _faults reads its HTTP body through _checks, which reads requests from here
    from ._faults import Hold

__all__ = [
    "MAX_BODY_BYTES",
    "SandboxRequest",
    "SandboxResponse",
    "SessionBody",
    "Step",
    "dump_json",
    "response",
]


@dataclass(frozen=True, slots=True)
class SandboxRequest:
    """One HTTP request, as any transport hands it to :meth:`Sandbox.handle`.

    ``headers`` are (name, value) pairs in any case; ``path`` has no query string.
    ``body_truncated`` tells the engine that a transport stopped reading the body past
    :data:`MAX_BODY_BYTES`.
    """

    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    query: str = ""
    body_truncated: bool = False
    _lower: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lower = self._lower
        for name, value in self.headers:
            lower.setdefault(name.lower(), value)  # the first of repeated headers wins

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (case-insensitive), or None. Surrounding whitespace
        is not part of a value (RFC 9110), as an HTTP server would already have trimmed it."""
        value = self._lower.get(name.lower())
        return None if value is None else value.strip(" \t")

    def raw_header(self, name: str) -> str | None:
        """The first header ``name`` as the transport handed it, whitespace and all."""
        return self._lower.get(name.lower())


@dataclass(frozen=True, slots=True)
class SandboxResponse:
    """What the engine answers: status, headers and body bytes.

    ``drop_connection`` asks the transport to break the connection instead of delivering
    the response (the drop-after-commit fault).
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    drop_connection: bool = False

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None


Step: TypeAlias = "Generator[Hold, None, SandboxResponse]"
"""How the engine answers: a generator that yields each hold to wait out, then returns."""


def dump_json(value: Any) -> bytes:
    """The sandbox's JSON style: two-space indented (readable in curl), with a newline.

    The same bytes as ``json.dumps(value, indent=2, ensure_ascii=False)``, made by
    pydantic-core's serializer, several times faster than the json module's pure-Python
    indenting encoder.
    """
    return to_json(value, indent=2) + b"\n"


class SessionBody(bytes):
    """A 200's body that is exactly the :func:`dump_json` of the session its POST stored
    (a create's answer): a store may keep the two as one."""

    __slots__ = ()


def response(
    status: int,
    body: bytes,
    content_type: str,
    extra: Iterable[tuple[str, str]] = (),
) -> SandboxResponse:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    headers.extend(extra)
    return SandboxResponse(status, tuple(headers), body)
