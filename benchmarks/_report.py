"""Rows of the results table, the machine they were measured on, and their rendering."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._timing import Comparison

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Row:
    """One line of the table: what was measured, against what, and whether it met its target.

    ``passed`` is None when the row could not be measured (``note`` says why) or has no
    target of its own.
    """

    id: str
    what: str
    measured: str
    baseline: str
    ratio: float | None
    target: str
    passed: bool | None
    details: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def result(self) -> str:
        if self.passed is None:
            return "n/a" if self.note else "-"
        return "PASS" if self.passed else "FAIL"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "result": self.result}


def timed_row(
    id: str,
    what: str,
    result: Comparison,
    *,
    baseline: str,
    limit: float,
    beside: str = "",
    details: dict[str, Any] | None = None,
) -> Row:
    """The row of a timed comparison: the kit's call against ``baseline``, within ``limit``x."""
    return Row(
        id=id,
        what=what,
        measured=micros(result.measured),
        baseline=f"{micros(result.baseline)} ({baseline})",
        ratio=result.ratio,
        target=f"≤ {limit:g}x{beside}",
        passed=result.ratio <= limit,
        details={**result.as_dict(), **(details or {})},
    )


def micros(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs"


def millis(seconds: float) -> str:
    return f"{seconds * 1e3:,.2f} ms"


def ratio_text(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def table(rows: list[Row]) -> str:
    """A plain-text table (also valid Markdown)."""
    header = ["#", "measured", "kit", "baseline", "ratio", "target", "result"]
    lines = [
        [
            row.id,
            row.what,
            row.measured,
            row.baseline,
            ratio_text(row.ratio),
            row.target,
            row.result,
        ]
        for row in rows
    ]
    widths = [max(len(str(cells[i])) for cells in [header, *lines]) for i in range(len(header))]

    def render(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [render(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [render(cells) for cells in lines]
    notes = [f"  {row.id}: {row.note}" for row in rows if row.note]
    if notes:
        out += ["", "Notes:", *notes]
    return "\n".join(out)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_total_mb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def machine() -> dict[str, Any]:
    """The machine and software the figures come from."""
    return {
        "nproc": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_mb": _memory_total_mb(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": {
            name: _version(name)
            for name in (
                "leanrails",
                "httpx2",
                "pydantic",
                "pydantic-core",
                "uvicorn",
                "starlette",
                "h11",
                "nbval",
            )
        },
        "git_commit": _git_commit(),
    }
