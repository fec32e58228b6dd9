"""Fifty concurrent creates with one idempotency key make one session."""

from __future__ import annotations

import pytest

from leanrails import IdempotencyError
from leanrails.sandbox import Sandbox

from _support.reliability.races import same_key_creates
from _support.reliability.results import Tally
from _support.sandbox import FakeClock, LiveServer

pytestmark = pytest.mark.slow


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("max_retries", "hold"),
    [pytest.param(0, 0.3, id="no-retries"), pytest.param(12, 0.3, id="with-retries")],
)
async def test_fifty_concurrent_creates_with_one_key_make_one_session(
    live_server: LiveServer, tally: Tally, max_retries: int, hold: float
) -> None:
    n = 50
    with Sandbox(clock=FakeClock(), base_url=live_server.url) as sandbox:
        live_server.mount(sandbox)
        try:
            sandbox.delay_responses(hold, count=1)  # the first create is held mid-flight
            results = await same_key_creates(
                live_server.url, n, f"race-{max_retries}", max_retries=max_retries, spread=0.6
            )
            sessions = sandbox.session_count
        finally:
            sandbox.clear_faults()
            live_server.unmount()

    created = [r for r in results if not isinstance(r, Exception) and not r.idempotent_replayed]
    replayed = [r for r in results if not isinstance(r, Exception) and r.idempotent_replayed]
    conflicts = [r for r in results if isinstance(r, IdempotencyError)]
    others = [r for r in results if isinstance(r, Exception) and r not in conflicts]
    assert others == []
    assert all(c.status_code == 409 for c in conflicts)
    assert len(created) == 1
    assert len(created) + len(replayed) + len(conflicts) == n
    assert {r.parse().id for r in created + replayed} == {created[0].parse().id}
    assert sessions == 1
    if max_retries:
        assert conflicts == []
    else:
        assert conflicts
    tally.add(
        f"concurrency (50 same-key creates over HTTP, {'with' if max_retries else 'no'} retries)",
        requests=n,
        created=len(created),
        replayed=len(replayed),
        conflicts_409=len(conflicts),
        sessions=sessions,
        sessions_doubled=sessions - 1,
    )
