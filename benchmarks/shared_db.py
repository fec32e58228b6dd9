"""Benchmark 6: creates/s of 1, 2 and 4 sandbox processes on one PostgreSQL, against SQLite.

For each process count, that many servers share a fresh PostgreSQL schema and as many share
a fresh SQLite file (``benchmarks._serve sandbox --db``, as ``leanrails sandbox --db`` builds
it). The closed-loop generator (``_loadgen``) spreads 16 keep-alive connections over the
servers of one database, each request a create with a fresh ``Idempotency-Key``; phases
alternate SQLite, PostgreSQL, PostgreSQL, SQLite after a warm-up of each, so a slowdown of
the machine lands on both alike. PostgreSQL is the throwaway server of the tests' harness
(``tests/_support/postgres.py``: a new cluster in a temporary folder, ``fsync=off``,
``synchronous_commit=off``, like SQLite's ``synchronous=NORMAL`` a crash of the process loses
nothing and a crash of the machine may lose the last commits).

Informational (no target): on a machine of two cores, the servers, PostgreSQL and the
generator share the same two cores, so more processes cannot add throughput here; what the
row shows is what each database costs per create and that it does not collapse under
several writers. docs/sandbox.md projects it onto a bigger machine.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from ._loadgen import LoadResult, load
from ._payloads import BASIC_AUTH, TYPICAL_JSON
from ._report import ROOT, Row
from ._servers import serving

PROCESSES = (1, 2, 4)
CONCURRENCY = 16
WARMUP_SECONDS = 1.0
HEADERS = {"Authorization": BASIC_AUTH, "Content-Type": "application/json"}
PATH = "/v1/checkout_sessions"


@contextmanager
def _postgres() -> Iterator[Any]:
    """The tests' throwaway PostgreSQL (found, or the run says what to install)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from _support.postgres import HOW_TO_INSTALL, Postgres, cluster, server_binaries

    binaries = server_binaries()
    if binaries is None:
        raise RuntimeError(HOW_TO_INSTALL)
    with cluster(binaries) as url:
        yield Postgres(url)


def _ports(stack: ExitStack, db: str, count: int) -> list[int]:
    return [stack.enter_context(serving("sandbox", db=db)).port for _ in range(count)]


def measure(duration: float) -> dict[int, dict[str, Any]]:
    """Per process count, the SQLite and PostgreSQL figures of ``duration`` seconds each."""
    figures: dict[int, dict[str, Any]] = {}
    with _postgres() as postgres, tempfile.TemporaryDirectory(prefix="bench-6-") as folder:
        for count in PROCESSES:
            with ExitStack() as stack:
                ports = {
                    "sqlite": _ports(stack, str(Path(folder) / f"shared-{count}.db"), count),
                    "postgres": _ports(stack, postgres.fresh(), count),
                }
                results = {name: LoadResult() for name in ports}
                for name, servers in ports.items():
                    load(servers, PATH, HEADERS, TYPICAL_JSON, concurrency=CONCURRENCY,
                         seconds=WARMUP_SECONDS, prefix=f"warm-{count}-{name}")  # fmt: skip
                for index, name in enumerate(["sqlite", "postgres", "postgres", "sqlite"]):
                    results[name].merge(
                        load(
                            ports[name],
                            PATH,
                            HEADERS,
                            TYPICAL_JSON,
                            concurrency=CONCURRENCY,
                            seconds=duration / 2,
                            prefix=f"phase{index}-{count}-{name}",
                        )
                    )
            figures[count] = {name: result.summary() for name, result in results.items()}
    return figures


def run(*, duration: float) -> list[Row]:
    figures = measure(duration)
    rows = []
    for count, by_db in figures.items():
        postgres, sqlite = by_db["postgres"], by_db["sqlite"]
        broken = [
            name
            for name, fig in by_db.items()
            if fig["errors"] or set(fig["statuses"]) - {"200", "503"}
        ]
        busy = {name: fig["statuses"].get("503", 0) for name, fig in by_db.items()}
        rows.append(
            Row(
                id="6",
                what=f"creates/s, {count} sandbox process{'es' if count > 1 else ''} on one "
                "database, concurrency 16: PostgreSQL against SQLite",
                measured=f"{_ok_per_s(postgres):,.0f}/s (p99 {postgres['p99_ms']:,.0f} ms)",
                baseline=f"{_ok_per_s(sqlite):,.0f}/s SQLite (p99 {sqlite['p99_ms']:,.0f} ms)",
                ratio=_ok_per_s(postgres) / _ok_per_s(sqlite) if _ok_per_s(sqlite) else None,
                target="- (2 cores: see docs/sandbox.md)",
                passed=None,
                details={"processes": count, "duration_per_db_s": duration, **by_db},
                note=(f"broken answers from {broken}" if broken else "")
                + (f" 503 database_busy answers: {busy}" if any(busy.values()) else ""),
            )
        )
    return rows


def _ok_per_s(figures: dict[str, Any]) -> float:
    """Creates that got a 200, per second (a 503 busy answer created nothing)."""
    ok: int = figures["statuses"].get("200", 0)
    seconds: float = figures["seconds"]
    return ok / seconds if seconds else 0.0
