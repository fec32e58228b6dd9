"""4 hosts' sandboxes on one PostgreSQL: ``kill -9`` of one mid-burst (2 in ``make test``),
and each of 600 sessions paid through the hosted page by all 4 at once: once."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.postgres import Postgres
from _support.reliability.hosts import check, kill_one_host_mid_burst, record
from _support.reliability.results import Tally, tally_for
from _support.reliability.transitions import check_once, race, record_race


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Tally:
    return tally_for(request, "soak counts (make soak)", "soak.json")


@pytest.mark.timeout(240)
def test_kill_9_of_one_of_four_hosts_loses_and_doubles_nothing_and_frees_its_key_after_the_lease(
    postgres: Postgres, tmp_path: Path, tally: Tally
) -> None:
    crash = kill_one_host_mid_burst(postgres.fresh(), 4, tmp_path, lease=5)

    check(crash)
    record(tally, 4, crash)


@pytest.mark.timeout(240)
def test_four_hosts_on_one_postgresql_paying_the_same_600_sessions_pay_each_once(
    postgres: Postgres, tmp_path: Path, tally: Tally
) -> None:
    # Paying only: completing and expiring share its one conditional write (make test).
    outcome = race(tmp_path, 600, ("pay",), db=postgres.fresh())

    check_once(outcome)
    record_race(tally, "4 hosts on one PostgreSQL", outcome)
