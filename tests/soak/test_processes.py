"""Several processes, one truth: N servers on one ``--db`` run each key exactly once."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from _support.reliability.processes import Answers, send_everywhere, servers


@pytest.mark.timeout(120)
def test_four_processes_on_one_db_make_one_session_per_key_and_replay_it(
    tmp_path: Path,
) -> None:
    db = tmp_path / "shared.db"
    keys = [f"proc-key-{n}" for n in range(500)]
    answers = Answers()

    with servers(db, 4, tmp_path) as urls:
        asyncio.run(send_everywhere(urls, keys, answers))

    with sqlite3.connect(db) as connection:
        sessions = connection.execute("SELECT count(*) FROM sessions").fetchone()[0]
    assert sessions == 500
    assert all(len(ids) == 4 and len(set(ids)) == 1 for ids in answers.ids.values())
    print(f"4 processes x 500 keys: {sessions} sessions, {answers.retried} 409/503 retried")
