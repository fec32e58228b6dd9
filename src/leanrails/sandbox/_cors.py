"""CORS: which web pages may call the sandbox's API from a browser (a sandbox convention).

A docs page's "Try it" panel sends its requests from the reader's browser, so the browser
asks the sandbox first (a preflight ``OPTIONS``) and lets the page read an answer only when
the sandbox names the page's origin. ``leanrails sandbox`` allows the origins its operator
names (``--cors-origin URL``, repeatable) or, by default, the local docs server's
(:func:`default_origins`: ``make docs`` on ``127.0.0.1`` or ``localhost``, port 8000 or
``DOCS_PORT``).

What it allows, to those origins only, under ``/v1/`` and ``/openapi.yaml``:

- ``GET`` and ``POST`` with the headers ``Authorization``, ``Content-Type``,
  ``Idempotency-Key`` and ``X-API-Version`` (the key travels in ``Authorization``, set by
  the page: the sandbox never asks the browser for its own credentials);
- reading ``Request-Id``, ``Idempotent-Replayed``, ``Original-Request``, ``Retry-After``
  and ``X-API-Version`` from an answer.

What it never does: answer ``Access-Control-Allow-Origin: *``, or
``Access-Control-Allow-Credentials`` (no cookie or browser-held login reaches the API
from another site); serve the hosted pages to other origins (they are for their own
origin only, see :mod:`._origin`). A preflight from another origin, or for another method
or header, is answered ``403`` with the API's JSON error naming what to change.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Final
from urllib.parse import urlsplit

from ._errors import SandboxError

__all__ = ["ALLOWED_HEADERS", "EXPOSED_HEADERS", "Cors", "cors_origin", "default_origins"]

ALLOWED_METHODS: Final = ("GET", "POST")
ALLOWED_HEADERS: Final = ("Authorization", "Content-Type", "Idempotency-Key", "X-API-Version")
EXPOSED_HEADERS: Final = (
    "Request-Id",
    "Idempotent-Replayed",
    "Original-Request",
    "Retry-After",
    "X-API-Version",
)
MAX_AGE_SECONDS: Final = 600
DOCS_PORT: Final = 8000
"""The port ``make docs`` serves on unless ``DOCS_PORT`` says otherwise."""


def cors_origin(value: str) -> str:
    """``value`` as an origin (``scheme://host[:port]``, lower-case), or ValueError saying
    why it is none: ``*``, a path, a query or credentials are refused."""
    text = value.strip()
    if text == "*":
        raise ValueError("'*' would let every site read the API's answers: name each origin")
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or port == -1
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ValueError(
            f"{value!r} is not an origin: write scheme://host[:port], such as http://127.0.0.1:8000"
        )
    scheme, host = parts.scheme.lower(), parts.hostname
    shown = f"[{host}]" if ":" in host else host
    if port is None or port == {"http": 80, "https": 443}[scheme]:
        return f"{scheme}://{shown}"  # as a browser writes it: no default port
    return f"{scheme}://{shown}:{port}"


def default_origins(environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """The local docs server's origins: port 8000 and ``DOCS_PORT``, on 127.0.0.1 and
    localhost."""
    ports = [DOCS_PORT]
    extra = environ.get("DOCS_PORT", "")
    if extra.isdigit() and 0 < int(extra) < 65536 and int(extra) != DOCS_PORT:
        ports.append(int(extra))
    return tuple(f"http://{host}:{port}" for port in ports for host in ("127.0.0.1", "localhost"))


class Cors:
    """The CORS answers of one server, for ``origins`` (none: CORS off)."""

    def __init__(self, origins: Iterable[str]) -> None:
        self.origins = tuple(dict.fromkeys(cors_origin(origin) for origin in origins))

    def __bool__(self) -> bool:
        return bool(self.origins)

    @staticmethod
    def applies(path: str) -> bool:
        return path.startswith("/v1/") or path == "/openapi.yaml"

    def allows(self, origin: str | None) -> bool:
        return origin is not None and origin.lower() in self.origins

    def headers(self, origin: str | None, path: str) -> list[tuple[str, str]]:
        """The CORS headers of an answer to ``origin`` (none for another origin)."""
        if not self or not self.applies(path):
            return []
        if not self.allows(origin):
            return [("Vary", "Origin")]
        assert origin is not None
        return [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Expose-Headers", ", ".join(EXPOSED_HEADERS)),
            ("Vary", "Origin"),
        ]

    def preflight(
        self, origin: str | None, path: str, method: str, headers: str
    ) -> list[tuple[str, str]]:
        """The headers of a ``204`` answering a preflight, or the 403 (raised) that says
        what is not allowed. ``method`` and ``headers`` are what the browser asks for."""
        problem = None
        if not self.applies(path):
            problem = f"Browsers may call only /v1/ and /openapi.yaml, not {path[:100]}."
        elif not self.allows(origin):
            shown = (origin or "none")[:100]
            problem = (
                f"Origin {shown} may not call this sandbox from a browser: start it with "
                f"--cors-origin {shown}."
            )
        elif method.upper() not in ALLOWED_METHODS:
            problem = f"Method {method[:20]} is not allowed: only GET and POST."
        else:
            allowed = {name.lower() for name in ALLOWED_HEADERS}
            asked = [name.strip() for name in headers.split(",") if name.strip()]
            refused = [name for name in asked if name.lower() not in allowed]
            if refused:
                problem = (
                    f"Header {refused[0][:100]} is not allowed: only {', '.join(ALLOWED_HEADERS)}."
                )
        if problem is not None:
            raise SandboxError(403, "permission_error", "cors_not_allowed", problem)
        assert origin is not None
        return [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Methods", ", ".join(ALLOWED_METHODS)),
            ("Access-Control-Allow-Headers", ", ".join(ALLOWED_HEADERS)),
            ("Access-Control-Max-Age", str(MAX_AGE_SECONDS)),
            ("Vary", "Origin"),
        ]
