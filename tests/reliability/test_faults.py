"""Creates through injected faults and timeouts make exactly one session each."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from leanrails import AsyncLeanRails, LeanRails
from leanrails.sandbox import TEST_API_KEY, Sandbox
from leanrails.testing import record_retries, set_testing

from _support.reliability.faults import (
    FaultRun,
    assert_exactly_one_session_per_key,
    faulty_creates,
    inject,
    record_faults,
)
from _support.reliability.results import Tally
from _support.sandbox import BASIC, FakeClock, LiveServer

pytestmark = pytest.mark.slow


def test_creates_through_injected_faults_in_process_make_exactly_one_session_each(
    tmp_path: Path, tally: Tally
) -> None:
    k = 40
    db = tmp_path / "faults.db"
    with (
        Sandbox(clock=FakeClock(), db=db) as sandbox,
        LeanRails.sandbox(sandbox, max_retries=8) as client,
        record_retries() as sleeps,
    ):
        run = faulty_creates(client, sandbox, k, seed=1, timeouts=False)
        sessions = sandbox.session_count

    assert sessions == k
    assert len(set(run.ids.values())) == k
    assert run.retries == len(sleeps) > 0
    assert_exactly_one_session_per_key(db, run)
    record_faults(tally, "faults (in-process, sync)", run, sessions)


@pytest.mark.anyio
async def test_async_creates_through_injected_faults_make_exactly_one_session_each(
    tmp_path: Path, tally: Tally
) -> None:
    k = 25
    db = tmp_path / "faults.db"
    rng = random.Random(2)
    run = FaultRun()

    with Sandbox(clock=FakeClock(), db=db) as sandbox, set_testing():
        async with AsyncLeanRails.sandbox(sandbox, max_retries=8) as client:
            for index in range(k):
                inject(sandbox, rng, run, timeouts=False)
                key = f"async-order-{index}"
                raw = await client.checkout_sessions.with_raw_response.create(
                    **BASIC, client_reference_id=key, idempotency_key=key
                )
                run.retries += raw.retries_taken
                run.ids[key] = raw.parse().id
                sandbox.clear_faults()
        sessions = sandbox.session_count

    assert sessions == k
    assert_exactly_one_session_per_key(db, run)
    record_faults(tally, "faults (in-process, async)", run, sessions)


@pytest.mark.timeout(120)
def test_creates_through_faults_and_timeouts_over_http_make_exactly_one_session_each(
    live_server: LiveServer, tmp_path: Path, tally: Tally
) -> None:
    k = 24
    db = tmp_path / "faults.db"
    with Sandbox(clock=FakeClock(), db=db, base_url=live_server.url) as sandbox:
        live_server.mount(sandbox)
        try:
            with (
                set_testing(max_wait=0.05),
                LeanRails(api_key=TEST_API_KEY, base_url=live_server.url, max_retries=12) as client,
            ):
                run = faulty_creates(client, sandbox, k, seed=3, timeouts=True)
                for key, session_id in run.ids.items():
                    replay = client.checkout_sessions.with_raw_response.create(
                        **run.bodies[key], idempotency_key=key, max_retries=0
                    )
                    assert replay.idempotent_replayed
                    assert replay.parse().id == session_id
            sessions = sandbox.session_count
        finally:
            sandbox.clear_faults()
            live_server.unmount()

    assert run.faults["timeout"] > 0
    assert sessions == k
    assert_exactly_one_session_per_key(db, run)
    record_faults(tally, "faults (HTTP, with timeouts)", run, sessions)
