"""Benchmark 7: ``import leanrails`` against importing its runtime dependencies.

Measured: the time ``import leanrails`` takes in a fresh interpreter. Baseline: the time
``import httpx2, pydantic, anyio`` takes in another (the package's runtime dependencies).
Each round starts one interpreter of each kind, in alternating order, and times only the
import statement inside it, so interpreter start-up is left out of both sides. The target
is at most 30 ms more than the baseline: the clients and models (pydantic's model
machinery), display, Jupyter, the sandbox and the contract load on first use, not on import.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile

from ._report import Row, millis

LIMIT_SECONDS = 0.030
ROUNDS = 20
KIT = "leanrails"
DEPENDENCIES = "httpx2, pydantic, anyio"


def import_seconds(modules: str, cache: str) -> float:
    """Seconds ``import <modules>`` takes in a new interpreter, its bytecode cached in
    ``cache`` (as an installed package's is; not in the work tree)."""
    code = (
        "import time; start = time.perf_counter(); "
        f"import {modules}; print(time.perf_counter() - start)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**env, "PYTHONPYCACHEPREFIX": cache},
    )
    return float(done.stdout.strip())


def run(rounds: int = ROUNDS) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="leanrails-bench-pycache-") as cache:
        return _run(rounds, cache)


def _run(rounds: int, cache: str) -> list[Row]:
    import_seconds(KIT, cache)  # bytecode compiled and cached, for both sides alike
    import_seconds(DEPENDENCIES, cache)
    kit: list[float] = []
    dependencies: list[float] = []
    for index in range(rounds):
        order = [(kit, KIT), (dependencies, DEPENDENCIES)]
        for times, modules in order if index % 2 == 0 else reversed(order):
            times.append(import_seconds(modules, cache))
    ratios = sorted(k / d for k, d in zip(kit, dependencies, strict=True))
    measured, baseline = statistics.median(kit), statistics.median(dependencies)
    extra = statistics.median(k - d for k, d in zip(kit, dependencies, strict=True))
    quartiles = statistics.quantiles(ratios, n=4)
    return [
        Row(
            id="7",
            what="import leanrails, in a fresh interpreter",
            measured=millis(measured),
            baseline=f"{millis(baseline)} (import {DEPENDENCIES})",
            ratio=statistics.median(ratios),
            target=f"≤ +{LIMIT_SECONDS * 1e3:g} ms",
            passed=extra <= LIMIT_SECONDS,
            details={
                "measured_s": measured,
                "baseline_s": baseline,
                "extra_s": extra,
                "rounds": rounds,
                "ratio_p25_p75": [quartiles[0], quartiles[2]],
            },
            note=f"{'+' if extra >= 0 else '-'}{millis(abs(extra))} (median of paired differences)",
        )
    ]
