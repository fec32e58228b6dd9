"""Run every example cell of a guide notebook on its own, as a reader pasting it would.

The guide's rule: a notebook's first code cell (imports and the client) is the one every
other code cell may rely on; each of those runs as it stands after that cell alone, in a
fresh Python session, with no IPython (no magics, no ``display``). Cells tagged ``setup``
are display settings for the notebook itself (``%xmode``), which the site collapses; they
are not lessons, and are skipped.

A fresh interpreter per cell would take a second or more each, for some 250 cells. Instead
one worker process per notebook imports the package once, then forks a child per cell: each
child starts from that warm but untouched interpreter, runs the setup cell and the one
cell in a new ``__main__`` namespace with plain ``exec``, and reports how it ended. Run as a
script, this module is that worker: it reads the cells as JSON on stdin and writes one
JSON line per cell.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HIDDEN_TAG = "setup"
RAISES_TAG = "raises-exception"
CELL_TIMEOUT = 60
# What the cells import, loaded once in the worker before it forks.
WARM_IMPORTS = ("leanrails", "leanrails.sandbox", "leanrails.testing", "pydantic", "httpx2")


@dataclass
class Cell:
    index: int  # among the notebook's code cells, from 0
    source: str
    tags: list[str]


@dataclass
class Outcome:
    cell: Cell
    error: str | None  # "ExceptionName: message", or None when the cell ran through


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def code_cells(notebook: Path) -> list[Cell]:
    """The notebook's code cells, hidden ones left out."""
    document = json.loads(notebook.read_text(encoding="utf-8"))
    cells = [c for c in document.get("cells", ()) if c.get("cell_type") == "code"]
    found = [
        Cell(index, _source(c), list(c.get("metadata", {}).get("tags", [])))
        for index, c in enumerate(cells)
    ]
    return [c for c in found if HIDDEN_TAG not in c.tags]


def setup_and_examples(notebook: Path) -> tuple[Cell, list[Cell]]:
    """The first code cell not tagged ``setup``, and the example cells after it."""
    setup, *examples = code_cells(notebook)
    return setup, examples


def run_alone(notebook: Path, env: dict[str, str] | None = None) -> list[Outcome]:
    """Each example cell's outcome, run after the setup cell only, in a forked child."""
    setup, examples = setup_and_examples(notebook)
    payload = json.dumps({"setup": setup.source, "cells": [c.source for c in examples]})
    result = subprocess.run(
        [sys.executable, __file__],
        input=payload,
        capture_output=True,
        text=True,
        check=False,
        cwd=notebook.parent,
        env=env,
        timeout=CELL_TIMEOUT * (len(examples) + 1),
    )
    if result.returncode != 0:
        raise RuntimeError(f"cell worker failed ({result.returncode}):\n{result.stderr}")
    errors = [json.loads(line)["error"] for line in result.stdout.splitlines()]
    return [Outcome(cell, error) for cell, error in zip(examples, errors, strict=True)]


def problems(outcomes: list[Outcome]) -> list[str]:
    """Cells that raised without the raises-exception tag, or carry it and did not raise."""
    found: list[str] = []
    for outcome in outcomes:
        expected = RAISES_TAG in outcome.cell.tags
        if outcome.error is not None and not expected:
            found.append(f"code cell {outcome.cell.index} raised {outcome.error}")
        elif outcome.error is None and expected:
            found.append(f"code cell {outcome.cell.index} is tagged {RAISES_TAG} but ran through")
    return found


# ---------------------------------------------------------------------------- the worker


def _child(setup: str, cell: str, report: int) -> None:
    """Run in a forked child: the setup cell then the cell, in a fresh __main__."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    signal.alarm(CELL_TIMEOUT)
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    error = None
    try:
        exec(compile(setup, "<setup cell>", "exec"), namespace)
        exec(compile(cell, "<cell>", "exec"), namespace)
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"
    os.write(report, json.dumps({"error": error}).encode())
    os.close(report)


def _worker() -> None:
    import importlib

    job = json.loads(sys.stdin.read())
    for name in WARM_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
    for cell in job["cells"]:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(read)
            try:
                _child(job["setup"], cell, write)
            finally:
                os._exit(0)
        os.close(write)
        with os.fdopen(read, "rb") as stream:
            data = stream.read()
        _, status = os.waitpid(pid, 0)
        if not data:
            data = json.dumps({"error": f"the cell's process died (status {status})"}).encode()
        sys.stdout.write(data.decode() + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _worker()
