"""4 ``leanrails sandbox`` processes on one ``--db``, each paying, completing or expiring
the same 600 sessions at once: 0 sessions changed twice."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from _support.reliability.results import Tally, tally_for
from _support.reliability.transitions import LOSER, race

SESSIONS = 600


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Tally:
    return tally_for(request, "soak counts (make soak)", "soak.json")


@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    "actions",
    [("pay",), ("complete",), ("expire",), ("complete", "expire")],
    ids=["pay", "complete", "expire", "complete-vs-expire"],
)
def test_four_processes_change_each_of_600_sessions_once(
    tmp_path: Path, tally: Tally, actions: tuple[str, ...]
) -> None:
    started = time.monotonic()
    outcome = race(tmp_path, SESSIONS, actions)
    seconds = time.monotonic() - started

    assert outcome.twice() == []
    assert outcome.losers == {LOSER[actions[0]]: 3 * SESSIONS}
    tally.add(
        f"4 processes, {'/'.join(actions)}",
        sessions=SESSIONS,
        changed_twice=len(outcome.twice()),
        busy_retried=outcome.retried,
        wall_ms=round(seconds * 1000),
    )
