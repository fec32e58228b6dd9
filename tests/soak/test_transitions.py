"""4 ``leanrails sandbox`` processes on one ``--db``, each paying, completing or expiring
the same 600 sessions at once: 0 sessions changed twice."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from _support.reliability.results import Tally, tally_for
from _support.reliability.transitions import RACES, check_once, race, record_race

SESSIONS = 600


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Tally:
    return tally_for(request, "soak counts (make soak)", "soak.json")


@pytest.mark.timeout(240)
@RACES
def test_four_processes_change_each_of_600_sessions_once(
    tmp_path: Path, tally: Tally, actions: tuple[str, ...]
) -> None:
    started = time.monotonic()
    outcome = race(tmp_path, SESSIONS, actions)
    seconds = time.monotonic() - started

    check_once(outcome)
    record_race(tally, "4 processes", outcome, wall_ms=round(seconds * 1000))
