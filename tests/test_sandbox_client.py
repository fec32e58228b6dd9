"""The real clients against the sandbox, in-process (``LeanRails.sandbox``) and over HTTP.

These show the promise of the kit end to end: a client's retries against a misbehaving
server create exactly one session.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from leanrails import (
    AsyncLeanRails,
    AuthenticationError,
    InvalidRequestError,
    LeanRails,
    NotFoundError,
)
from leanrails.sandbox import TEST_API_KEY, Sandbox
from leanrails.testing import RetryRecord, record_retries

from _support.sandbox import BASIC, FakeClock, LiveServer


@dataclass
class Setup:
    client: LeanRails
    sandbox: Sandbox
    retries: list[RetryRecord] = field(default_factory=list)

    @property
    def sleeps(self) -> list[float]:
        return [retry.wait for retry in self.retries]


@pytest.fixture(
    params=[pytest.param("in_process", id="in-process"), pytest.param("http", id="http")]
)
def setup(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[Setup]:
    if request.param == "http":
        server: LiveServer = request.getfixturevalue("live_server")
        with Sandbox(clock=clock, base_url=server.url) as sandbox, record_retries() as retries:
            server.mount(sandbox)
            client = LeanRails(api_key=TEST_API_KEY, base_url=server.url)
            try:
                with client:
                    yield Setup(client, sandbox, retries)
            finally:
                sandbox.clear_faults()
                server.unmount()
    else:
        with (
            Sandbox(clock=clock) as sandbox,
            LeanRails.sandbox(sandbox) as client,
            record_retries() as retries,
        ):
            yield Setup(client, sandbox, retries)


def test_a_session_is_created_paid_and_read_back_through_the_client(setup: Setup) -> None:
    client = setup.client
    session = client.checkout_sessions.create(**BASIC)

    paid = client.test_helpers.checkout_sessions.complete(
        session.id, customer_details={"email": "jane@example.com", "name": "Jane"}
    )
    read = client.checkout_sessions.retrieve(session.id)

    assert session.status == "open"
    assert session.amount_total == 5200
    assert paid.status == read.status == "complete"
    assert read.payment_status == "paid"
    assert read.customer_details is not None
    assert read.customer_details.email == "jane@example.com"


def test_retries_through_injected_503s_create_exactly_one_session(setup: Setup) -> None:
    setup.sandbox.fail_next(2, 503)

    raw = setup.client.checkout_sessions.with_raw_response.create(**BASIC)

    assert raw.status_code == 200
    assert raw.retries_taken == 2
    assert setup.sandbox.session_count == 1
    assert len(setup.sleeps) == 2


def test_a_dropped_connection_after_commit_is_retried_into_the_same_session(setup: Setup) -> None:
    setup.sandbox.drop_after_commit()

    raw = setup.client.checkout_sessions.with_raw_response.create(**BASIC)

    assert raw.idempotent_replayed
    assert raw.retries_taken == 1
    assert setup.sandbox.session_count == 1


def test_retry_after_from_an_injected_429_is_honoured(setup: Setup) -> None:
    setup.sandbox.fail_next(1, 429, retry_after=7)

    setup.client.checkout_sessions.create(**BASIC)

    assert setup.sleeps == [7]


def test_an_expire_through_the_client_ends_the_session(setup: Setup) -> None:
    session = setup.client.checkout_sessions.create(**BASIC)

    expired = setup.client.checkout_sessions.expire(session.id)

    assert expired.status == "expired"


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        pytest.param(
            {"line_items": [{"quantity": 1, "price": "price_nope"}]},
            "line_items[0].price",
            id="unknown-price",
        ),
        pytest.param(
            {"line_items": [{"quantity": 1, "price": "price_test_monthly"}]},
            "line_items[0].price",
            id="recurring-price",
        ),
        pytest.param(
            {
                "line_items": [
                    {"quantity": 1, "price": "price_test_tshirt"},
                    {"quantity": 1, "price": "price_test_poster_eur"},
                ]
            },
            "line_items[1].price",
            id="two-currencies",
        ),
    ],
)
def test_server_side_rules_reach_the_caller_as_invalid_request_errors(
    setup: Setup, fields: dict[str, Any], param: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        setup.client.checkout_sessions.create(**{**BASIC, **fields})

    assert caught.value.param == param
    assert caught.value.request_id is not None
    assert setup.sleeps == []


def test_an_unknown_session_is_a_not_found_error(setup: Setup) -> None:
    with pytest.raises(NotFoundError):
        setup.client.checkout_sessions.retrieve("cs_test_nope")


def test_a_live_key_is_refused_over_http(live_server: LiveServer, clock: FakeClock) -> None:
    with Sandbox(clock=clock, base_url=live_server.url) as sandbox:
        live_server.mount(sandbox)
        try:
            client = LeanRails(api_key="sk_live_nope", base_url=live_server.url)
            with client, pytest.raises(AuthenticationError) as caught:
                client.checkout_sessions.create(**BASIC)
        finally:
            live_server.unmount()

    assert "sk_live_nope" not in str(caught.value)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_the_async_client_retries_a_dropped_create_into_one_session(
    clock: FakeClock,
) -> None:
    with Sandbox(clock=clock) as sandbox, record_retries() as retries:
        sandbox.drop_after_commit()
        sandbox.fail_next(1, 502)
        async with AsyncLeanRails.sandbox(sandbox) as client:
            raw = await client.checkout_sessions.with_raw_response.create(**BASIC)
            session = await client.test_helpers.checkout_sessions.complete(raw.parse().id)

        assert raw.idempotent_replayed
        assert session.payment_status == "paid"
        assert sandbox.session_count == 1
        assert len(retries) == 2


@pytest.mark.anyio
async def test_the_async_client_talks_to_the_http_server(
    live_server: LiveServer, clock: FakeClock
) -> None:
    with Sandbox(clock=clock, base_url=live_server.url) as sandbox:
        live_server.mount(sandbox)
        try:
            async with AsyncLeanRails(api_key=TEST_API_KEY, base_url=live_server.url) as client:
                session = await client.checkout_sessions.create(**BASIC)
                read = await client.checkout_sessions.retrieve(session.id)
        finally:
            live_server.unmount()

    assert read == session
    assert session.url == f"{live_server.url}/pay/{session.id}"
