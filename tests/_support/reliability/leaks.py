"""The API key on every surface a user or a log could see: it must appear on none.

``sweep_client`` drives every call, success and failure, of a client and gathers what each
leaves behind (reprs, errors, tracebacks, pickles, curl, HTML displays); ``sweep_hostile``
does the same against servers that echo every request header back (in the body, a header,
the reason phrase, a malformed status line). ``Surfaces.leaks`` looks for each credential in
all its forms (``secret_forms``): as written, percent-encoded, JSON-escaped, base64.
"""

from __future__ import annotations

import base64
import json
import pickle
import re
import socket
import subprocess
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from pydantic import ValidationError

from leanrails import (
    APIConnectionError,
    APIResponseTooLargeError,
    APIResponseValidationError,
    APIServerError,
    APITimeoutError,
    AuthenticationError,
    IdempotencyError,
    InvalidRequestError,
    LeanRails,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    to_curl,
)
from leanrails._display import request_html, session_html, validation_error_html
from leanrails.sandbox import TEST_API_KEY, Sandbox

from _support.hostile import HostileServer, Received, echo, endless, hostile_server, send, trickle
from _support.sandbox import BASIC

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Surfaces:
    """Text a user or a log could see, gathered from every path the key travels."""

    texts: list[tuple[str, str]] = field(default_factory=list)

    def add(self, where: str, *values: object) -> None:
        for value in values:
            self.texts.append((where, value if isinstance(value, str) else repr(value)))

    def add_error(self, where: str, exc: BaseException) -> None:
        self.add(where, str(exc), repr(exc), repr(exc.args))
        self.add(where, "".join(traceback.format_exception(exc)))
        self.add(f"{where} pickle", pickle.dumps(exc).decode("latin-1"))
        for name in ("message", "body", "param", "code", "type", "request_id"):
            if hasattr(exc, name):
                self.add(f"{where}.{name}", getattr(exc, name))
        request, response = getattr(exc, "request", None), getattr(exc, "response", None)
        if request is not None:
            self.add(f"{where}.request", str(request.url), repr(request.headers.raw))
            self.add(f"{where}.request", request.content.decode("latin-1"))
        if response is not None:
            self.add(f"{where}.response", response.text, response.content.decode("latin-1"))
            self.add(f"{where}.response", repr(response.headers.raw), response.reason_phrase)
            self.add(f"{where}.response.request", repr(response.request.headers.raw))
        if isinstance(exc, ValidationError):
            self.add(where, json.dumps(exc.errors(include_url=False), default=repr))
            self.add(f"{where} html", validation_error_html(exc))

    def leaks(self, secret_values: list[str]) -> list[tuple[str, str]]:
        return [(where, s) for where, text in self.texts for s in secret_values if s in text]


def secret_forms(key: str, *, basic_user: str | None = None) -> list[str]:
    """A credential as written, percent-encoded, JSON-escaped, and in the Basic token made
    from it (standard and URL-safe, padded or not); a key's random part too. ``basic_user``:
    the credential is the password of that Basic user, not a key."""
    token = base64.b64encode(
        (f"{key}:" if basic_user is None else f"{basic_user}:{key}").encode()
    ).decode()
    forms = [key, quote(key, safe=""), quote_plus(key), json.dumps(key)[1:-1]]
    forms += [token, token.rstrip("="), token.replace("+", "-").replace("/", "_")]
    if basic_user is None:
        forms.append(key.split("_", 2)[-1])
    return list(dict.fromkeys(forms))


def expect_error(
    surfaces: Surfaces, where: str, error: type[BaseException], call: Callable[[], object]
) -> BaseException:
    with pytest.raises(error) as caught:
        call()
    surfaces.add_error(where, caught.value)
    return caught.value


