"""Benchmark 4: the sandbox's resident memory with 100,000 sessions held in memory.

Run in a fresh subprocess (``python -m benchmarks.memory --child N``), so nothing else
the benchmark run has loaded counts. The child imports the sandbox, measures its RSS,
creates N sessions with the typical request through the engine (``Sandbox.handle``, each
with its own Idempotency-Key, so each stores a session and an idempotency record), collects
garbage and measures again. The sessions are spread over as many test keys as the
retention's cap per account needs (10 of 10,000 for 100,000), so none is evicted.
Reported: RSS after (the target), and the growth per session.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import subprocess
import sys
import time
from typing import Any

from ._payloads import BASIC_AUTH, TYPICAL_JSON
from ._report import ROOT, Row

SESSIONS = 100_000
TARGET_MB = 300.0
CHILD_TIMEOUT = 600


def _rss_bytes() -> int:
    import psutil

    rss: int = psutil.Process().memory_info().rss
    return rss


def child(sessions: int) -> tuple[dict[str, Any], object]:
    """The figures, and the sandbox (kept alive by the caller until it has measured)."""
    from leanrails.sandbox import Sandbox, SandboxRequest
    from leanrails.sandbox._store import MAX_SESSIONS_PER_ACCOUNT

    sandbox = Sandbox()
    headers = (("Authorization", BASIC_AUTH), ("Content-Type", "application/json"))
    keys = [
        ("Authorization", "Basic " + base64.b64encode(f"sk_test_memory{n}:".encode()).decode())
        for n in range(sessions // MAX_SESSIONS_PER_ACCOUNT + 1)
    ]
    # One warm-up create, so lazily built validators and caches count as baseline.
    warm = sandbox.handle(
        SandboxRequest(
            "POST", "/v1/checkout_sessions", (*headers, ("Idempotency-Key", "w")), TYPICAL_JSON
        )
    )
    assert warm.status == 200, warm.body
    gc.collect()
    before = _rss_bytes()
    started = time.perf_counter()
    for index in range(sessions):
        answer = sandbox.handle(
            SandboxRequest(
                "POST",
                "/v1/checkout_sessions",
                (
                    keys[index // MAX_SESSIONS_PER_ACCOUNT],
                    headers[1],
                    ("Idempotency-Key", f"memory-{index}"),
                ),
                TYPICAL_JSON,
            )
        )
        if answer.status != 200:
            raise RuntimeError(answer.body.decode())
    seconds = time.perf_counter() - started
    gc.collect()
    after = _rss_bytes()
    held = sandbox.session_count
    figures = {
        "sessions": held,
        "rss_before_bytes": before,
        "rss_after_bytes": after,
        "bytes_per_session": (after - before) / sessions,
        "create_seconds": seconds,
        "creates_per_s": sessions / seconds,
    }
    return figures, sandbox


def run(*, sessions: int = SESSIONS) -> list[Row]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", "--child", str(sessions)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory child failed:\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    after_mb = figures["rss_after_bytes"] / 2**20
    return [
        Row(
            id="4",
            what=f"sandbox RSS with {figures['sessions']:,} sessions in memory",
            measured=f"{after_mb:,.1f} MB ({figures['bytes_per_session']:,.0f} B/session)",
            baseline=f"{figures['rss_before_bytes'] / 2**20:,.1f} MB before any session",
            ratio=None,
            target=f"≤ {TARGET_MB:g} MB",
            passed=after_mb <= TARGET_MB and figures["sessions"] == sessions + 1,
            details=figures,
        )
    ]


def traced(sessions: int) -> str:
    """Where the memory of ``sessions`` creates goes: tracemalloc's top allocation sites."""
    import tracemalloc

    tracemalloc.start(1)
    figures, sandbox = child(sessions)
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    del sandbox
    lines = [f"{sessions} sessions: {json.dumps(figures)}", "", "top allocation sites (live):"]
    for stat in snapshot.statistics("lineno")[:25]:
        lines.append(
            f"{stat.size / sessions:10,.0f} B/session  {stat.count:>9,} blocks  "
            f"{stat.traceback.format()[0].strip()}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", type=int, required=True, metavar="SESSIONS")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    print(traced(args.child) if args.tracemalloc else json.dumps(child(args.child)[0]))
