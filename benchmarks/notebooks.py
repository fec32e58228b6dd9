"""Benchmark 5: nbval's wall time for the guide's notebooks, against empty notebooks.

Measured: ``pytest notebooks/`` as ``make test``'s notebook step runs it (one at a time here:
``-p nbval --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg``, strict).
Baseline: the same command over as many notebooks with one empty cell each, in a
temporary directory: the fixed cost of starting pytest and one kernel per notebook. Runs
alternate (real, empty, empty, real, ...) and the medians are compared.

With no notebook in ``notebooks/`` yet, the row says n/a.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._report import ROOT, Row

TARGET = 2.0
RUN_TIMEOUT = 900
NOTEBOOKS = ROOT / "notebooks"

EMPTY_NOTEBOOK = """{
 "cells": [
  {"cell_type": "code", "execution_count": 1, "id": "empty", "metadata": {}, "outputs": [],
   "source": ["pass"]}
 ],
 "metadata": {
  "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
  "language_info": {"name": "python"}
 },
 "nbformat": 4,
 "nbformat_minor": 5
}
"""


# As in the Makefile's notebook step: the plugin loads only there.
NBVAL = (
    "-p",
    "nbval",
    "--nbval",
    "--nbval-current-env",
    "--nbval-sanitize-with",
    "notebooks/sanitize.cfg",
)


def _pytest(paths: list[Path]) -> tuple[float, int, str]:
    """Wall seconds, exit code and output tail of one pytest run over ``paths``."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("LEANRAILS_API_KEY", "LEANRAILS_BASE_URL")
    }
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "-c",
        str(ROOT / "pyproject.toml"),
        "--rootdir",
        str(ROOT),
        *NBVAL,
        *map(str, paths),
    ]
    started = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    seconds = time.perf_counter() - started
    return seconds, done.returncode, (done.stdout + done.stderr)[-2000:]


def run(*, rounds: int) -> list[Row]:
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    what = "nbval wall time, all notebooks"
    if not notebooks:
        return [
            Row(
                id="5",
                what=what,
                measured="-",
                baseline="-",
                ratio=None,
                target=f"≤ {TARGET:g}x",
                passed=None,
                note="no notebooks in notebooks/ yet",
            )
        ]
    real: list[float] = []
    empty: list[float] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-empty-notebooks-") as tmp:
        empties = []
        for index in range(len(notebooks)):
            path = Path(tmp) / f"empty_{index:02d}.ipynb"
            path.write_text(EMPTY_NOTEBOOK, encoding="utf-8")
            empties.append(path)
        for index in range(rounds):
            order = [("real", notebooks), ("empty", empties)]
            if index % 2:
                order.reverse()
            for name, paths in order:
                seconds, code, tail = _pytest(paths)
                (real if name == "real" else empty).append(seconds)
                if code != 0:
                    failures.append(f"{name} run exited {code}: {tail}")
    measured, baseline = statistics.median(real), statistics.median(empty)
    ratio = measured / baseline
    note = ""
    if failures:
        note = "nbval failed, so the time is not a passing run's: " + failures[0][-400:]
    return [
        Row(
            id="5",
            what=f"{what} ({len(notebooks)} notebooks)",
            measured=f"{measured:,.1f} s",
            baseline=f"{baseline:,.1f} s ({len(notebooks)} empty notebooks)",
            ratio=ratio,
            target=f"≤ {TARGET:g}x",
            passed=None if failures else ratio <= TARGET,
            details={"real_s": real, "empty_s": empty, "notebooks": [p.name for p in notebooks]},
            note=note,
        )
    ]
