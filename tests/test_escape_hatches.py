"""Escape hatches, as the peers have them: what the kit does not know can still be sent.

Every call takes ``extra_headers``, ``extra_query`` and ``extra_body``; clients take
``default_headers`` and ``with_options(...)`` copies them; no path drops a field silently.
Each test goes through the real client to the real sandbox.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from pydantic import ValidationError

from leanrails import (
    AsyncLeanRails,
    CheckoutSessionCreateParams,
    InvalidRequestError,
    LeanRails,
    to_curl,
)
from leanrails._display import request_html
from leanrails.sandbox import IN_PROCESS_BASE_URL, TEST_API_KEY, Sandbox, SandboxTransport

BODY: dict[str, Any] = {
    "mode": "payment",
    "line_items": [{"quantity": 2, "price": "price_test_tshirt"}],
    "success_url": "https://example.com/success",
}


@pytest.fixture
def newer_sandbox() -> Sandbox:
    """A sandbox that plays a newer server: it accepts parameters the kit does not know."""
    return Sandbox(accept_unknown_params=True)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorded:
    """A client on a sandbox, and every request that reached the sandbox's transport."""

    def __init__(self, sandbox: Sandbox, **options: Any) -> None:
        self.requests: list[httpx2.Request] = []
        self.http = httpx2.Client(
            transport=SandboxTransport(sandbox), event_hooks={"request": [self.requests.append]}
        )
        self.client = LeanRails(
            TEST_API_KEY, base_url=IN_PROCESS_BASE_URL, http_client=self.http, **options
        )

    @property
    def last(self) -> httpx2.Request:
        return self.requests[-1]


@pytest.fixture
def recorded(newer_sandbox: Sandbox) -> Iterator[Recorded]:
    recorded = Recorded(newer_sandbox)
    with recorded.http:
        yield recorded


# ------------------------------------------------------------------------ extra_body


def test_a_parameter_the_kit_does_not_know_reaches_a_server_that_knows_it(
    newer_sandbox: Sandbox,
) -> None:
    with LeanRails.sandbox(newer_sandbox) as client:
        session = client.checkout_sessions.create(**BODY, extra_body={"locale": "fr"})
        again = client.checkout_sessions.retrieve(session.id)
    assert session.model_extra == {"locale": "fr"}
    assert again.model_extra == {"locale": "fr"}


@pytest.mark.anyio
async def test_the_async_client_sends_extra_body_too(newer_sandbox: Sandbox) -> None:
    async with AsyncLeanRails.sandbox(newer_sandbox) as client:
        session = await client.checkout_sessions.create(**BODY, extra_body={"locale": "fr"})
    assert session.model_extra == {"locale": "fr"}


def test_extra_body_is_sent_unvalidated_and_a_server_that_does_not_know_it_refuses_it() -> None:
    with LeanRails.sandbox() as client, pytest.raises(InvalidRequestError) as caught:
        client.checkout_sessions.create(**BODY, extra_body={"locale": "fr"})
    assert caught.value.param == "locale"


def test_extra_body_shows_in_the_built_request_its_curl_and_its_display() -> None:
    with LeanRails.sandbox() as client:
        request = client.checkout_sessions.build(**BODY, extra_body={"locale": "fr"})
    assert json.loads(request.content) == {**BODY, "locale": "fr"}
    assert '"locale": "fr"' in to_curl(request)
    assert "locale" in request_html(request)


def test_extra_body_replaces_a_validated_top_level_key_of_the_same_name() -> None:
    with LeanRails.sandbox() as client:
        request = client.checkout_sessions.build(**BODY, extra_body={"success_url": "x"})
    assert json.loads(request.content)["success_url"] == "x"


def test_extra_body_goes_with_a_params_model_too() -> None:
    with LeanRails.sandbox() as client:
        params = CheckoutSessionCreateParams(**BODY)
        request = client.checkout_sessions.build(params, extra_body={"locale": "fr"})
    assert json.loads(request.content)["locale"] == "fr"


def test_extra_body_must_be_a_mapping() -> None:
    with LeanRails.sandbox() as client, pytest.raises(TypeError, match="extra_body must be"):
        client.checkout_sessions.build(**BODY, extra_body=[("locale", "fr")])  # type: ignore[arg-type]


def test_extra_body_on_a_call_without_a_body_is_sent_as_one(recorded: Recorded) -> None:
    session = recorded.client.checkout_sessions.create(**BODY)
    recorded.client.checkout_sessions.retrieve(session.id, extra_body={"expand": ["x"]})
    assert recorded.last.method == "GET"
    assert json.loads(recorded.last.content) == {"expand": ["x"]}


# ------------------------------------------------------------------------ every call


def _calls(client: LeanRails) -> dict[str, Callable[..., Any]]:
    """Each call of the client, ready to run with only request options added."""
    create = client.checkout_sessions.with_raw_response.create

    def with_session(call: Callable[..., Any]) -> Callable[..., Any]:
        def run(**options: Any) -> Any:
            return call(client.checkout_sessions.create(**BODY).id, **options)

        return run

    return {
        "create": lambda **options: create(**BODY, **options),
        "retrieve": with_session(client.checkout_sessions.with_raw_response.retrieve),
        "expire": with_session(client.checkout_sessions.with_raw_response.expire),
        "complete": with_session(client.test_helpers.checkout_sessions.with_raw_response.complete),
    }


