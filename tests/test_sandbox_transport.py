"""The in-process httpx2 transports, sync and async: no socket, no thread."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest

from leanrails.sandbox import (
    IN_PROCESS_BASE_URL,
    TEST_API_KEY,
    AsyncSandboxTransport,
    Sandbox,
    SandboxRequest,
    SandboxTransport,
)

from _support.sandbox import BASIC, FakeClock


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


HEADERS = {"Idempotency-Key": "order-1"}


def test_the_sync_transport_opens_no_socket_and_starts_no_thread(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_sockets(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the in-process transport opened a socket")

    monkeypatch.setattr(socket, "socket", no_sockets)
    threads = threading.active_count()
    with httpx2.Client(
        transport=SandboxTransport(sandbox), base_url=IN_PROCESS_BASE_URL, auth=(TEST_API_KEY, "")
    ) as client:
        response = client.post("/v1/checkout_sessions", json=BASIC, headers=HEADERS)

    assert response.status_code == 200
    assert threading.active_count() == threads


@pytest.mark.anyio
async def test_the_async_transport_answers_like_the_sync_one(sandbox: Sandbox) -> None:
    async with httpx2.AsyncClient(
        transport=AsyncSandboxTransport(sandbox),
        base_url=IN_PROCESS_BASE_URL,
        auth=(TEST_API_KEY, ""),
    ) as client:
        created = await client.post("/v1/checkout_sessions", json=BASIC, headers=HEADERS)
        replayed = await client.post("/v1/checkout_sessions", json=BASIC, headers=HEADERS)
        read = await client.get(f"/v1/checkout_sessions/{created.json()['id']}")

    assert created.status_code == 200
    assert replayed.content == created.content
    assert replayed.headers["idempotent-replayed"] == "true"
    assert read.json() == created.json()


@pytest.mark.anyio
async def test_the_async_transport_raises_a_protocol_error_on_drop_after_commit(
    sandbox: Sandbox,
) -> None:
    sandbox.drop_after_commit()
    async with httpx2.AsyncClient(
        transport=AsyncSandboxTransport(sandbox),
        base_url=IN_PROCESS_BASE_URL,
        auth=(TEST_API_KEY, ""),
    ) as client:
        with pytest.raises(httpx2.RemoteProtocolError, match="committed"):
            await client.post("/v1/checkout_sessions", json=BASIC, headers=HEADERS)

    assert sandbox.session_count == 1


@pytest.mark.anyio
async def test_an_async_delay_sleeps_without_blocking_the_event_loop(sandbox: Sandbox) -> None:
    sandbox.delay_responses(30, count=1)
    ticks = 0
    statuses: list[int] = []

    async with httpx2.AsyncClient(
        transport=AsyncSandboxTransport(sandbox),
        base_url=IN_PROCESS_BASE_URL,
        auth=(TEST_API_KEY, ""),
    ) as client:

        async def create() -> None:
            response = await client.post("/v1/checkout_sessions", json=BASIC, headers=HEADERS)
            statuses.append(response.status_code)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(create)
            while sandbox.in_flight == 0:
                await anyio.sleep(0)
            conflict = await client.post("/v1/checkout_sessions", json=BASIC, headers=HEADERS)
            for _ in range(3):
                ticks += 1
                await anyio.sleep(0)
            sandbox.clear_faults()

    assert conflict.status_code == 409
    assert ticks == 3
    assert statuses == [200]


def test_the_sync_transport_reads_the_query_and_path_apart(sandbox: Sandbox) -> None:
    with httpx2.Client(
        transport=SandboxTransport(sandbox), base_url=IN_PROCESS_BASE_URL, auth=(TEST_API_KEY, "")
    ) as client:
        created = client.post("/v1/checkout_sessions", json=BASIC, headers=HEADERS).json()
        read = client.get(f"/v1/checkout_sessions/{created['id']}", params={"expand": "x"})

    assert read.status_code == 200


def test_the_engine_answers_a_plain_request_without_any_transport(clock: FakeClock) -> None:
    with Sandbox(clock=clock) as sandbox:
        answer = sandbox.handle(SandboxRequest("GET", "/openapi.yaml"))

    assert answer.status == 200
    assert answer.header("request-id") is not None
    assert answer.body.startswith(b"openapi: 3.1")


def test_repeated_request_headers_keep_the_first_value() -> None:
    request = SandboxRequest("GET", "/", headers=(("X-A", "1"), ("x-a", "2")))

    assert request.header("X-A") == "1"
    assert SandboxRequest("GET", "/", headers=(("K", " v\t"),)).header("k") == "v"
    assert request.header("missing") is None


@pytest.fixture
def shared(clock: FakeClock) -> Iterator[Sandbox]:
    with Sandbox(clock=clock) as sandbox:
        yield sandbox


def test_two_clients_on_one_sandbox_share_its_state(shared: Sandbox) -> None:
    def client() -> httpx2.Client:
        return httpx2.Client(
            transport=SandboxTransport(shared),
            base_url=IN_PROCESS_BASE_URL,
            auth=(TEST_API_KEY, ""),
        )

    with client() as first, client() as second:
        created = first.post("/v1/checkout_sessions", json=BASIC, headers=HEADERS).json()
        read = second.get(f"/v1/checkout_sessions/{created['id']}")

    assert read.json() == created
