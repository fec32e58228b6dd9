"""The counts the attacks report: printed in pytest's summary and written as JSON.

The JSON goes to ``$LEANRAILS_TEST_RESULTS`` when that is set (``make soak`` sets it to
``benchmarks/results``), else to pytest's temporary folder, so ``make test`` leaves the work
tree as it found it. Under pytest-xdist each worker keeps its own tally and writes its own
file (``reliability-gw0.json``); the controller, which alone prints the summary, adds them up
(:func:`show_worker_tallies`).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

RESULTS_ENV = "LEANRAILS_TEST_RESULTS"


class Tally:
    """Counts for the closing note: printed in pytest's terminal summary, written as JSON."""

    def __init__(self, title: str, path: Path) -> None:
        self.title = title
        self.path = path
        self.counts: dict[str, dict[str, int]] = {}

    def add(self, section: str, **counts: int) -> None:
        bucket = self.counts.setdefault(section, {})
        for name, value in counts.items():
            bucket[name] = bucket.get(name, 0) + value

    def write(self) -> None:
        if not self.counts:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"title": self.title, "counts": self.counts}
        self.path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.counts:
            return
        terminalreporter.write_sep("-", self.title)
        for section, counts in self.counts.items():
            shown = ", ".join(f"{name} {value:,}" for name, value in counts.items())
            terminalreporter.write_line(f"{section}: {shown}")
        terminalreporter.write_line(f"(written to {self.path})")


def results_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``$LEANRAILS_TEST_RESULTS`` if set, else a folder in this run's pytest temporary folder."""
    chosen = os.environ.get(RESULTS_ENV)
    if chosen:
        return Path(chosen).resolve()
    return tmp_path_factory.getbasetemp() / "results"


def tally_for(request: pytest.FixtureRequest, title: str, filename: str) -> Tally:
    """One tally per file name and pytest run, registered to print in the summary."""
    config = request.config
    name = f"leanrails-tally-{filename}"
    existing = config.pluginmanager.get_plugin(name)
    if isinstance(existing, Tally):
        return existing
    factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        filename = f"{Path(filename).stem}-{worker}.json"
    tally = Tally(title, results_dir(factory) / filename)
    config.pluginmanager.register(tally, name)
    return tally


def share_results_dir() -> float:
    """On the xdist controller, before the workers start: give them one results folder (a new
    one unless ``$LEANRAILS_TEST_RESULTS`` names one). The time, to know this run's files."""
    os.environ.setdefault(RESULTS_ENV, tempfile.mkdtemp(prefix="leanrails-results-"))
    return time.time()


def show_worker_tallies(terminalreporter: Any, since: float) -> None:
    """On the xdist controller: the workers' tallies written since ``since``, summed by title."""
    directory = Path(os.environ[RESULTS_ENV])
    by_title: dict[str, dict[str, dict[str, int]]] = {}
    for path in sorted(directory.glob("*-gw*.json")):
        if path.stat().st_mtime < since:
            continue
        payload = json.loads(path.read_text(encoding="utf-8"))
        sections = by_title.setdefault(payload["title"], {})
        for section, counts in payload["counts"].items():
            bucket = sections.setdefault(section, {})
            for name, value in counts.items():
                bucket[name] = bucket.get(name, 0) + value
    for title, sections in by_title.items():
        terminalreporter.write_sep("-", title)
        for section, counts in sections.items():
            shown = ", ".join(f"{name} {value:,}" for name, value in counts.items())
            terminalreporter.write_line(f"{section}: {shown}")
        terminalreporter.write_line(f"(written to {directory}, one file per worker)")
