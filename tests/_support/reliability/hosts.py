"""Several hosts' ``leanrails sandbox`` on one PostgreSQL: ``kill -9`` of one mid-burst.

Each process stands in for a host. One create is held in flight on the victim (a ``delay``
fault on a key of its own), a burst of creates goes to every process, and the victim is
killed with ``kill -9``. Then the survivors: every create acknowledged anywhere must be
retrievable and replay its id; every create that failed is retried on a survivor, making
one session per key; and the key the victim held answers 409 until its lease runs out (by
the database's clock), then is usable.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx2
import psycopg

from leanrails import LeanRails

from _support.reliability.crash import LoadLog, Recovery, create_load, recover
from _support.reliability.processes import servers
from _support.reliability.results import Tally
from _support.sandbox import BASIC
from _support.stores import count_sessions

HOLDER_KEY = "sk_test_held_by_the_killed_host"
"""The API key whose account's ``delay`` fault holds the victim's create in flight."""
HELD = "held-by-the-killed-host"


@dataclass
class HostCrash:
    """What the survivors found after one host was killed mid-burst."""

    log: LoadLog
    recovery: Recovery
    sessions: int
    held_refused: int = 0
    held_lease_until: datetime | None = None
    held_taken_at: datetime | None = None
    held_sessions: list[str] = field(default_factory=list)


def kill_one_host_mid_burst(db: str, hosts: int, logs: Path, lease: float) -> HostCrash:
    """``hosts`` processes on ``db`` with ``--lease``; the first is killed mid-burst."""
    started: list[subprocess.Popen[bytes]] = []
    with servers(db, hosts, logs, "--lease", str(lease), started=started) as urls:
        victim, survivor = started[0], urls[1]
        holder = threading.Thread(target=_held_create, args=(urls[0],), daemon=True)
        with httpx2.Client(base_url=urls[0], auth=(HOLDER_KEY, ""), timeout=10) as client:
            fault = {"delay": {"seconds": 60, "count": 1}}  # the longest a delay may hold
            answer = client.post(
                "/v1/test_helpers/faults", json=fault, headers={"Idempotency-Key": "f"}
            )
            assert answer.status_code == 200, answer.text
        holder.start()
        _wait_until_in_flight(db)

        log, stop = LoadLog(), threading.Event()
        burst = [
            threading.Thread(target=create_load, args=(url, log, stop, n, 0), daemon=True)
            for n, url in enumerate(urls)
        ]
        for thread in burst:
            thread.start()
        deadline = time.monotonic() + 20
        while len(log.ok) < 40 * hosts and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)
        stop.set()
        crash = HostCrash(log, Recovery(), 0)
        crash.held_lease_until = _held_lease(db)
        _take_the_held_key(survivor, db, crash)  # at once: before its lease can run out
        for thread in [*burst, holder]:
            thread.join(15)
        crash.recovery = recover(survivor, log, "crash-0-")
    crash.sessions = count_sessions(db)
    return crash


def _held_create(url: str) -> None:
    """A create the victim holds in flight until it dies (its answer never comes)."""
    try:
        with httpx2.Client(base_url=url, auth=(HOLDER_KEY, ""), timeout=120) as client:
            client.post("/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": HELD})
    except httpx2.HTTPError:
        pass


def _held_answer(url: str) -> httpx2.Response:
    with httpx2.Client(base_url=url, auth=(HOLDER_KEY, ""), timeout=30) as client:
        return client.post("/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": HELD})


def _wait_until_in_flight(db: str) -> None:
    """Until the victim's in-flight row for the held key is in the database.

    Read from the database, not asked of a survivor with the same key: a survivor asked
    before the victim's create arrived would take the key itself (a slow thread start on a
    loaded machine), and the victim would then hold nothing."""
    deadline = time.monotonic() + 60
    while _held_row(db) is None:
        assert time.monotonic() < deadline, "the victim never held its create in flight"
        time.sleep(0.05)


def _held_row(db: str) -> tuple[datetime] | None:
    """The held key's idempotency row (its lease), if one is stored."""
    with psycopg.connect(db, autocommit=True) as conn:
        return conn.execute(
            "SELECT lease_until FROM leanrails_idempotency WHERE api_key = %s AND key = %s",
            (HOLDER_KEY, HELD),
        ).fetchone()


def _held_lease(db: str) -> datetime:
    row = _held_row(db)
    assert row is not None, "the killed host's in-flight row is gone"
    return row[0]


def _take_the_held_key(survivor: str, db: str, crash: HostCrash) -> None:
    """Send the held key to a survivor until it answers 200; count the 409s before."""
    deadline = time.monotonic() + 120  # a hang guard, not a measurement
    while (answer := _held_answer(survivor)).status_code == 409:
        crash.held_refused += 1
        assert time.monotonic() < deadline, "the killed host's key was never let go"
        time.sleep(0.1)
    assert answer.status_code == 200, answer.text
    with psycopg.connect(db, autocommit=True) as conn:
        row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    crash.held_taken_at = row[0]
    with LeanRails(api_key=HOLDER_KEY, base_url=survivor) as client:
        replay = client.checkout_sessions.with_raw_response.create(**BASIC, idempotency_key=HELD)
        crash.held_sessions = [answer.json()["id"], replay.parse().id]


def check(crash: HostCrash) -> None:
    """The done-when of a host killed mid-burst, whatever the number of hosts."""
    log, recovery = crash.log, crash.recovery
    assert len(log.ok) >= 40
    assert recovery.lost == []
    assert recovery.retrievable == len(log.ok)
    # One session per key: the burst's keys, and the key the killed host held.
    assert crash.sessions == len(log.ok) + len(log.failed) + 1
    assert crash.held_refused >= 1  # right after the kill the key was still taken
    assert crash.held_lease_until is not None
    assert crash.held_taken_at is not None
    assert crash.held_taken_at >= crash.held_lease_until
    assert len(set(crash.held_sessions)) == 1


def record(tally: Tally, hosts: int, crash: HostCrash) -> None:
    tally.add(
        f"{hosts} hosts on one PostgreSQL, kill -9 of one mid-burst",
        creates_acknowledged=len(crash.log.ok),
        creates_failed_at_kill=len(crash.log.failed),
        committed_before_crash=crash.recovery.committed_before_crash,
        created_on_retry=crash.recovery.created_on_retry,
        sessions_lost=len(crash.recovery.lost),
        sessions_doubled=crash.sessions - len(crash.log.ok) - len(crash.log.failed) - 1,
        held_key_409s_before_its_lease=crash.held_refused,
    )