def sweep_client(client: LeanRails, sandbox: Sandbox, surfaces: Surfaces, where: str) -> None:
    """Every call, success and failure, of a client whose key the sandbox accepts."""
    calls = client.checkout_sessions
    request = calls.build(**BASIC)
    surfaces.add(
        f"{where} build",
        repr(client),
        str(client),
        repr(request),
        str(request.url),
        repr(request.headers),
        str(request.headers),
        to_curl(request),
        request_html(request),
    )
    raw = calls.with_raw_response.create(**BASIC, idempotency_key=f"{where}-1")
    session = raw.parse()
    surfaces.add(f"{where} response", repr(raw), repr(raw.http_response), repr(session))
    surfaces.add(f"{where} response", str(raw.headers), session_html(session))
    surfaces.add(f"{where} replay", repr(calls.create(**BASIC, idempotency_key=f"{where}-1")))
    for status, error in [
        (500, APIServerError),
        (503, APIServerError),
        (429, RateLimitError),
        (403, PermissionDeniedError),
        (409, IdempotencyError),
    ]:
        sandbox.fail_next(10, status, api_key=client.api_key)
        expect_error(surfaces, f"{where} {status}", error, lambda: calls.create(**BASIC))
        sandbox.clear_faults()
    sandbox.drop_after_commit(10, api_key=client.api_key)
    expect_error(
        surfaces,
        f"{where} dropped",
        APIConnectionError,
        lambda: calls.create(**BASIC, max_retries=0),
    )
    sandbox.clear_faults()
    expect_error(
        surfaces,
        f"{where} invalid",
        InvalidRequestError,
        lambda: calls.create(
            mode="payment",
            line_items=[{"quantity": 1, "price": "price_nope"}],
            success_url=BASIC["success_url"],
        ),
    )
    expect_error(
        surfaces,
        f"{where} reused key",
        IdempotencyError,
        lambda: calls.create(**BASIC, customer_email="a@example.com", idempotency_key=f"{where}-1"),
    )
    expect_error(surfaces, f"{where} 404", NotFoundError, lambda: calls.retrieve("cs_test_nope"))
    expect_error(
        surfaces,
        f"{where} validation",
        ValidationError,
        lambda: calls.create(mode="payment", line_items=[], customer_email="nope"),
    )
    expect_error(
        surfaces, f"{where} bad key", ValueError, lambda: calls.create(**BASIC, idempotency_key="")
    )
    surfaces.add(
        f"{where} completed", repr(client.test_helpers.checkout_sessions.complete(session.id))
    )


_KEY_SHAPED = re.compile(r"\bsk_(?:live|test)_[A-Za-z0-9]+")
_UNREADABLE = {".png", ".jpg", ".ico", ".woff2", ".lock"}


def committed_keys() -> dict[str, set[str]]:
    """Key-shaped strings in the files git tracks, but the sandbox key and the tests' inputs."""
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    found: dict[str, set[str]] = {}
    for name in filter(None, tracked):
        path = ROOT / name
        if not path.is_file() or path.suffix in _UNREADABLE:
            continue
        keys = set(_KEY_SHAPED.findall(path.read_text(encoding="utf-8", errors="replace")))
        unexpected = {k for k in keys if k != TEST_API_KEY and not _is_example_key(k, name)}
        if unexpected:
            found[name] = unexpected
    return found


def _is_example_key(key: str, file_name: str) -> bool:
    """Keys the test suites and benchmarks make on purpose, as input (never a real account's)."""
    return file_name.startswith(("tests/", "benchmarks/"))


def _status_line_echo(conn: socket.socket, received: Received, server: HostileServer) -> None:
    """Not HTTP: a status line quoting the Authorization header (h11 quotes it back)."""
    authorization = received.header("authorization") or ""
    send(conn, server, f"HTTP/1.1 2{authorization}\r\n\r\n".encode("latin-1"))


def sweep_hostile(surfaces: Surfaces, api_key: str, **client_options: Any) -> None:
    """Every error a server echoing the request's credentials back can provoke."""
    attacks: list[tuple[str, Callable[..., Any], type[BaseException], int]] = [
        ("echo 400", echo(400), InvalidRequestError, 0),
        ("echo 401", echo(401), AuthenticationError, 0),
        ("echo 503", echo(503), APIServerError, 1),
        ("echo 200", echo(200), APIResponseValidationError, 0),
        ("status line", _status_line_echo, APIConnectionError, 1),
        ("endless", endless(), APIResponseTooLargeError, 0),
        ("trickle", trickle(0.05, whole=True), APITimeoutError, 0),
    ]
    for where, answer, error, retries in attacks:
        with hostile_server(answer) as server:
            with LeanRails(
                api_key=api_key,
                base_url=server.url,
                max_retries=retries,
                max_response_bytes=1024 * 1024,
                timeout=0.5,
                **client_options,
            ) as client:
                surfaces.add(f"{where} client", repr(client))
                expect_error(
                    surfaces, where, error, lambda: client.checkout_sessions.create(**BASIC)
                )
                expect_error(
                    surfaces,
                    f"{where} retrieve",
                    error,
                    lambda: client.checkout_sessions.retrieve("cs_test_x"),
                )
            assert server.received, where
