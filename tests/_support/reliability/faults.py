"""Creates through injected failures: 5xx, 429, 409, timeouts and commit-then-drop.

K creates, each retried by the client through whatever was armed for it, must make exactly
K sessions, and each idempotency record must point at its create's session (read from the
sandbox's own SQLite state).
"""

from __future__ import annotations

import contextlib
import json
import random
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leanrails import LeanRails
from leanrails.sandbox import TEST_API_KEY, Sandbox

from _support.reliability.results import Tally
from _support.sandbox import BASIC


@dataclass
class FaultRun:
    """K creates through injected faults: what was injected, and what came back."""

    faults: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    ids: dict[str, str] = field(default_factory=dict)  # idempotency key -> session id
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)


def inject(sandbox: Sandbox, rng: random.Random, run: FaultRun, *, timeouts: bool) -> float:
    """Arm a random mix of faults for the next create; the client timeout to use (s)."""
    timeout = 5.0
    kinds = ["none", "status", "status", "drop", "status+drop"]
    if timeouts:
        kinds += ["timeout", "timeout+drop"]
    kind = rng.choice(kinds)
    if "status" in kind:
        status = rng.choice([409, 429, 500, 502, 503, 504])
        count = rng.randint(1, 3)
        retry_after = rng.choice([None, 0, 1]) if status in (429, 503) else None
        sandbox.fail_next(count, status, retry_after=retry_after)
        run.faults[f"status_{status}"] += count
    if "timeout" in kind:
        sandbox.delay_responses(0.25, count=1)
        timeout = 0.08
        run.faults["timeout"] += 1
    if "drop" in kind:
        sandbox.drop_after_commit()
        run.faults["drop_after_commit"] += 1
    return timeout


def assert_exactly_one_session_per_key(db: Path, run: FaultRun) -> None:
    """In the sandbox's own SQLite state: one session per key, each record pointing at it."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        sessions = {row[0] for row in conn.execute("SELECT id FROM sessions")}
        records = {
            key: json.loads(body)["id"]
            for key, body in conn.execute(
                "SELECT key, body FROM idempotency WHERE api_key = ?", (TEST_API_KEY,)
            )
        }
    assert records == run.ids, "an idempotency record does not point at its create's session"
    assert sessions == set(run.ids.values()), "a session was lost or created twice"
    assert len(sessions) == len(run.ids)


def faulty_creates(
    client: LeanRails, sandbox: Sandbox, k: int, seed: int, *, timeouts: bool
) -> FaultRun:
    rng = random.Random(seed)
    run = FaultRun()
    for index in range(k):
        timeout = inject(sandbox, rng, run, timeouts=timeouts)
        key = f"order-{seed}-{index}"
        body = {**BASIC, "client_reference_id": key}
        raw = client.checkout_sessions.with_raw_response.create(
            **body, idempotency_key=key, timeout=timeout
        )
        run.retries += raw.retries_taken
        run.ids[key] = raw.parse().id
        run.bodies[key] = body
        sandbox.clear_faults()
    return run


def record_faults(tally: Tally, section: str, run: FaultRun, sessions: int) -> None:
    tally.add(
        section,
        creates=len(run.ids),
        faults_injected=sum(run.faults.values()),
        **{f"fault_{name}": n for name, n in sorted(run.faults.items())},
        retries=run.retries,
        sessions=sessions,
        sessions_lost=max(0, len(run.ids) - sessions),
        sessions_doubled=max(0, sessions - len(run.ids)),
    )
