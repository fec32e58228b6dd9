"""Every malformed input or answer raises a typed ``leanrails`` error; every exception the
client raises on purpose is a ``LeanRailsError``. The caller's mistakes are refused before
anything is sent: a hostile server on 127.0.0.1 records that no connection was made."""

from __future__ import annotations

import json
import logging
import math
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pydantic
import pytest

import leanrails
from leanrails import (
    APIResponseValidationError,
    AsyncLeanRails,
    ConfigurationError,
    InvalidRequestError,
    LeanRails,
    LeanRailsError,
    UsageError,
    ValidationError,
)

from _support.client import BODY, KEY
from _support.hostile import (
    Answer,
    HostileServer,
    Received,
    fixed,
    hostile_server,
    response_bytes,
    retrieve_from,
    send,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile_server(fixed(200, b"{}")) as server:
        yield server


@pytest.fixture
def client(server: HostileServer) -> Iterator[LeanRails]:
    with LeanRails(api_key=KEY, base_url=server.url, max_retries=2) as client:
        yield client


def _nested(depth: int) -> bytes:
    return b'{"error": ' + b"[" * depth + b"]" * depth + b"}"


def test_an_error_body_nested_5000_deep_is_a_typed_error_not_a_recursion_error() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        retrieve_from(fixed(400, _nested(5000)))
    assert isinstance(caught.value.body, str)  # kept as text: too deep to decode
    assert caught.value.status_code == 400


def test_a_2xx_body_nested_5000_deep_is_a_response_validation_error() -> None:
    with pytest.raises(APIResponseValidationError):
        retrieve_from(fixed(200, b"[" * 5000 + b"]" * 5000))


@pytest.mark.parametrize("key", [" spaced", "spaced ", "two\nlines", "caf\u00e9", "x" * 256])
async def test_an_idempotency_key_in_extra_headers_is_checked_as_the_argument_is(
    server: HostileServer, key: str
) -> None:
    client = LeanRails(api_key=KEY, base_url=server.url)
    with client, pytest.raises(ValidationError) as caught:
        client.checkout_sessions.create(**BODY, extra_headers={"Idempotency-Key": key})
    assert caught.value.param == "Idempotency-Key"
    async with AsyncLeanRails(api_key=KEY, base_url=server.url) as aclient:
        with pytest.raises(ValidationError):
            await aclient.checkout_sessions.create(**BODY, extra_headers={"idempotency-key": key})
    with pytest.raises(ValidationError):
        LeanRails(api_key=KEY, base_url=server.url, default_headers={"Idempotency-Key": key})
    assert server.connections == 0


@pytest.mark.parametrize(
    ("headers", "param"),
    [
        ({"X-Trace": "a\r\nInjected: 1"}, "X-Trace"),
        ({"X-Trace": " padded "}, "X-Trace"),
        ({"Bad Name": "x"}, "Bad Name"),
        ({"X-Gateway-Token": "t\u00f6ken"}, "X-Gateway-Token"),
    ],
)
def test_a_header_http_cannot_carry_is_refused_before_sending(
    client: LeanRails, server: HostileServer, headers: dict[str, str], param: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        client.checkout_sessions.retrieve("cs_test_x", extra_headers=headers)
    assert caught.value.param == param
    assert "t\u00f6ken" not in str(caught.value)  # a credential header's value is masked
    assert server.connections == 0


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"amount": math.nan}, "amount"),
        ({"amount": math.inf}, "amount"),
        ({"nested": {"list": [1.0, -math.inf]}}, "nested.list[1]"),
    ],
)
def test_nan_and_infinity_in_extra_body_are_refused_before_sending(
    client: LeanRails, server: HostileServer, extra: dict[str, Any], param: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        client.checkout_sessions.create(**BODY, extra_body=extra)
    assert caught.value.param == param
    assert "not JSON" in str(caught.value)
    assert server.connections == 0


def test_a_value_json_cannot_carry_in_extra_body_is_a_validation_error(
    client: LeanRails, server: HostileServer
) -> None:
    with pytest.raises(ValidationError) as caught:
        client.checkout_sessions.create(**BODY, extra_body={"when": object()})
    assert caught.value.param == "when"
    assert server.connections == 0


def test_a_session_id_too_long_for_a_url_is_a_validation_error(
    client: LeanRails, server: HostileServer
) -> None:
    with pytest.raises(ValidationError) as caught:
        client.checkout_sessions.retrieve("a" * 70000)
    assert "too long" in str(caught.value)
    assert len(str(caught.value)) < 2000  # the URL is not quoted back whole
    assert server.connections == 0


def test_except_leanrails_error_catches_a_validation_error(client: LeanRails) -> None:
    try:
        client.checkout_sessions.create(mode="payment", line_items=[{"quantity": "2"}])  # type: ignore[typeddict-item]
    except leanrails.LeanRailsError as exc:
        caught: BaseException = exc
    assert isinstance(caught, leanrails.ValidationError)
    assert isinstance(caught, pydantic.ValidationError)
    assert isinstance(caught, ValueError)


def _misuses(client: LeanRails) -> list[Callable[[], object]]:
    calls = client.checkout_sessions
    params = leanrails.CheckoutSessionCreateParams(**BODY)
    return [
        lambda: LeanRails(api_key=KEY, base_url="ftp://example.com"),
        lambda: LeanRails(api_key=KEY, base_url="example.com"),
        lambda: LeanRails(api_key=KEY, max_retries=-1),
        lambda: LeanRails(api_key=KEY, http_client=httpx2.AsyncClient()),  # type: ignore[arg-type]
        lambda: LeanRails(api_key=KEY, api_version="2026\n"),
        lambda: LeanRails(api_key="sk_test_two:keys"),
        lambda: calls.create(params, mode="payment"),
        lambda: calls.create({"mode": "payment"}),  # type: ignore[arg-type]
        lambda: calls.create(**BODY, extra_body=[("a", 1)]),  # type: ignore[arg-type]
        lambda: calls.create(**BODY, max_retries=-1),
        lambda: calls.create(**BODY, idempotency_key=""),
        lambda: calls.create(mode="payment", line_items=[]),
        lambda: calls.retrieve(""),
        lambda: calls.retrieve(5),  # type: ignore[arg-type]
        lambda: calls.expire("cs_test_x", api_version="\u00e9"),
        lambda: calls.retrieve("cs_test_x", extra_headers={"X": 1}),  # type: ignore[dict-item]
    ]


def test_every_exception_the_client_raises_on_purpose_is_a_leanrails_error(
    client: LeanRails, server: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEANRAILS_API_KEY", raising=False)
    for index, misuse in enumerate(_misuses(client)):
        with pytest.raises(LeanRailsError) as caught:
            misuse()
        # ... and still the ValueError or TypeError it was before.
        assert isinstance(caught.value, ValueError | TypeError), index
        if isinstance(caught.value, TypeError):
            assert isinstance(caught.value, UsageError), index
        elif not isinstance(caught.value, ValidationError):
            assert isinstance(caught.value, ConfigurationError), index
    assert server.connections == 0


_ESCAPES = "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07\x1b[31mred\x1b[0m\u202etxt"


def test_a_servers_escapes_never_reach_an_errors_text_its_display_or_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """ANSI colours, OSC 8 links and bidi overrides in every string field of an error (and in
    its Request-Id) come out as spaces in str(), the fields, the plain display and the log;
    ``body`` keeps the server's JSON as sent."""
    from leanrails._display import api_error_text
    from leanrails._errors import inert

    fields = ("type", "code", "param", "message")
    error_body = {name: f"{name}{_ESCAPES}" for name in fields}
    body = json.dumps({"error": error_body}).encode()
    caplog.set_level(logging.DEBUG, logger="leanrails")
    answer = _answer_with(400, body, {"Request-Id": "req_\x1b[31mX"})
    with (
        hostile_server(answer) as server,
        LeanRails(api_key=KEY, base_url=server.url, max_retries=0) as client,
        pytest.raises(InvalidRequestError) as caught,
    ):
        client.checkout_sessions.retrieve("cs_test_a1b2c3")
    error = caught.value
    shown = [str(error), api_error_text(error), *caplog.messages]
    shown += [str(getattr(error, name)) for name in fields]
    assert all(c not in text for text in shown for c in "\x1b\x07\u202e"), shown
    assert "click" in str(error)
    assert error.code == f"code{inert(_ESCAPES)}"
    assert error.body == {"error": error_body}


def _answer_with(status: int, body: bytes, headers: dict[str, str]) -> Answer:
    def answer(conn: socket.socket, received: Received, server: HostileServer) -> None:
        data = response_bytes(status, body, {"Content-Type": "application/json", **headers})
        send(conn, server, data)

    return answer
