"""One key cannot lock the others out of a real ``leanrails sandbox``: its delay fault holds
only its own share of the server, and its ``clear`` always gets through."""

from __future__ import annotations

from pathlib import Path

import pytest

from leanrails.sandbox._asgi import MAX_REQUESTS
from leanrails.sandbox._shares import MAX_REQUESTS_PER_ACCOUNT

from _support.reliability.lockout import attack
from _support.reliability.processes import servers
from _support.reliability.results import Tally

pytestmark = pytest.mark.slow


@pytest.mark.timeout(180)
@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_key_holding_its_longest_delay_over_many_connections_locks_no_one_out(
    tmp_path: Path, tally: Tally, store: str
) -> None:
    requests = MAX_REQUESTS + 50  # more than the whole server answers at once
    db = tmp_path / "s.db" if store == "sqlite" else None

    with servers(db, 1, tmp_path) as (url,):
        result = attack(url, requests)

    assert result.other_create == 200
    assert result.index_page == 200
    assert result.attackers_clear == 200
    # The attacker's own share was held (and answered once cleared); the rest were turned
    # away at once: past its share, or past the server's cap while the burst arrived.
    assert result.attacker.pop("200") == MAX_REQUESTS_PER_ACCOUNT
    assert set(result.attacker) <= {"429 account_busy", "503 server_busy"}
    tally.add(
        f"lockout ({store}): {requests} held requests of one key",
        first_create_ms=round(result.other_create_ms),
        held_create_ms=round(result.steady_create_ms),
    )
