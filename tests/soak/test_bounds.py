"""Starving the server without a key, for longer than ``make test`` does (``make soak``).

10,000 half-open connections (part of a head, or one byte of a body) are opened over about
ten seconds against ``leanrails sandbox`` limited to 1,024 file descriptors, the attack
that once held the server at its limit and wrote 86 MB of "Too many open files" in 15 s.
Meanwhile a normal create every 0.2 s must answer within 1 s, and the log stay under 1 MB.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

import pytest

from _support.bounds import ensure_fd_limit, half_open, sandbox, timed_create
from _support.reliability.results import Tally, tally_for

ATTACK = 10_000


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Tally:
    return tally_for(request, "soak counts (make soak)", "soak.json")


@pytest.mark.timeout(120)
def test_10000_half_open_connections_at_a_1024_fd_limit_never_starve_a_create(
    tmp_path: Path, tally: Tally
) -> None:
    ensure_fd_limit(ATTACK + 512)
    opened: list[socket.socket] = []
    done = threading.Event()

    def attack(port: int) -> None:
        try:
            for _ in range(ATTACK // 100):
                opened.extend(half_open(port, 100, partial_body_every=10))
                time.sleep(0.1)
        finally:
            done.set()

    latencies: list[float] = []
    statuses: list[int] = []
    with sandbox(tmp_path, fd_limit=1024) as served:
        attacker = threading.Thread(target=attack, args=(served.port,), daemon=True)
        attacker.start()
        try:
            index = 0
            while not done.is_set():
                index += 1
                seconds, response = timed_create(served.url, f"under-attack-{index}")
                latencies.append(seconds)
                statuses.append(response.status_code)
                time.sleep(0.2)
            attacker.join(30)
        finally:
            stopped_in = served.stop()
            for sock in opened:
                with contextlib.suppress(OSError):
                    sock.close()

    log_bytes = served.log.stat().st_size
    tally.add(
        "10,000 half-open connections, fd limit 1,024",
        opened=len(opened),
        creates=len(latencies),
        slowest_create_ms=round(max(latencies) * 1000),
        log_bytes=log_bytes,
        sigterm_exit_ms=round(stopped_in * 1000),
    )
    assert len(opened) == ATTACK
    assert set(statuses) == {200}
    assert max(latencies) < 1.0
    assert log_bytes < 1024 * 1024
    assert stopped_in < 3
