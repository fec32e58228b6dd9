"""``kill -9`` of ``leanrails sandbox --db`` under load, then a restart on the same database
(a SQLite file, or PostgreSQL with a short ``--lease``).

Every create that got a 200 must be retrievable and replay; retrying the rest must make
exactly one session per idempotency key. A key the killed process held in flight answers
409 until the database lets it go (SQLite: the pid is gone; PostgreSQL: after its lease), so
retries wait on 409.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import leanrails
from leanrails import (
    APIConnectionError,
    APIResponse,
    IdempotencyError,
    LeanRails,
    NotFoundError,
)
from leanrails.sandbox import TEST_API_KEY
from leanrails.testing import set_testing

from _support.sandbox import BASIC, start_sandbox, stop
from _support.stores import count_sessions

LEASE = "2"
"""The ``--lease`` (seconds) of PostgreSQL processes here: a killed one's keys wait this long."""


@contextlib.contextmanager
def sandbox_process(
    db: str | Path, log: Path, *options: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``leanrails sandbox --db`` on a free port, and its base URL; stopped (kill -9 if need
    be) on exit."""
    process, port = start_sandbox(
        ["--db", str(db), "--log-level", "warning", *options],
        log,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@dataclass
class LoadLog:
    """Every create a load sent, by idempotency key: its session id, or its error."""

    ok: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def create_load(url: str, log: LoadLog, stop: threading.Event, worker: int, cycle: int) -> None:
    with LeanRails(api_key=TEST_API_KEY, base_url=url, max_retries=0, timeout=5) as client:
        index = 0
        while not stop.is_set():
            index += 1
            key = f"crash-{cycle}-{worker}-{index}"
            try:
                session = client.checkout_sessions.create(
                    **BASIC, client_reference_id=key, idempotency_key=key
                )
            except leanrails.LeanRailsError as exc:
                with log.lock:
                    log.failed[key] = type(exc).__name__
                if isinstance(exc, APIConnectionError):
                    time.sleep(0.01)  # the server is gone; do not spin
            else:
                with log.lock:
                    log.ok[key] = session.id


def kill_under_load(url: str, process: subprocess.Popen[bytes], log: LoadLog, cycle: int) -> None:
    """Run 4 creating threads, ``kill -9`` the server mid-load, then stop them."""
    stop = threading.Event()
    threads = [
        threading.Thread(target=create_load, args=(url, log, stop, worker, cycle), daemon=True)
        for worker in range(4)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(log.ok) < 30 * (cycle + 1) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    stop.set()
    process.wait(10)
    for thread in threads:
        thread.join(15)
    assert not any(thread.is_alive() for thread in threads)


@dataclass
class Recovery:
    """What a restart found: acknowledged creates still there (or lost), and retried ones."""

    retrievable: int = 0
    lost: list[str] = field(default_factory=list)
    committed_before_crash: int = 0
    created_on_retry: int = 0


def create_once_free(client: LeanRails, key: str) -> APIResponse:
    """``key``'s create, sent again while it answers 409 (the key is still held in flight by
    a process that died, until the database lets it go; 60 s at most)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return client.checkout_sessions.with_raw_response.create(
                **BASIC, client_reference_id=key, idempotency_key=key
            )
        except IdempotencyError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def recover(url: str, log: LoadLog, prefix: str) -> Recovery:
    """After a restart (or on a survivor): check every create acknowledged so far, and retry
    the failures whose keys start with ``prefix``."""
    recovery = Recovery()
    with (
        set_testing(max_wait=0.05),
        LeanRails(api_key=TEST_API_KEY, base_url=url, max_retries=3) as c,
    ):
        for key, session_id in log.ok.items():
            try:
                session = c.checkout_sessions.retrieve(session_id)
            except NotFoundError:
                recovery.lost.append(key)
                continue
            replay = c.checkout_sessions.with_raw_response.create(
                **BASIC, client_reference_id=key, idempotency_key=key
            )
            assert session.client_reference_id == key
            assert replay.idempotent_replayed, f"{key}: no idempotency record after the restart"
            assert replay.parse().id == session_id
            recovery.retrievable += 1
        for key in log.failed:
            if not key.startswith(prefix):
                continue
            if create_once_free(c, key).idempotent_replayed:
                recovery.committed_before_crash += 1
            else:
                recovery.created_on_retry += 1
    return recovery


def crash_cycles(db: str | Path, logs: Path, cycles: int) -> tuple[LoadLog, list[Recovery], int]:
    """``cycles`` rounds of load, kill -9 and restart on one --db; the final session count."""
    server_log = logs / "server.log"
    options = ("--lease", LEASE) if str(db).startswith("postgresql://") else ()
    log = LoadLog()
    recoveries = []
    for cycle in range(cycles):
        with sandbox_process(db, server_log, *options) as (process, url):
            kill_under_load(url, process, log, cycle)
        with sandbox_process(db, server_log, *options) as (_, url):
            recoveries.append(recover(url, log, f"crash-{cycle}-"))
    return log, recoveries, count_sessions(db)
