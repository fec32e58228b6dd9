"""Side-by-side timing: alternate the measured code and its baseline, take medians.

On a small, shared machine a background process can slow one stretch of a run. Timing
the two sides in many short alternating batches (A B, then B A, ...) spreads any such
slowdown over both, and the median of the per-batch ratios ignores the worst batches.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Comparison:
    """Seconds per call of each side (medians over batches) and the median ratio."""

    measured: float
    baseline: float
    ratio: float
    batches: int
    calls_per_batch: int
    ratio_spread: tuple[float, float]
    """The 25th and 75th percentiles of the per-batch ratios."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "measured_s": self.measured,
            "baseline_s": self.baseline,
            "ratio": self.ratio,
            "batches": self.batches,
            "calls_per_batch": self.calls_per_batch,
            "ratio_p25_p75": list(self.ratio_spread),
        }


def _batch(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def calibrate(fn: Callable[[], object], target_seconds: float) -> int:
    """How many calls of ``fn`` take about ``target_seconds`` (at least 1)."""
    calls = 1
    while True:
        elapsed = _batch(fn, calls) * calls
        if elapsed >= target_seconds / 4 or calls >= 1_000_000:
            return max(1, int(calls * target_seconds / max(elapsed, 1e-9)))
        calls *= 4


def compare(
    measured: Callable[[], object],
    baseline: Callable[[], object],
    *,
    batches: int = 30,
    batch_seconds: float = 0.05,
    warmup: int = 50,
) -> Comparison:
    """Time ``measured`` against ``baseline`` in alternating batches of equal call counts."""
    for _ in range(warmup):
        measured()
        baseline()
    calls = calibrate(baseline, batch_seconds)
    a_times: list[float] = []
    b_times: list[float] = []
    ratios: list[float] = []
    for index in range(batches):
        # The garbage collector stays on: its work is part of what each side costs.
        gc.collect()
        if index % 2 == 0:
            a = _batch(measured, calls)
            b = _batch(baseline, calls)
        else:
            b = _batch(baseline, calls)
            a = _batch(measured, calls)
        a_times.append(a)
        b_times.append(b)
        ratios.append(a / b)
    quartiles = statistics.quantiles(ratios, n=4)
    return Comparison(
        measured=statistics.median(a_times),
        baseline=statistics.median(b_times),
        ratio=statistics.median(ratios),
        batches=batches,
        calls_per_batch=calls,
        ratio_spread=(quartiles[0], quartiles[2]),
    )


def percentile(sorted_values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of already sorted values, nearest-rank."""
    if not sorted_values:
        return float("nan")
    rank = math.ceil(q / 100 * len(sorted_values))
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]
