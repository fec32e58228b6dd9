"""``leanrails.testing``: retries that wait 0 s, and a record of each retry, for any client."""

from __future__ import annotations

import threading
import time

import pytest

from leanrails import APIServerError, AsyncLeanRails, LeanRails
from leanrails.sandbox import Sandbox
from leanrails.testing import RetryRecord, record_retries, set_testing

from _support.sandbox import BASIC, FakeClock

SLOW_ENOUGH = 0.3
"""Two default retries wait at least 0.375 + 0.75 s; anything under this did not wait."""


def test_set_testing_removes_the_wait_but_keeps_the_retries(clock: FakeClock) -> None:
    with Sandbox(clock=clock) as sandbox, LeanRails.sandbox(sandbox) as client:
        sandbox.fail_next(2, 503)
        with set_testing():
            started = time.perf_counter()
            raw = client.checkout_sessions.with_raw_response.create(**BASIC)
            elapsed = time.perf_counter() - started

    assert raw.retries_taken == 2
    assert elapsed < SLOW_ENOUGH
    assert sandbox.session_count == 1


def test_set_testing_as_a_context_manager_restores_the_setting_before() -> None:
    with set_testing(), set_testing(False):
        pass
    with Sandbox() as sandbox, LeanRails.sandbox(sandbox, max_retries=1) as client:
        sandbox.fail_next(1, 503)
        started = time.perf_counter()
        client.checkout_sessions.create(**BASIC)
        assert time.perf_counter() - started >= 0.375  # the first backoff, slept for real


def test_max_wait_keeps_a_short_real_pause(clock: FakeClock) -> None:
    with Sandbox(clock=clock) as sandbox, LeanRails.sandbox(sandbox) as client:
        sandbox.fail_next(2, 503)
        with set_testing(max_wait=0.05):
            started = time.perf_counter()
            client.checkout_sessions.create(**BASIC)
            elapsed = time.perf_counter() - started

    assert 0.1 <= elapsed < SLOW_ENOUGH


def test_negative_max_wait_is_refused() -> None:
    with pytest.raises(ValueError, match="max_wait"):
        set_testing(max_wait=-1)


def test_record_retries_gives_attempt_wait_reason_and_key(clock: FakeClock) -> None:
    with (
        Sandbox(clock=clock) as sandbox,
        LeanRails.sandbox(sandbox, max_retries=3) as client,
        record_retries() as retries,
    ):
        started = time.perf_counter()
        sandbox.fail_next(2, 503)
        client.checkout_sessions.create(**BASIC, idempotency_key="order-1")
        sandbox.fail_next(1, 429, retry_after=2)
        client.checkout_sessions.create(**BASIC, idempotency_key="order-2")
        elapsed = time.perf_counter() - started

    assert elapsed < SLOW_ENOUGH  # nothing slept
    assert [(r.attempt, r.reason, r.idempotency_key) for r in retries] == [
        (1, "503", "order-1"),
        (2, "503", "order-1"),
        (1, "429", "order-2"),
    ]
    assert 0.375 <= retries[0].wait <= 0.5  # the backoff, with its jitter
    assert 0.75 <= retries[1].wait <= 1.0
    assert retries[2].wait == 2.0  # Retry-After, honoured


def test_record_retries_names_the_transport_error_and_the_call_still_fails() -> None:
    with (
        LeanRails(base_url="http://127.0.0.1:9", api_key="sk_test_x", max_retries=2) as client,
        record_retries() as retries,
        pytest.raises(Exception, match="no response"),
    ):
        client.checkout_sessions.retrieve("cs_test_1")

    assert [(r.attempt, r.reason, r.idempotency_key) for r in retries] == [
        (1, "ConnectError", None),
        (2, "ConnectError", None),
    ]


@pytest.mark.anyio
async def test_record_retries_covers_the_async_client(clock: FakeClock) -> None:
    with Sandbox(clock=clock) as sandbox:
        sandbox.fail_next(5, 500)
        async with AsyncLeanRails.sandbox(sandbox, max_retries=2) as client:
            with record_retries() as retries, pytest.raises(APIServerError):
                await client.checkout_sessions.create(**BASIC, idempotency_key="k")

    assert retries == [
        RetryRecord(1, retries[0].wait, "500", "k"),
        RetryRecord(2, retries[1].wait, "500", "k"),
    ]


def test_record_retries_is_process_wide_and_the_innermost_block_records(clock: FakeClock) -> None:
    with Sandbox(clock=clock) as sandbox, LeanRails.sandbox(sandbox) as client:
        sandbox.fail_next(1, 503)
        with record_retries() as outer, record_retries() as inner:
            worker = threading.Thread(target=client.checkout_sessions.create, kwargs=BASIC)
            worker.start()
            worker.join()
        sandbox.fail_next(1, 503)
        with record_retries() as after:
            client.checkout_sessions.create(**BASIC)

    assert (len(outer), len(inner), len(after)) == (0, 1, 1)
