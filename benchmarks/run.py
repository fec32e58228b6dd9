"""``make bench``: run every benchmark, print the table of ratios, write it as JSON.

    python -m benchmarks.run [--duration 10] [--batches 30] [--sessions 100000]
                             [--notebook-rounds 2] [--only 1,1c,2,2c,2b,2s,3,4,5,6,7]
                             [--profile]
                             [--quick] [--strict]

Each benchmark alternates the kit and its baseline in one run and compares medians (see
``benchmarks/_timing.py``). Everything runs on 127.0.0.1 and is bounded in count and time.
The table is printed and written to ``benchmarks/results/bench-<UTC time>.json`` and
``benchmarks/results/latest.json``. With ``--profile``, each benchmark whose target is
missed is profiled (cProfile, or tracemalloc for memory) into ``benchmarks/results/``.
The exit status is 0 unless a benchmark could not run, or ``--strict`` and a target was
missed.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import os
import pstats
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import client, imports, memory, notebooks, serialize, server, shared_db
from ._report import ROOT, Row, machine, table

RESULTS = ROOT / "benchmarks" / "results"
ALL = ("1", "1c", "2", "2c", "2b", "2s", "3", "4", "5", "6", "7")


def _options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=10.0,
        help="seconds of load on each server in benchmark 3, and on each database per "
        "process count in 6 (at most 20; default 10)",
    )
    parser.add_argument(
        "--batches",
        type=int,
        default=30,
        help="alternating batches per side in benchmarks 1, 2 and 2b (default 30)",
    )
    parser.add_argument(
        "--sessions",
        type=int,
        default=memory.SESSIONS,
        help=f"sessions held for benchmark 4 (default {memory.SESSIONS:,})",
    )
    parser.add_argument(
        "--notebook-rounds",
        type=int,
        default=2,
        help="alternating nbval runs of each side in benchmark 5 (default 2)",
    )
    parser.add_argument(
        "--only", default=",".join(ALL), help="comma-separated benchmark ids (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: small counts")
    parser.add_argument(
        "--profile", action="store_true", help="profile each benchmark that misses its target"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--output", type=Path, default=None, help="JSON path (default: results/)")
    options = parser.parse_args(argv)
    if not 0 < options.duration <= 20:
        parser.error("--duration must be more than 0 and at most 20 seconds")
    options.only = [part.strip() for part in options.only.split(",") if part.strip()]
    unknown = set(options.only) - set(ALL)
    if unknown:
        parser.error(f"unknown benchmark ids {sorted(unknown)}; choose from {', '.join(ALL)}")
    if options.quick:
        options.duration = min(options.duration, 2.0)
        options.batches = min(options.batches, 6)
        options.sessions = min(options.sessions, 5_000)
        options.notebook_rounds = 1
    return options


def _benchmarks(options: argparse.Namespace) -> list[tuple[str, Callable[[], list[Row]]]]:
    batches = options.batches
    steps: dict[str, Callable[[], list[Row]]] = {
        "1": lambda: [serialize.run_one(new_customers=False, batches=batches)],
        "1c": lambda: [serialize.run_one(new_customers=True, batches=batches)],
        "2": lambda: [client.run_mock(new_customers=False, batches=batches)],
        "2c": lambda: [client.run_mock(new_customers=True, batches=batches)],
        "2b": lambda: [client.run_loopback(batches=batches)],
        "2s": lambda: [client.run_served(batches=batches)],
        "3": lambda: server.run(duration=options.duration),
        "4": lambda: memory.run(sessions=options.sessions),
        "5": lambda: notebooks.run(rounds=options.notebook_rounds),
        "6": lambda: shared_db.run(duration=options.duration),
        "7": lambda: imports.run(rounds=5 if options.quick else imports.ROUNDS),
    }
    return [(bench_id, steps[bench_id]) for bench_id in ALL if bench_id in options.only]


def _cprofile(name: str, target: Callable[[], object]) -> str:
    profiler = cProfile.Profile()
    profiler.runcall(target)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)
    path = RESULTS / f"profile-{name}.txt"
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path.relative_to(ROOT))


def _profile(bench_id: str) -> str | None:
    """Profile the kit's side of a benchmark; the path of the report, or None."""
    if bench_id in ("1", "1c"):
        new_customers = bench_id == "1c"
        return _cprofile(
            f"{bench_id}-validate-serialize", lambda: serialize.profile_target(new_customers)
        )
    if bench_id in ("2", "2c", "2b", "2s"):
        new_customers = bench_id != "2"
        return _cprofile(f"{bench_id}-client-create", lambda: client.profile_target(new_customers))
    if bench_id == "3":
        return _cprofile("3-sandbox-engine", server.profile_target)
    if bench_id == "4":
        path = RESULTS / "profile-4-memory.txt"
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.memory", "--child", "5000", "--tracemalloc"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        path.write_text(done.stdout + done.stderr, encoding="utf-8")
        return str(path.relative_to(ROOT))
    return None


def main(argv: list[str] | None = None) -> int:
    options = _options(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    about = machine()
    print(
        f"LeanRails benchmarks on {about['nproc']} x {about['cpu_model']}, "
        f"{(about['memory_mb'] or 0) / 1024:.1f} GiB, Python {about['python']}",
        flush=True,
    )
    rows: list[Row] = []
    crashed = False
    for bench_id, step in _benchmarks(options):
        print(f"  running {bench_id} ...", end="", flush=True)
        bench_started = time.perf_counter()
        try:
            new_rows = step()
        except Exception:
            crashed = True
            new_rows = [
                Row(
                    id=bench_id,
                    what="(benchmark crashed)",
                    measured="-",
                    baseline="-",
                    ratio=None,
                    target="-",
                    passed=False,
                    note=traceback.format_exc().strip().splitlines()[-1],
                )
            ]
            traceback.print_exc()
        print(f" {time.perf_counter() - bench_started:.0f} s", flush=True)
        if options.profile and any(row.passed is False for row in new_rows) and not crashed:
            report = _profile(bench_id)
            if report:
                for row in new_rows:
                    row.details["profile"] = report
                print(f"    profile: {report}", flush=True)
        rows += new_rows
    elapsed = time.perf_counter() - started
    command = "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:])
    print()
    print(table(rows))
    print(f"\n({elapsed:.0f} s; `{command.strip()}`)")
    payload: dict[str, Any] = {
        "generated": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": command.strip(),
        "seconds": elapsed,
        "options": {k: v for k, v in vars(options).items() if k != "output"},
        "machine": {**about, "load_average_at_end": list(os.getloadavg())},
        "table": table(rows),
        "rows": [row.as_dict() for row in rows],
    }
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    paths = (
        [options.output]
        if options.output
        else [RESULTS / f"bench-{stamp}.json", RESULTS / "latest.json"]
    )
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(
        "written: "
        + ", ".join(str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in paths)
    )
    if crashed:
        return 2
    if options.strict and any(row.passed is False for row in rows):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
