"""A session changes state once: 4 ``leanrails sandbox`` processes on one ``--db``, each
paying, completing or expiring the same sessions at once (and threads in one process)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx2
import pytest

from leanrails.sandbox import TEST_API_KEY, Sandbox, create_app

from _support.reliability.results import Tally
from _support.reliability.transitions import RACES, check_once, race, record_race
from _support.sandbox import BASIC

pytestmark = pytest.mark.slow

SESSIONS = 150
"""Per test here; ``tests/soak/test_transitions.py`` runs 600."""


@pytest.mark.timeout(300)
@RACES
def test_four_processes_changing_the_same_sessions_change_each_once(
    tmp_path: Path, tally: Tally, actions: tuple[str, ...]
) -> None:
    outcome = race(tmp_path, SESSIONS, actions)

    check_once(outcome)
    record_race(tally, "4 processes", outcome)


def test_threads_completing_one_in_memory_session_through_the_app_complete_it_once() -> None:
    """One process, memory store: 8 threads, each with its own event loop, complete the
    same sessions through the ASGI app at once."""
    app = create_app(Sandbox())

    def client() -> httpx2.AsyncClient:
        transport = httpx2.ASGITransport(app)
        return httpx2.AsyncClient(transport=transport, base_url="http://t", auth=(TEST_API_KEY, ""))

    async def create() -> list[str]:
        async with client() as api:
            answers = [
                await api.post(
                    "/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": f"c{n}"}
                )
                for n in range(50)
            ]
        return [answer.json()["id"] for answer in answers]

    ids = asyncio.run(create())
    statuses: list[int] = []
    start = threading.Barrier(8)

    async def complete_all(worker: int) -> None:
        async with client() as api:
            for session_id in ids:
                answer = await api.post(
                    f"/v1/test_helpers/checkout_sessions/{session_id}/complete",
                    json={},
                    headers={"Idempotency-Key": f"w{worker}-{session_id}"},
                )
                statuses.append(answer.status_code)

    def run(worker: int) -> None:
        start.wait()
        asyncio.run(complete_all(worker))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(statuses) == [200] * 50 + [400] * 350
