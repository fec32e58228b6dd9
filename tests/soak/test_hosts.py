"""4 hosts' sandboxes on one PostgreSQL, ``kill -9`` of one mid-burst (2 in ``make test``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.postgres import Postgres
from _support.reliability.hosts import check, kill_one_host_mid_burst, record
from _support.reliability.results import Tally, tally_for


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Tally:
    return tally_for(request, "soak counts (make soak)", "soak.json")


@pytest.mark.timeout(240)
def test_kill_9_of_one_of_four_hosts_loses_and_doubles_nothing_and_frees_its_key_after_the_lease(
    postgres: Postgres, tmp_path: Path, tally: Tally
) -> None:
    crash = kill_one_host_mid_burst(postgres.fresh(), 4, tmp_path, lease=3)

    check(crash)
    record(tally, 4, crash)
