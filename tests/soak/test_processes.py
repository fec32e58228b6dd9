"""Several processes, one truth: N servers on one ``--db`` (SQLite, or PostgreSQL as several
hosts share it) run each key exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from _support.reliability.processes import Answers, send_everywhere, servers
from _support.stores import DURABLE, count_sessions, database


@pytest.mark.timeout(180)
@pytest.mark.parametrize("kind", DURABLE)
def test_four_processes_on_one_db_make_one_session_per_key_and_replay_it(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    db = database(kind, request, tmp_path)
    assert db is not None
    keys = [f"proc-key-{n}" for n in range(500)]
    answers = Answers()

    with servers(db, 4, tmp_path) as urls:
        asyncio.run(send_everywhere(urls, keys, answers))

    sessions = count_sessions(db)
    assert sessions == 500
    assert all(len(ids) == 4 and len(set(ids)) == 1 for ids in answers.ids.values())
    print(f"4 processes x 500 keys on {kind}: {sessions} sessions, {answers.retried} retried")