@pytest.mark.parametrize("call", ["create", "retrieve", "expire", "complete"])
def test_every_call_takes_extra_headers_and_extra_query(recorded: Recorded, call: str) -> None:
    raw = _calls(recorded.client)[call](
        extra_headers={"X-API-Version": "2027-01-01", "X-Trace": "t-1"},
        extra_query={"trace": "t-1"},
    )
    assert raw.headers["x-api-version"] == "2027-01-01"  # the sandbox echoes it: it got it
    assert recorded.last.headers["x-trace"] == "t-1"
    assert recorded.last.url.params["trace"] == "t-1"


@pytest.mark.parametrize("call", ["create", "expire", "complete"])
def test_every_post_sends_extra_body_and_a_server_that_does_not_know_it_says_so(
    call: str,
) -> None:
    with LeanRails.sandbox() as client, pytest.raises(InvalidRequestError) as caught:
        _calls(client)[call](extra_body={"note": "sent"})
    assert (caught.value.code, caught.value.param) == ("parameter_unknown", "note")


def test_extra_headers_replace_a_header_of_the_same_name_in_any_case(recorded: Recorded) -> None:
    recorded.client.checkout_sessions.create(**BODY, extra_headers={"user-agent": "shop/1.0"})
    assert recorded.last.headers.get_list("user-agent") == ["shop/1.0"]


def test_extra_query_shows_in_curl() -> None:
    with LeanRails.sandbox() as client:
        request = client.checkout_sessions.build(**BODY, extra_query={"expand": "line_items"})
    assert "/v1/checkout_sessions?expand=line_items" in to_curl(request)


# ------------------------------------------------------------------------ client settings


def test_default_headers_go_with_every_request_and_a_call_can_replace_one(
    newer_sandbox: Sandbox,
) -> None:
    recorded = Recorded(newer_sandbox, default_headers={"X-Shop": "lean", "X-Trace": "default"})
    client = recorded.client
    with recorded.http:
        client.checkout_sessions.create(**BODY)
        assert recorded.last.headers["x-shop"] == "lean"
        client.checkout_sessions.create(**BODY, extra_headers={"X-Trace": "call"})
    assert recorded.last.headers.get_list("x-trace") == ["call"]
    assert recorded.last.headers["x-shop"] == "lean"


def test_with_options_gives_a_copy_with_other_settings(recorded: Recorded) -> None:
    client = recorded.client
    copy = client.with_options(max_retries=0, api_version="2027-01-01")
    assert (copy.max_retries, copy.api_version) == (0, "2027-01-01")
    assert (client.max_retries, client.api_version) == (2, None)
    assert (copy.api_key, copy.base_url, copy.timeout) == (
        client.api_key,
        client.base_url,
        client.timeout,
    )
    copy.checkout_sessions.create(**BODY)
    assert recorded.last.headers["x-api-version"] == "2027-01-01"


def test_with_options_adds_default_headers_to_the_clients(newer_sandbox: Sandbox) -> None:
    recorded = Recorded(newer_sandbox, default_headers={"X-Shop": "lean"})
    client = recorded.client
    with recorded.http:
        copy = client.with_options(default_headers={"X-Trace": "t-1"})
        copy.checkout_sessions.create(**BODY)
    assert copy.default_headers == {"X-Shop": "lean", "X-Trace": "t-1"}
    assert client.default_headers == {"X-Shop": "lean"}
    assert recorded.last.headers["x-shop"] == "lean"
    assert recorded.last.headers["x-trace"] == "t-1"


def test_a_copy_shares_the_http_client_and_closing_it_leaves_the_original_working() -> None:
    sandbox = Sandbox()
    with LeanRails.sandbox(sandbox) as client:
        with client.with_options(timeout=5.0) as copy:
            copy.checkout_sessions.create(**BODY)
        client.checkout_sessions.create(**BODY)
    assert sandbox.session_count == 2


@pytest.mark.anyio
async def test_the_async_client_has_with_options_too() -> None:
    async with AsyncLeanRails.sandbox() as client:
        copy = client.with_options(max_retries=0)
        session = await copy.checkout_sessions.create(**BODY)
    assert isinstance(copy, AsyncLeanRails)
    assert session.status == "open"


# ------------------------------------------------------------------------ nothing dropped


def test_model_copy_refuses_a_field_the_model_does_not_know() -> None:
    params = CheckoutSessionCreateParams(**BODY)
    with pytest.raises(ValidationError) as caught:
        params.model_copy(update={"locale": "fr"})
    assert [error["type"] for error in caught.value.errors()] == ["extra_forbidden"]


def test_model_copy_validates_what_it_updates() -> None:
    params = CheckoutSessionCreateParams(**BODY)
    assert params.model_copy(update={"currency": "eur"}).to_api()["currency"] == "eur"
    with pytest.raises(ValidationError, match="currency"):
        params.model_copy(update={"currency": 5})


def test_model_copy_without_update_is_a_plain_copy() -> None:
    params = CheckoutSessionCreateParams(**BODY)
    assert params.model_copy() == params


def test_a_newer_server_never_lets_a_parameter_replace_a_session_field(
    newer_sandbox: Sandbox,
) -> None:
    with LeanRails.sandbox(newer_sandbox) as client:
        session = client.checkout_sessions.create(**BODY, extra_body={"status": "complete"})
    assert session.status == "open"
