"""After ``kill -9`` under load, nothing acknowledged is lost and retries double nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.reliability.crash import crash_cycles
from _support.reliability.results import Tally
from _support.stores import DURABLE, database

pytestmark = pytest.mark.slow


@pytest.mark.timeout(180)
@pytest.mark.parametrize("kind", DURABLE)
def test_after_kill_9_every_acknowledged_create_survives_and_retries_make_no_doubles(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, tally: Tally
) -> None:
    db = database(kind, request, tmp_path)
    assert db is not None
    log, recoveries, sessions = crash_cycles(db, tmp_path, cycles=1)
    (recovery,) = recoveries

    assert len(log.ok) >= 30
    assert recovery.lost == []
    assert recovery.retrievable == len(log.ok)
    assert sessions == len(log.ok) + len(log.failed)  # one per key, no more
    tally.add(
        f"restart (kill -9 under load, --db {kind})",
        kills=1,
        creates_acknowledged=len(log.ok),
        creates_failed_at_kill=len(log.failed),
        committed_before_crash=recovery.committed_before_crash,
        created_on_retry=recovery.created_on_retry,
        sessions_lost=len(recovery.lost),
        sessions_doubled=sessions - len(log.ok) - len(log.failed),
    )
