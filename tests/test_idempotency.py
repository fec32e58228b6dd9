"""The Idempotency-Key, end to end: the keys the client sends, the records the sandbox keeps.

- the client (against a scripted server): a fresh key per create, refused keys never sent,
  one key for every retry of a create;
- the header at the sandbox (in-process and over HTTP): missing, invalid, 255 characters;
- the records: replays, a reused key with another body or endpoint, one record per API key,
  24 hours by the sandbox's clock, nothing stored for a refused request, 409 while in flight;
- with ``--db``: records survive a restart, still expire after it, and are purged;
- through the client against the sandbox: a reused key is an ``IdempotencyError``.

The attacks that count sessions per key (faults, races, ``kill -9``) are in
``tests/reliability/``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest

from leanrails import IdempotencyError, LeanRails
from leanrails.sandbox import IN_PROCESS_BASE_URL, TEST_API_KEY, Sandbox, SandboxTransport

from _support.client import BODY, CLIENT_KINDS, SESSION, scripted_api
from _support.client import Api as ScriptedApi
from _support.sandbox import BASIC, Api, FakeClock, assert_error, body, price_data
from _support.stores import DURABLE, database, query

pytestmark = pytest.mark.every_store  # the same tests on memory, SQLite and PostgreSQL


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=CLIENT_KINDS)
async def scripted(request: pytest.FixtureRequest) -> AsyncIterator[ScriptedApi]:
    async with scripted_api(is_async=request.param) as api:
        yield api


def leanrails_for(api: Api) -> LeanRails:
    """A client on the same sandbox as ``api``, in-process or over HTTP."""
    if api.mode == "http":
        return LeanRails(api_key=TEST_API_KEY, base_url=api.base_url)
    return LeanRails.sandbox(api.sandbox)


# -- the client's keys ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_generated_idempotency_key_is_a_fresh_uuid4_per_create(scripted: ScriptedApi) -> None:
    scripted.server.reply()
    client = scripted.client()
    await scripted.run(client.checkout_sessions.create(**BODY))
    await scripted.run(client.checkout_sessions.create(**BODY))
    first, second = scripted.server.keys
    assert first is not None
    assert second is not None
    assert uuid.UUID(first).version == 4
    assert uuid.UUID(second).version == 4
    assert first != second


@pytest.mark.anyio
@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("k" * 256, id="256-chars"),
        pytest.param("line\nbreak", id="control-char"),
        pytest.param("clé", id="non-ascii"),
    ],
)
async def test_bad_idempotency_key_fails_before_sending(scripted: ScriptedApi, key: str) -> None:
    with pytest.raises(ValueError, match="idempotency_key"):
        await scripted.run(scripted.client().checkout_sessions.create(**BODY, idempotency_key=key))
    assert scripted.server.requests == []


@pytest.mark.anyio
async def test_idempotency_key_of_255_chars_is_sent_as_given(scripted: ScriptedApi) -> None:
    scripted.server.reply()
    await scripted.run(
        scripted.client().checkout_sessions.create(**BODY, idempotency_key="k" * 255)
    )
    assert scripted.server.keys == ["k" * 255]


@pytest.mark.anyio
@pytest.mark.parametrize("status", [409, 429, 500, 502, 503, 504])
async def test_retried_status_is_retried_with_the_same_idempotency_key(
    scripted: ScriptedApi, status: int
) -> None:
    scripted.server.reply(status).reply(status).reply()
    session = await scripted.run(scripted.client().checkout_sessions.create(**BODY))
    assert session.id == SESSION["id"]
    assert len(scripted.server.requests) == 3
    assert len(set(scripted.server.keys)) == 1
    assert len(scripted.sleeps) == 2


@pytest.mark.anyio
async def test_a_caller_key_is_reused_on_every_retry(scripted: ScriptedApi) -> None:
    scripted.server.fail(httpx2.ConnectError("refused")).reply(500).reply()
    await scripted.run(
        scripted.client().checkout_sessions.create(**BODY, idempotency_key="order-6735")
    )
    assert scripted.server.keys == ["order-6735"] * 3
    assert len({request.content for request in scripted.server.requests}) == 1


# -- the header at the sandbox -------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "code"),
    [
        pytest.param(None, "parameter_missing", id="missing"),
        pytest.param("", "parameter_invalid", id="empty"),
        pytest.param("k" * 256, "parameter_invalid", id="256-characters"),
    ],
)
def test_a_missing_empty_or_overlong_idempotency_key_gets_400(
    api: Api, key: str | None, code: str
) -> None:
    response = api.create(BASIC, key=key)

    error = assert_error(response, 400, "invalid_request_error", code, "Idempotency-Key")
    assert "Idempotency-Key" in error["message"]
    assert api.sandbox.session_count == 0


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("commande-r\u00e9f-1042".encode("latin-1"), id="non-ascii"),
        pytest.param(b"key\x7f", id="control-character"),
    ],
)
def test_an_idempotency_key_the_client_would_refuse_gets_400(api: Api, key: bytes) -> None:
    response = api.client.post(
        "/v1/checkout_sessions", json=BASIC, headers={b"Idempotency-Key": key}
    )

    error = assert_error(
        response, 400, "invalid_request_error", "parameter_invalid", "Idempotency-Key"
    )
    assert "printable ASCII" in error["message"]
    assert api.sandbox.session_count == 0


def test_an_idempotency_key_of_255_characters_is_accepted(api: Api) -> None:
    assert api.create(BASIC, key="k" * 255).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/v1/checkout_sessions/{id}/expire", id="expire"),
        pytest.param("/v1/test_helpers/checkout_sessions/{id}/complete", id="complete"),
        pytest.param("/v1/test_helpers/faults", id="faults"),
    ],
)
def test_every_post_under_v1_needs_an_idempotency_key(api: Api, path: str) -> None:
    session_id = api.create(BASIC).json()["id"]

    response = api.post(path.format(id=session_id), {}, key=None)

    assert_error(response, 400, "invalid_request_error", "parameter_missing", "Idempotency-Key")


# -- the sandbox's records -----------------------------------------------------------------


def test_a_retry_with_the_same_key_and_body_replays_the_first_response_exactly(api: Api) -> None:
    first = api.create(BASIC, key="order-1")
    again = api.create(BASIC, key="order-1")

    assert again.status_code == first.status_code == 200
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["original-request"] == first.headers["request-id"]
    assert again.headers["request-id"] != first.headers["request-id"]
    assert "idempotent-replayed" not in first.headers
    assert api.sandbox.session_count == 1


def test_a_replay_returns_the_first_response_even_after_the_session_changed(api: Api) -> None:
    first = api.create(BASIC, key="order-1")
    api.sandbox.complete(first.json()["id"])

    again = api.create(BASIC, key="order-1")

    assert again.json()["status"] == "open"
    assert again.content == first.content


def test_the_same_key_with_a_different_body_gets_400_idempotency_error(api: Api) -> None:
    api.create(BASIC, key="order-1")

    response = api.create(body(client_reference_id="other"), key="order-1")

    assert_error(response, 400, "idempotency_error", "idempotency_key_reused")
    assert api.sandbox.session_count == 1


def test_the_same_key_on_another_endpoint_gets_400_idempotency_error(api: Api) -> None:
    session_id = api.create(BASIC, key="shared").json()["id"]

    response = api.post(f"/v1/checkout_sessions/{session_id}/expire", {}, key="shared")

    assert_error(response, 400, "idempotency_error")


def test_idempotency_records_are_scoped_per_api_key(api: Api) -> None:
    first = api.create(BASIC, key="order-1")
    other = api.create(BASIC, key="order-1", auth=("sk_test_other", ""))

    assert other.status_code == 200
    assert "idempotent-replayed" not in other.headers
    assert other.json()["id"] != first.json()["id"]


@pytest.mark.parametrize(
    ("elapsed", "replayed"),
    [
        pytest.param(24 * 3600 - 1, True, id="just-under-24h"),
        pytest.param(24 * 3600, False, id="24h"),
    ],
)
def test_idempotency_records_are_kept_for_24_hours_by_the_clock(
    api: Api, elapsed: int, replayed: bool
) -> None:
    first = api.create(body(line_items=[{"quantity": 1, "price_data": price_data()}]), key="k")
    api.clock.advance(elapsed)

    again = api.create(body(line_items=[{"quantity": 1, "price_data": price_data()}]), key="k")

    assert again.status_code == 200
    assert (again.content == first.content) is replayed
    assert ("idempotent-replayed" in again.headers) is replayed


def test_a_request_that_failed_validation_stores_nothing_so_the_key_can_be_reused(
    api: Api,
) -> None:
    failed = api.create(body(line_items=[]), key="order-1")
    fixed = api.create(BASIC, key="order-1")

    assert failed.status_code == 400
    assert fixed.status_code == 200
    assert "idempotent-replayed" not in fixed.headers


def test_a_second_request_while_the_first_is_in_flight_gets_409(api: Api) -> None:
    api.sandbox.delay_responses(30, count=1)
    results: list[httpx2.Response] = []
    first = threading.Thread(target=lambda: results.append(api.create(BASIC, key="slow")))
    first.start()
    try:
        deadline = time.monotonic() + 10
        while api.sandbox.in_flight == 0 and time.monotonic() < deadline:
            time.sleep(0.002)
        assert api.sandbox.in_flight == 1

        second = api.create(BASIC, key="slow")

        assert_error(second, 409, "idempotency_error", "idempotency_key_in_use")
    finally:
        api.sandbox.clear_faults()
        first.join(10)
    assert results[0].status_code == 200
    assert api.create(BASIC, key="slow").headers["idempotent-replayed"] == "true"


# -- with --db -----------------------------------------------------------------------------


@pytest.fixture(params=DURABLE)
def durable(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path | None:
    """A SQLite file or a PostgreSQL schema, each sandbox of the test opening it anew."""
    return database(request.param, request, tmp_path)


def client_for(sandbox: Sandbox) -> httpx2.Client:
    return httpx2.Client(
        transport=SandboxTransport(sandbox), base_url=IN_PROCESS_BASE_URL, auth=(TEST_API_KEY, "")
    )


def test_sessions_and_idempotency_records_survive_a_restart(
    durable: str | Path | None, clock: FakeClock
) -> None:
    db = durable
    with Sandbox(clock=clock, db=db) as sandbox, client_for(sandbox) as client:
        first = client.post("/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": "k"})
        paid = client.post("/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": "p"})
        sandbox.complete(paid.json()["id"])

    with Sandbox(clock=clock, db=db) as sandbox, client_for(sandbox) as client:
        replay = client.post("/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": "k"})
        read = client.get(f"/v1/checkout_sessions/{paid.json()['id']}")
        count = sandbox.session_count

    assert replay.content == first.content
    assert replay.headers["idempotent-replayed"] == "true"
    assert read.json()["status"] == "complete"
    assert count == 2


def test_records_restored_from_a_database_still_expire_after_24_hours(
    durable: str | Path | None, clock: FakeClock
) -> None:
    db = durable
    with Sandbox(clock=clock, db=db) as sandbox, client_for(sandbox) as client:
        client.post("/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": "k"})
    clock.advance(24 * 3600)

    with Sandbox(clock=clock, db=db) as sandbox, client_for(sandbox) as client:
        again = client.post("/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": "k"})

    assert "idempotent-replayed" not in again.headers


def test_old_idempotency_records_are_purged_as_the_clock_moves(
    durable: str | Path | None, clock: FakeClock
) -> None:
    db = durable
    with Sandbox(clock=clock, db=db) as sandbox, client_for(sandbox) as client:
        client.post("/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": "old"})
        clock.advance(25 * 3600)
        client.post("/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": "new"})

    assert db is not None
    assert query(db, "SELECT key FROM {idempotency}") == [("new",)]


# -- through the client --------------------------------------------------------------------


def test_reusing_a_key_with_another_body_is_an_idempotency_error(api: Api) -> None:
    with leanrails_for(api) as client:
        client.checkout_sessions.create(**BASIC, idempotency_key="order-7")

        with pytest.raises(IdempotencyError):
            client.checkout_sessions.create(
                **BASIC, client_reference_id="changed", idempotency_key="order-7"
            )
