"""LeanRails and AsyncLeanRails, end to end through a scripted MockTransport.

Every behavioural test runs twice, on the sync and the async client (the ``api`` fixture), so
the two cannot drift. Sleeps are recorded, never slept.
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import pickle
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx2
import pytest
from pydantic import ValidationError

import leanrails
from leanrails import (
    APIConnectionError,
    APIResponse,
    APIResponseValidationError,
    APIServerError,
    APIStatusError,
    APITimeoutError,
    AsyncLeanRails,
    AuthenticationError,
    CheckoutSession,
    CheckoutSessionCreateParams,
    CustomerDetails,
    IdempotencyError,
    InvalidRequestError,
    LeanRails,
    LeanRailsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    to_curl,
)
from leanrails.sandbox import Sandbox

from _support.client import (
    BODY,
    CLIENT_KINDS,
    KEY,
    SECRETS,
    SESSION,
    TOKEN,
    Api,
    scripted_api,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=CLIENT_KINDS)
async def api(request: pytest.FixtureRequest) -> AsyncIterator[Api]:
    async with scripted_api(is_async=request.param) as api:
        yield api


def basic_credentials(request: httpx2.Request) -> str:
    scheme, _, token = request.headers["authorization"].partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(token, validate=True).decode()


# --- construction -------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [LeanRails, AsyncLeanRails])
def test_missing_key_fails_at_construction_naming_the_variable_and_the_sandbox(
    cls: type[LeanRails | AsyncLeanRails], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEANRAILS_API_KEY", raising=False)
    with pytest.raises(LeanRailsError, match="LEANRAILS_API_KEY") as caught:
        cls()
    assert f"{cls.__name__}.sandbox()" in str(caught.value)


@pytest.mark.parametrize("cls", [LeanRails, AsyncLeanRails])
def test_empty_key_is_missing(
    cls: type[LeanRails | AsyncLeanRails], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEANRAILS_API_KEY", "")
    with pytest.raises(LeanRailsError, match="LEANRAILS_API_KEY"):
        cls()


async def test_key_and_base_url_fall_back_to_the_environment(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEANRAILS_API_KEY", "sk_test_from_env_0123456789")
    monkeypatch.setenv("LEANRAILS_BASE_URL", "http://127.0.0.1:12111/")
    api.server.reply()
    await api.run(api.client(None).checkout_sessions.create(**BODY))
    request = api.server.requests[0]
    assert basic_credentials(request) == "sk_test_from_env_0123456789:"
    assert str(request.url) == "http://127.0.0.1:12111/v1/checkout_sessions"


async def test_arguments_beat_the_environment_and_the_default_url_is_the_reference_one(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEANRAILS_API_KEY", "sk_test_from_env_0123456789")
    monkeypatch.delenv("LEANRAILS_BASE_URL", raising=False)
    api.server.reply()
    await api.run(api.client(KEY).checkout_sessions.create(**BODY))
    assert basic_credentials(api.server.requests[0]) == f"{KEY}:"
    assert str(api.server.requests[0].url) == "https://api.leanrails.com/v1/checkout_sessions"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"base_url": "api.leanrails.com"}, "absolute http", id="relative-url"),
        pytest.param({"base_url": "ftp://api.leanrails.com"}, "absolute http", id="ftp-url"),
        pytest.param({"max_retries": -1}, "max_retries", id="negative-retries"),
    ],
)
async def test_bad_settings_fail_at_construction(
    api: Api, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        api.client(**kwargs)


@pytest.mark.parametrize(
    ("cls", "http_client", "match"),
    [
        pytest.param(LeanRails, httpx2.AsyncClient, "httpx2.Client", id="sync-given-async"),
        pytest.param(AsyncLeanRails, httpx2.Client, "httpx2.AsyncClient", id="async-given-sync"),
    ],
)
def test_http_client_of_the_other_kind_is_a_type_error(
    cls: type[LeanRails | AsyncLeanRails], http_client: type[Any], match: str
) -> None:
    with pytest.raises(TypeError, match=match):
        cls(KEY, http_client=http_client())


@pytest.mark.parametrize("hook", ["_transport", "_sleep"])
@pytest.mark.parametrize("cls", [LeanRails, AsyncLeanRails])
def test_constructors_take_no_private_test_hooks(
    cls: type[LeanRails | AsyncLeanRails], hook: str
) -> None:
    hooks: dict[str, Any] = {hook: None}
    with pytest.raises(TypeError, match=hook):
        cls(KEY, **hooks)


async def test_closing_closes_its_own_http_client(api: Api) -> None:
    client = api.client(http_client=None)
    await api.run(client.close())
    assert client._http_client.is_closed


async def test_closing_never_closes_an_injected_http_client(api: Api) -> None:
    client = api.client()
    await api.run(client.close())
    assert not client._http_client.is_closed


def test_sync_client_is_a_context_manager() -> None:
    injected = httpx2.Client()
    with LeanRails(KEY) as own, LeanRails(KEY, http_client=injected):
        pass
    assert own._http_client.is_closed
    assert not injected.is_closed
    injected.close()


async def test_async_client_is_an_async_context_manager() -> None:
    injected = httpx2.AsyncClient()
    async with AsyncLeanRails(KEY) as own, AsyncLeanRails(KEY, http_client=injected):
        pass
    assert own._http_client.is_closed
    assert not injected.is_closed
    await injected.aclose()


# --- the wire format ----------------------------------------------------------------------


async def test_create_sends_the_reference_wire_format_byte_for_byte(api: Api) -> None:
    api.server.reply()
    await api.run(
        api.client(api_version="2026-01-01").checkout_sessions.create(
            **BODY, idempotency_key="order-6735-attempt"
        )
    )
    (request,) = api.server.requests
    assert request.method == "POST"
    assert str(request.url) == "https://api.leanrails.com/v1/checkout_sessions"
    assert request.content == json.dumps(BODY, separators=(",", ":")).encode()
    assert basic_credentials(request) == f"{KEY}:"  # the key as username, empty password
    ours = [
        (name, value) for name, value in request.headers.raw if name.lower() != b"accept-encoding"
    ]
    assert ours == [
        (b"Host", b"api.leanrails.com"),
        (b"Accept", b"*/*"),
        (b"Connection", b"keep-alive"),
        (b"Authorization", f"Basic {TOKEN}".encode()),
        (b"Content-Type", b"application/json"),
        (b"Idempotency-Key", b"order-6735-attempt"),
        (b"X-API-Version", b"2026-01-01"),
        (
            b"User-Agent",
            f"leanrails-python/{leanrails.__version__} httpx2/{httpx2.__version__}".encode(),
        ),
        (b"Content-Length", str(len(request.content)).encode()),
    ]


async def test_body_holds_only_the_fields_the_caller_set(api: Api) -> None:
    api.server.reply()
    await api.run(
        api.client().checkout_sessions.create(
            mode="payment",
            line_items=[{"quantity": 1, "price": "price_test_tshirt"}],
            ui_mode="embedded",
        )
    )
    assert json.loads(api.server.requests[0].content) == {
        "mode": "payment",
        "line_items": [{"quantity": 1, "price": "price_test_tshirt"}],
        "ui_mode": "embedded",
    }


@pytest.mark.parametrize(
    ("client_version", "call_version", "sent"),
    [
        pytest.param(None, None, None, id="unset"),
        pytest.param("2026-01-01", None, "2026-01-01", id="per-client"),
        pytest.param(None, "2026-02-02", "2026-02-02", id="per-call"),
        pytest.param("2026-01-01", "2026-02-02", "2026-02-02", id="per-call-wins"),
    ],
)
async def test_x_api_version_is_sent_when_set_per_client_or_per_call(
    api: Api, client_version: str | None, call_version: str | None, sent: str | None
) -> None:
    api.server.reply()
    client = api.client(api_version=client_version)
    await api.run(client.checkout_sessions.create(**BODY, api_version=call_version))
    assert api.server.requests[0].headers.get("x-api-version") == sent


async def test_params_object_and_keywords_send_the_same_bytes(api: Api) -> None:
    api.server.reply()
    client = api.client()
    params = CheckoutSessionCreateParams(**BODY)
    await api.run(client.checkout_sessions.create(params, idempotency_key="k"))
    await api.run(client.checkout_sessions.create(**BODY, idempotency_key="k"))
    first, second = api.server.requests
    assert first.content == second.content
    assert first.headers == second.headers


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        pytest.param(
            (CheckoutSessionCreateParams(**BODY),), {"mode": "payment"}, "not both", id="both"
        ),
        pytest.param((BODY,), {}, r"create\(\*\*body\)", id="dict-params"),
    ],
)
async def test_wrong_call_shapes_are_type_errors_before_sending(
    api: Api, args: tuple[Any, ...], kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(TypeError, match=match):
        await api.run(api.client().checkout_sessions.create(*args, **kwargs))
    assert api.server.requests == []


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        pytest.param({**BODY, "mode": "subscription"}, "mode", id="mode"),
        pytest.param({**BODY, "line_items": []}, "line_items", id="no-line-items"),
        pytest.param(
            {**BODY, "line_items": [{"quantity": "2", "price": "price_x"}]},
            "line_items[0].quantity",
            id="strict-quantity",
        ),
        pytest.param({**BODY, "colour": "red"}, "colour", id="unknown-field"),
        pytest.param({"mode": "payment"}, "line_items", id="missing"),
    ],
)
async def test_invalid_fields_raise_validation_error_before_sending(
    api: Api, fields: dict[str, Any], path: str
) -> None:
    with pytest.raises(ValidationError, match=path.replace("[", r"\[").replace("]", r"\]")):
        await api.run(api.client().checkout_sessions.create(**fields))
    assert api.server.requests == []


@pytest.mark.parametrize(
    "version",
    [
        pytest.param("", id="empty"),
        pytest.param("2026\u201311\u201301", id="en-dashes"),
        pytest.param("2026-11-01\n", id="trailing-newline"),
    ],
)
async def test_bad_api_version_fails_before_sending(api: Api, version: str) -> None:
    with pytest.raises(ValueError, match="api_version must be printable ASCII"):
        await api.run(api.client().checkout_sessions.create(**BODY, api_version=version))
    with pytest.raises(ValueError, match="api_version must be printable ASCII"):
        api.client(api_version=version)
    assert api.server.requests == []


async def test_build_returns_the_request_create_would_send_without_sending(api: Api) -> None:
    api.server.reply()
    client = api.client(api_version="2026-01-01")
    built = client.checkout_sessions.build(**BODY, idempotency_key="k1")
    assert isinstance(built, httpx2.Request)
    assert api.server.requests == []
    await api.run(client.checkout_sessions.create(**BODY, idempotency_key="k1"))
    (sent,) = api.server.requests
    assert (built.method, built.url, built.headers, built.content) == (
        sent.method,
        sent.url,
        sent.headers,
        sent.content,
    )


async def test_timeout_applies_per_client_and_per_call(api: Api) -> None:
    client = api.client(timeout=12.0)
    assert client.checkout_sessions.build(**BODY).extensions["timeout"]["read"] == 12.0
    per_call = client.checkout_sessions.build(**BODY, timeout=httpx2.Timeout(3.0))
    assert per_call.extensions["timeout"] == {
        "connect": 3.0,
        "read": 3.0,
        "write": 3.0,
        "pool": 3.0,
    }


# --- beyond the reference: sandbox conventions ---------------------------------------------


async def test_retrieve_gets_the_session_by_id_without_a_body_or_key(api: Api) -> None:
    api.server.reply()
    session = await api.run(api.client().checkout_sessions.retrieve("cs_test_a1b2c3"))
    assert isinstance(session, CheckoutSession)
    (request,) = api.server.requests
    assert (request.method, request.url.path) == ("GET", "/v1/checkout_sessions/cs_test_a1b2c3")
    assert request.content == b""
    assert "idempotency-key" not in request.headers
    assert "content-type" not in request.headers


@pytest.mark.parametrize(
    ("call", "path", "body"),
    [
        pytest.param(
            lambda c: c.checkout_sessions.expire("cs_1"),
            "/v1/checkout_sessions/cs_1/expire",
            {},
            id="expire",
        ),
        pytest.param(
            lambda c: c.test_helpers.checkout_sessions.complete("cs_1"),
            "/v1/test_helpers/checkout_sessions/cs_1/complete",
            {},
            id="complete",
        ),
        pytest.param(
            lambda c: c.test_helpers.checkout_sessions.complete(
                "cs_1", customer_details={"email": "jsmith@example.com", "name": "J Smith"}
            ),
            "/v1/test_helpers/checkout_sessions/cs_1/complete",
            {"customer_details": {"email": "jsmith@example.com", "name": "J Smith"}},
            id="complete-with-mapping",
        ),
        pytest.param(
            lambda c: c.test_helpers.checkout_sessions.complete(
                "cs_1", customer_details=CustomerDetails(email="jsmith@example.com")
            ),
            "/v1/test_helpers/checkout_sessions/cs_1/complete",
            {"customer_details": {"email": "jsmith@example.com"}},
            id="complete-with-model",
        ),
    ],
)
async def test_session_posts_send_json_and_an_idempotency_key(
    api: Api, call: Callable[[Any], Any], path: str, body: dict[str, Any]
) -> None:
    api.server.reply()
    session = await api.run(call(api.client()))
    assert isinstance(session, CheckoutSession)
    (request,) = api.server.requests
    assert (request.method, request.url.path) == ("POST", path)
    assert json.loads(request.content) == body
    assert request.headers["content-type"] == "application/json"
    assert uuid.UUID(request.headers["idempotency-key"]).version == 4


async def test_session_id_is_quoted_so_it_cannot_reach_another_path(api: Api) -> None:
    api.server.reply()
    await api.run(api.client().checkout_sessions.retrieve("../v1/x?y#z"))
    assert api.server.requests[0].url.raw_path == b"/v1/checkout_sessions/..%2Fv1%2Fx%3Fy%23z"


@pytest.mark.parametrize("session_id", [".", ".."])
async def test_a_dot_segment_session_id_fails_before_sending(api: Api, session_id: str) -> None:
    # quote() leaves "." and "..": httpx2 would resolve them, and expire("..") would be a
    # POST to /v1/expire, complete(".") one to /v1/test_helpers/checkout_sessions/complete.
    client = api.client()
    for call in (
        client.checkout_sessions.retrieve,
        client.checkout_sessions.expire,
        client.test_helpers.checkout_sessions.complete,
    ):
        with pytest.raises(ValidationError, match="session id"):
            await api.run(call(session_id))
    assert api.server.requests == []


async def test_empty_session_id_fails_before_sending(api: Api) -> None:
    with pytest.raises(ValueError, match="session id"):
        await api.run(api.client().checkout_sessions.expire(""))
    assert api.server.requests == []


# --- responses ----------------------------------------------------------------------------


async def test_create_returns_a_checkout_session(api: Api) -> None:
    api.server.reply()
    session = await api.run(api.client().checkout_sessions.create(**BODY))
    assert session == CheckoutSession.model_validate(SESSION)


@pytest.mark.parametrize(
    ("headers", "replayed"),
    [
        pytest.param({"Request-Id": "req_1", "Idempotent-Replayed": "true"}, True, id="replayed"),
        pytest.param({"Request-Id": "req_1"}, False, id="fresh"),
    ],
)
async def test_with_raw_response_exposes_status_headers_and_parse(
    api: Api, headers: dict[str, str], replayed: bool
) -> None:
    api.server.reply(201, json=SESSION, headers=headers)
    raw = await api.run(api.client().checkout_sessions.with_raw_response.create(**BODY))
    assert isinstance(raw, APIResponse)
    assert raw.status_code == 201
    assert raw.request_id == "req_1"
    assert raw.idempotent_replayed is replayed
    assert raw.headers["request-id"] == "req_1"
    assert isinstance(raw.http_response, httpx2.Response)
    assert raw.retries_taken == 0
    assert raw.parse() == CheckoutSession.model_validate(SESSION)
    assert raw.parse() is raw.parse()


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.checkout_sessions.with_raw_response.retrieve("cs_1"), id="get"),
        pytest.param(lambda c: c.checkout_sessions.with_raw_response.expire("cs_1"), id="expire"),
        pytest.param(
            lambda c: c.test_helpers.checkout_sessions.with_raw_response.complete("cs_1"),
            id="complete",
        ),
    ],
)
async def test_every_call_has_a_raw_response(api: Api, call: Callable[[Any], Any]) -> None:
    api.server.reply()
    raw = await api.run(call(api.client()))
    assert raw.request_id == "req_ok"
    assert raw.parse().id == SESSION["id"]


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param({"json": {**SESSION, "status": 7}}, id="enum-not-a-string"),
        pytest.param({"json": {"id": "cs_1"}}, id="missing-fields"),
        pytest.param({"text": "<html>ok</html>"}, id="not-json"),
    ],
)
async def test_2xx_body_that_is_not_a_session_is_a_response_validation_error(
    api: Api, reply: dict[str, Any]
) -> None:
    api.server.reply(200, headers={"Request-Id": "req_bad"}, **reply)
    client = api.client()
    with pytest.raises(APIResponseValidationError, match="not a CheckoutSession") as caught:
        await api.run(client.checkout_sessions.create(**BODY))
    assert caught.value.status_code == 200
    assert caught.value.request_id == "req_bad"
    assert isinstance(caught.value.__cause__, ValidationError)
    raw = await api.run(client.checkout_sessions.with_raw_response.create(**BODY))
    with pytest.raises(APIResponseValidationError):
        raw.parse()  # raw access still works; only parsing fails


# --- errors -------------------------------------------------------------------------------


def error_body(type_: str, message: str = "details", **extra: str) -> dict[str, Any]:
    return {"error": {"type": type_, "message": message, **extra}}


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        pytest.param(400, error_body("invalid_request_error"), InvalidRequestError, id="400"),
        pytest.param(401, error_body("authentication_error"), AuthenticationError, id="401"),
        pytest.param(403, error_body("permission_error"), PermissionDeniedError, id="403"),
        pytest.param(404, error_body("invalid_request_error"), NotFoundError, id="404"),
        pytest.param(409, error_body("idempotency_error"), IdempotencyError, id="409"),
        pytest.param(400, error_body("idempotency_error"), IdempotencyError, id="400-idem"),
        pytest.param(429, error_body("rate_limit_error"), RateLimitError, id="429"),
        pytest.param(500, error_body("api_error"), APIServerError, id="500"),
        pytest.param(503, error_body("api_error"), APIServerError, id="503"),
        pytest.param(418, error_body("teapot"), APIStatusError, id="other-4xx"),
    ],
)
async def test_each_status_raises_its_error_class_with_the_api_fields(
    api: Api, status: int, body: dict[str, Any], cls: type[APIStatusError]
) -> None:
    body["error"].update(code="parameter_invalid", param="line_items[0].price")
    api.server.reply(status, json=body, headers={"Request-Id": "req_err"})
    with pytest.raises(cls) as caught:
        await api.run(api.client(max_retries=0).checkout_sessions.create(**BODY))
    error = caught.value
    assert type(error) is cls
    assert (error.status_code, error.request_id) == (status, "req_err")
    assert (error.type, error.code, error.param) == (
        body["error"]["type"],
        "parameter_invalid",
        "line_items[0].price",
    )
    assert error.message == "details"
    assert error.body == body
    assert error.response.status_code == status
    assert str(error).startswith(f"{status} ")
    assert "param=line_items[0].price" in str(error)
    assert "request_id=req_err" in str(error)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        pytest.param(
            {"text": "<html><h1>502 Bad Gateway</h1></html>"},
            "502 Bad Gateway: non-JSON body: <html><h1>502 Bad Gateway</h1></html>",
            id="html",
        ),
        pytest.param({}, "502 Bad Gateway: empty body", id="empty"),
        pytest.param(
            {"json": {"error": {}}}, "502 Bad Gateway: no error message in the body", id="partial"
        ),
    ],
)
async def test_error_bodies_that_are_not_the_error_shape_still_explain(
    api: Api, reply: dict[str, Any], expected: str
) -> None:
    api.server.reply(502, **reply)
    with pytest.raises(APIServerError) as caught:
        await api.run(api.client(max_retries=0).checkout_sessions.create(**BODY))
    assert str(caught.value) == expected
    assert caught.value.type is None


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        pytest.param(httpx2.ConnectError("connection refused"), APIConnectionError, id="connect"),
        pytest.param(httpx2.RemoteProtocolError("dropped"), APIConnectionError, id="dropped"),
        pytest.param(httpx2.ReadTimeout("timed out"), APITimeoutError, id="read-timeout"),
        pytest.param(httpx2.ConnectTimeout("timed out"), APITimeoutError, id="connect-timeout"),
    ],
)
async def test_transport_failures_are_retried_then_raised_as_connection_errors(
    api: Api, exc: Exception, cls: type[APIConnectionError]
) -> None:
    api.server.fail(exc)
    with pytest.raises(cls) as caught:
        await api.run(api.client().checkout_sessions.create(**BODY))
    assert type(caught.value) is cls
    assert caught.value.__cause__ is exc
    sent = api.server.requests[-1]
    # The error keeps a copy of the request, the key masked (it may be pickled or logged).
    assert (caught.value.request.method, caught.value.request.url) == (sent.method, sent.url)
    assert caught.value.request.content == sent.content
    assert caught.value.request.headers["authorization"] == "Basic ****"
    assert len(api.server.requests) == 3
    assert len(set(api.server.keys)) == 1


# --- retries ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_other_4xx_are_never_retried(api: Api, status: int) -> None:
    api.server.reply(status, json=error_body("invalid_request_error"))
    with pytest.raises(APIStatusError):
        await api.run(api.client(max_retries=5).checkout_sessions.create(**BODY))
    assert len(api.server.requests) == 1
    assert api.sleeps == []


async def test_retries_stop_after_max_retries_with_the_last_error(api: Api) -> None:
    api.server.reply(503, json=error_body("api_error", "down"))
    with pytest.raises(APIServerError, match="down"):
        await api.run(api.client(max_retries=4).checkout_sessions.create(**BODY))
    assert len(api.server.requests) == 5
    expected = [0.5, 1.0, 2.0, 4.0]
    assert all(0.75 * e <= s <= e for s, e in zip(api.sleeps, expected, strict=True))


@pytest.mark.parametrize(
    ("client_retries", "call_retries", "attempts"),
    [
        pytest.param(0, None, 1, id="client-0"),
        pytest.param(1, None, 2, id="client-1"),
        pytest.param(0, 3, 4, id="call-overrides"),
        pytest.param(5, 0, 1, id="call-0"),
    ],
)
async def test_max_retries_is_set_per_client_and_per_call(
    api: Api, client_retries: int, call_retries: int | None, attempts: int
) -> None:
    api.server.reply(500)
    client = api.client(max_retries=client_retries)
    with pytest.raises(APIServerError):
        await api.run(client.checkout_sessions.create(**BODY, max_retries=call_retries))
    assert len(api.server.requests) == attempts


async def test_negative_max_retries_per_call_fails_before_sending(api: Api) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        await api.run(api.client().checkout_sessions.create(**BODY, max_retries=-1))
    assert api.server.requests == []


def in_seconds(seconds: float) -> Callable[[], str]:
    """An HTTP-date ``seconds`` from when the test runs (not from collection)."""
    return lambda: email.utils.formatdate(time.time() + seconds, usegmt=True)


@pytest.mark.parametrize(
    ("retry_after", "low", "high"),
    [
        pytest.param("7", 7.0, 7.0, id="seconds"),
        pytest.param("60", 60.0, 60.0, id="seconds-at-cap"),
        pytest.param("0", 0.0, 0.0, id="zero"),
        pytest.param(in_seconds(30), 28.0, 30.0, id="http-date"),
    ],
)
async def test_retry_after_is_honoured_in_both_forms(
    api: Api, retry_after: str | Callable[[], str], low: float, high: float
) -> None:
    value = retry_after() if callable(retry_after) else retry_after
    api.server.reply(429, headers={"Retry-After": value}).reply()
    await api.run(api.client().checkout_sessions.create(**BODY))
    (slept,) = api.sleeps
    assert low <= slept <= high


@pytest.mark.parametrize(
    "retry_after",
    [
        pytest.param("61", id="seconds"),
        pytest.param(in_seconds(90), id="http-date"),
    ],
)
async def test_retry_after_beyond_60_seconds_stops_retrying(
    api: Api, retry_after: str | Callable[[], str]
) -> None:
    value = retry_after() if callable(retry_after) else retry_after
    api.server.reply(503, headers={"Retry-After": value}).reply()
    with pytest.raises(APIServerError):
        await api.run(api.client().checkout_sessions.create(**BODY))
    assert len(api.server.requests) == 1
    assert api.sleeps == []


async def test_unreadable_retry_after_falls_back_to_backoff(api: Api) -> None:
    api.server.reply(503, headers={"Retry-After": "soon"}).reply()
    await api.run(api.client().checkout_sessions.create(**BODY))
    (slept,) = api.sleeps
    assert 0.375 <= slept <= 0.5


async def test_raw_response_counts_the_retries_taken(api: Api) -> None:
    api.server.reply(500).reply()
    raw = await api.run(api.client().checkout_sessions.with_raw_response.create(**BODY))
    assert raw.retries_taken == 1


async def test_retrieve_is_retried_too(api: Api) -> None:
    api.server.reply(502).reply()
    await api.run(api.client().checkout_sessions.retrieve("cs_1"))
    assert [r.method for r in api.server.requests] == ["GET", "GET"]


# --- logging ------------------------------------------------------------------------------


async def test_each_attempt_is_logged_at_debug_with_method_url_status_request_id_and_retry(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="leanrails")
    api.server.reply(503, headers={"Request-Id": "req_1"}).reply()
    await api.run(api.client().checkout_sessions.create(**BODY, idempotency_key="k-log"))
    records = [r for r in caplog.records if r.name == "leanrails"]
    assert [r.levelno for r in records] == [logging.DEBUG, logging.DEBUG]
    first, second = (r.getMessage() for r in records)
    url = "https://api.leanrails.com/v1/checkout_sessions"
    assert first.startswith(f"POST {url} -> 503 (request_id=req_1, idempotency_key=k-log, ")
    assert "retry 0 of 2" in first
    assert "retrying in" in first
    assert second.startswith(f"POST {url} -> 200 (request_id=req_ok")
    assert "retry 1 of 2" in second


# --- secrets ------------------------------------------------------------------------------


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


async def test_the_key_never_appears_in_reprs(api: Api) -> None:
    api.server.reply()
    client = api.client()
    request = client.checkout_sessions.build(**BODY)
    raw = await api.run(client.checkout_sessions.with_raw_response.create(**BODY))
    for obj in (client, request, request.headers, raw, raw.headers, raw.http_response):
        assert_no_secret(repr(obj))
    assert "sk_test_****" in repr(client)


@pytest.mark.parametrize(
    "echo",
    [
        pytest.param({"json": error_body("authentication_error", f"bad key {KEY}")}, id="key"),
        pytest.param({"text": f"Authorization: Basic {TOKEN}"}, id="header"),
    ],
)
async def test_the_key_never_appears_in_exception_text_even_when_echoed(
    api: Api, echo: dict[str, Any]
) -> None:
    api.server.reply(401, **echo)
    with pytest.raises(AuthenticationError) as caught:
        await api.run(api.client().checkout_sessions.create(**BODY))
    assert_no_secret(str(caught.value))
    assert_no_secret(repr(caught.value))
    assert_no_secret(caught.value.message)


async def test_the_key_never_appears_in_connection_error_text(api: Api) -> None:
    api.server.fail(httpx2.ConnectError(f"proxy said Basic {TOKEN}"))
    with pytest.raises(APIConnectionError) as caught:
        await api.run(api.client(max_retries=0).checkout_sessions.create(**BODY))
    assert_no_secret(str(caught.value))


async def test_the_key_never_appears_in_log_records(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx2's included
    api.server.reply(500).fail(httpx2.ReadTimeout("slow")).reply(400, json=error_body("x"))
    with pytest.raises(InvalidRequestError):
        await api.run(api.client().checkout_sessions.create(**BODY))
    assert len(caplog.records) >= 3
    for record in caplog.records:
        assert_no_secret(record.getMessage())
        assert_no_secret(repr(record.__dict__))


async def test_the_key_never_appears_in_curl_output_unless_revealed(api: Api) -> None:
    request = api.client().checkout_sessions.build(**BODY)
    assert_no_secret(to_curl(request))
    assert f"Authorization: Basic {TOKEN}" in to_curl(request, reveal_key=True)


# --- the in-process sandbox ---------------------------------------------------------------


async def test_sandbox_client_needs_no_key_and_ignores_the_environment(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEANRAILS_API_KEY", raising=False)
    monkeypatch.setenv("LEANRAILS_BASE_URL", "http://127.0.0.1:1")
    client = api.sandbox()
    session = await api.run(
        client.checkout_sessions.create(
            mode="payment",
            line_items=[{"quantity": 2, "price": "price_test_tshirt"}],
            success_url="https://example.com/done",
        )
    )
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert await api.run(client.checkout_sessions.retrieve(session.id)) == session
    paid = await api.run(client.test_helpers.checkout_sessions.complete(session.id))
    assert (paid.status, paid.payment_status) == ("complete", "paid")


async def test_sandbox_errors_arrive_as_typed_errors(api: Api) -> None:
    client = api.sandbox()
    with pytest.raises(NotFoundError) as caught:
        await api.run(client.checkout_sessions.retrieve("cs_test_missing"))
    assert caught.value.request_id is not None
    with pytest.raises(AuthenticationError):
        await api.run(api.sandbox(api_key="pk_live_wrong").checkout_sessions.retrieve("cs_x"))


async def test_an_api_error_pickles_with_its_request_response_and_fields(api: Api) -> None:
    unknown_price = {**BODY, "line_items": [{"price": "price_test_missing", "quantity": 1}]}
    with pytest.raises(InvalidRequestError) as caught:
        await api.run(api.sandbox().checkout_sessions.create(**unknown_price))
    error = caught.value
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is InvalidRequestError
    assert str(copy) == str(error)
    assert (copy.status_code, copy.request_id, copy.code, copy.param, copy.body) == (
        error.status_code,
        error.request_id,
        error.code,
        error.param,
        error.body,
    )
    assert copy.request.content == error.request.content
    assert copy.response.json() == error.body


async def test_retries_through_sandbox_faults_create_exactly_one_session(api: Api) -> None:
    sandbox = Sandbox()
    client = api.sandbox(sandbox, max_retries=3)
    sandbox.fail_next(1, 503)
    sandbox.drop_after_commit(1)
    raw = await api.run(client.checkout_sessions.with_raw_response.create(**BODY))
    # 503, then a create committed but its response lost, then the replay of that create.
    assert raw.retries_taken == 2
    assert raw.idempotent_replayed is True
    assert sandbox.retrieve(raw.parse().id) == raw.parse()
    assert len(api.sleeps) == 2


async def test_sandbox_clients_share_a_sandbox_and_close_their_own_http_client(api: Api) -> None:
    sandbox = Sandbox()
    first, second = api.sandbox(sandbox), api.sandbox(sandbox)
    session = await api.run(first.checkout_sessions.create(**BODY))
    assert (await api.run(second.checkout_sessions.retrieve(session.id))).id == session.id
    await api.run(first.close())
    assert first._http_client.is_closed
