"""Several hosts on one PostgreSQL: ``kill -9`` of one mid-burst loses nothing acknowledged,
doubles nothing, and its in-flight key is let go after its lease, not before (2 processes
here; ``make soak`` runs 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.postgres import Postgres
from _support.reliability.hosts import check, kill_one_host_mid_burst, record
from _support.reliability.results import Tally

pytestmark = pytest.mark.slow


@pytest.mark.timeout(240)
def test_kill_9_of_one_host_loses_and_doubles_nothing_and_frees_its_key_after_the_lease(
    postgres: Postgres, tmp_path: Path, tally: Tally
) -> None:
    crash = kill_one_host_mid_burst(postgres.fresh(), 2, tmp_path, lease=5)

    check(crash)
    record(tally, 2, crash)
