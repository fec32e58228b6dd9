"""Real limits: no server can make the client hold more than ``max_response_bytes`` or keep
an attempt past its timeout. Each attack runs against a hostile server on 127.0.0.1, through
the real client, sync and async. Nothing here is timed: a call that is not bounded would
run until the hang guard, and fail on what it returned."""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

import httpx2
import pytest

from leanrails import (
    APIResponseTooLargeError,
    APITimeoutError,
    AsyncLeanRails,
    LeanRails,
    LeanRailsError,
)

from _support.client import CLIENT_KINDS, KEY
from _support.hostile import (
    SESSION_BYTES,
    endless,
    fixed,
    hostile_server,
    response_bytes,
    trickle,
)

MIB = 1024 * 1024

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=CLIENT_KINDS)
def is_async(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


async def _retrieve(is_async: bool, **kwargs: Any) -> Any:
    call: dict[str, Any] = {}
    if "timeout" in kwargs:
        call["timeout"] = kwargs.pop("timeout")
    if is_async:
        async with AsyncLeanRails(api_key=KEY, max_retries=0, **kwargs) as client:
            return await client.checkout_sessions.retrieve("cs_test_a1b2c3", **call)
    with LeanRails(api_key=KEY, max_retries=0, **kwargs) as client:
        return client.checkout_sessions.retrieve("cs_test_a1b2c3", **call)


async def test_an_endless_body_fails_typed_and_memory_stays_bounded(is_async: bool) -> None:
    with hostile_server(endless()) as server:
        tracemalloc.start()
        try:
            with pytest.raises(APIResponseTooLargeError) as caught:
                await _retrieve(is_async, base_url=server.url, max_response_bytes=MIB)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    # Without the cap the client reads until memory runs out (300 MB reached 2 GB).
    assert peak < 4 * MIB
    assert isinstance(caught.value, LeanRailsError)
    assert "max_response_bytes=1,048,576" in str(caught.value)
    assert server.connections == 1  # not retried: the next answer would be as large


async def test_the_default_cap_is_10_mib_and_a_declared_length_over_it_is_not_read(
    is_async: bool,
) -> None:
    huge = response_bytes(200, b"", {"Content-Length": str(11 * MIB)}).replace(
        b"Content-Length: 0\r\n", b""
    )

    def answer(conn: Any, received: Any, server: Any) -> None:
        conn.sendall(huge)
        server.stop.wait(10)  # the body never comes: the client must not wait for it

    with hostile_server(answer) as server, pytest.raises(APIResponseTooLargeError):
        await _retrieve(is_async, base_url=server.url)


async def test_a_response_under_the_cap_is_read_whole(is_async: bool) -> None:
    with hostile_server(fixed(200, SESSION_BYTES)) as server:
        session = await _retrieve(
            is_async, base_url=server.url, max_response_bytes=len(SESSION_BYTES)
        )
        assert session.id == json.loads(SESSION_BYTES)["id"]
        with pytest.raises(APIResponseTooLargeError):
            await _retrieve(
                is_async, base_url=server.url, max_response_bytes=len(SESSION_BYTES) - 1
            )


@pytest.mark.parametrize("whole", [True, False], ids=["head-and-body", "body"])
async def test_a_trickling_server_cannot_stretch_an_attempt_past_its_timeout(
    is_async: bool, whole: bool
) -> None:
    # A byte every 50 ms is within any read timeout; the whole answer would take about 90 s.
    with hostile_server(trickle(0.05, whole=whole)) as server:
        with pytest.raises(APITimeoutError):
            await _retrieve(is_async, base_url=server.url, timeout=0.5)
        sent = server.sent
    assert sent < len(SESSION_BYTES)  # it gave up long before the answer was complete


def test_max_response_bytes_is_a_setting_with_options_keeps() -> None:
    with LeanRails(api_key=KEY, base_url="http://127.0.0.1:9", max_response_bytes=2048) as c:
        assert c.with_options(max_retries=0).max_response_bytes == 2048
        assert c.with_options(max_response_bytes=10).max_response_bytes == 10
    with pytest.raises(LeanRailsError):
        LeanRails(api_key=KEY, max_response_bytes=0)


def test_through_an_http_client_of_yours_the_deadline_still_ends_a_trickled_body() -> None:
    # The client cannot bound your transport's sockets; it checks the clock between chunks.
    with (
        hostile_server(trickle(0.05, whole=False)) as server,
        httpx2.Client() as http_client,
        LeanRails(api_key=KEY, base_url=server.url, max_retries=0, http_client=http_client) as c,
        pytest.raises(APITimeoutError),
    ):
        c.checkout_sessions.retrieve("cs_test_a1b2c3", timeout=0.5)
