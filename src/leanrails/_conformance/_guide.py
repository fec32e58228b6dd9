"""The guide part: every notebook run against the server, its outputs compared by structure.

Each notebook runs top to bottom in a fresh kernel (nbclient), from a temporary copy, with
``LEANRAILS_API_KEY`` and ``LEANRAILS_BASE_URL`` pointing at the guard :class:`Proxy`.
After each cell its outputs are compared with the committed ones after masking what
differs on every run or every server (ids, clocks, hosts and ports, the prose of server
error messages): the same output kinds, the same values, the same error classes, statuses,
types, codes and params.

A cell that differs is tied to the requests it sent: when one of them showed drift, the
cell is evidence of that finding. A cell that differs without drift in its own requests
shows what earlier requests of the notebook got: it is tied to their drift, or else to the
notebook's last differing cell before it. A cell that needed something
conformance never sends (a sandbox test helper that completes a session or injects a
fault) is *not checked*, and so is any later cell of its notebook that differs: what it
shows may follow from the step that was held back. (Drift in the requests of such cells
is still reported; only the cells are not tied to it.)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._observations import Exchange
from ._proxy import CellLog, Proxy

# What changes on every run or every server, masked on both sides before comparing.
_MASKS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), r)
    for p, r in [
        (r"\b(cs_(?:test|live))_[A-Za-z0-9]+_secret_[A-Za-z0-9]+", r"\1_<ID>_secret_<SECRET>"),
        (r"\b(cs|pi|cus|req)_(test_|live_)?[A-Za-z0-9]{6,}", r"\1_<ID>"),
        (
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
            "<UUID>",
        ),
        (
            r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?",
            "<DATETIME>",
        ),
        (r"\b\d{4}-\d{2}-\d{2}\b", "<DATE>"),
        (r"\b1\d{9}\b", "<UNIX_TIME>"),
        (r"\b(leanrails-python|httpx2)/\d[\w.+-]*", r"\1/<VERSION>"),
        (r"https://errors\.pydantic\.dev/[\w.]+/", "https://errors.pydantic.dev/<VERSION>/"),
        (r"\bat 0x[0-9a-fA-F]+", "at 0x<ADDRESS>"),
        (r"\bhttps?://(?!errors\.pydantic\.dev)[A-Za-z0-9.\-]+(?::\d+)?", "<ORIGIN>"),
        (r"(\b[1-5]\d\d [A-Z][A-Za-z' -]*: ).*?( \(type=)", r"\1...\2"),
        (r"\x1b\[[0-9;]*m", ""),
    ]
]


def normalize(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text.rstrip()


def comparable(outputs: list[Any]) -> list[tuple[str, str]]:
    """A cell's outputs as (kind, masked text), consecutive streams of one name joined."""
    result: list[tuple[str, str]] = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            text = "".join(output.get("text", ""))
            name = f"stream:{output.get('name')}"
            if result and result[-1][0] == name:
                result[-1] = (name, result[-1][1] + text)
                continue
            result.append((name, text))
        elif kind in ("execute_result", "display_data"):
            plain = output.get("data", {}).get("text/plain", "")
            result.append(("result", "".join(plain)))
        elif kind == "error":
            result.append(("error", f"{output.get('ename')}: {output.get('evalue')}"))
    return [(kind, normalize(text)) for kind, text in result]


def first_difference(expected: list[tuple[str, str]], got: list[tuple[str, str]]) -> str:
    """One line saying where two output lists first differ."""
    for (kind_a, a), (kind_b, b) in zip(expected, got, strict=False):
        if kind_a != kind_b:
            return (
                f"the guide shows {_KINDS.get(kind_a, kind_a)}, the server run gave "
                f"{_KINDS.get(kind_b, kind_b)}: {_short(b)}"
            )
        if a != b:
            lines = zip([*a.splitlines(), ""], [*b.splitlines(), ""], strict=False)
            for line_a, line_b in lines:
                if line_a != line_b:
                    return (
                        f"the guide shows {_short(line_a)!r}, "
                        f"the server run gave {_short(line_b)!r}"
                    )
    if len(expected) != len(got):
        return f"the guide shows {len(expected)} output(s), the server run gave {len(got)}"
    return "no difference"


_KINDS = {
    "stream:stdout": "printed output",
    "stream:stderr": "output on stderr",
    "result": "a result",
    "error": "an error",
}


def _short(text: str) -> str:
    text = " | ".join(line.strip() for line in text.splitlines() if line.strip())
    return text if len(text) <= 160 else text[:157] + "..."


@dataclass
class CellResult:
    """One code cell: where it is, and how its outputs compare."""

    notebook: str
    index: int
    section: str
    status: str  # same | differs | blocked | not-checked
    detail: str = ""
    exchanges: list[Exchange] = field(default_factory=list)
    causes: list[Exchange] = field(default_factory=list)
    follows: int | None = None

    @property
    def where(self) -> str:
        return f"{self.notebook} cell {self.index}"


@dataclass
class GuideRun:
    cells: list[CellResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _sections(notebook: Any) -> list[str]:
    """The heading each cell is under (the nearest one above it)."""
    current = ""
    found = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
                if match:
                    current = match.group(1)
        found.append(current)
    return found


class _Stop(Exception):
    pass


def run_guide(
    notebooks: list[Path],
    proxy: Proxy,
    key: str,
    *,
    time_left: Callable[[], float],
    cell_timeout: float = 60,
) -> GuideRun:
    """Run each notebook against the proxy and compare every code cell's outputs."""
    run = GuideRun()
    try:
        import ipykernel  # noqa: F401  (the python3 kernel each notebook runs in)
    except ImportError:
        run.skipped.append("not run: the guide part needs ipykernel (the conformance extra)")
        return run
    env = {**os.environ, "LEANRAILS_API_KEY": key, "LEANRAILS_BASE_URL": proxy.url}
    for path in notebooks:
        if time_left() <= 0:
            run.skipped.append(f"{path.name}: not run, the time limit was reached")
            continue
        cells, stopped = _run_notebook(path, proxy, env, time_left, cell_timeout)
        run.cells += cells
        if stopped:
            run.skipped.append(f"{path.name}: {stopped}")
    return run


def _run_notebook(
    path: Path,
    proxy: Proxy,
    env: dict[str, str],
    time_left: Callable[[], float],
    cell_timeout: float,
) -> tuple[list[CellResult], str | None]:
    """Run one notebook from a temporary copy: each code cell's result, and why it stopped."""
    import nbformat
    from nbclient import NotebookClient

    committed = nbformat.read(path, as_version=4)
    sections = _sections(committed)
    expected = {i: comparable(c.get("outputs", [])) for i, c in enumerate(committed.cells)}
    results: list[CellResult] = []
    state: dict[str, Any] = {"last": None, "drifted": []}

    def started(cell: Any, cell_index: int, **_: Any) -> None:
        if time_left() <= 0:
            raise _Stop
        proxy.begin(f"{path.name} cell {cell_index}")

    def executed(cell: Any, cell_index: int, **_: Any) -> None:
        got = comparable(cell.get("outputs", []))
        log = proxy.end()
        where = (path.name, cell_index, sections[cell_index])
        results.append(_judge_cell(*where, expected[cell_index], got, log, state))

    with tempfile.TemporaryDirectory(prefix="leanrails-conformance-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        notebook = nbformat.read(copy, as_version=4)
        client = NotebookClient(
            notebook,
            timeout=int(cell_timeout),
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": tmp}},
            on_cell_execute=started,
            on_cell_executed=executed,
        )
        try:
            client.execute(env=env, stderr=subprocess.DEVNULL)
        except _Stop:
            return results, "stopped at the time limit"
        except Exception as exc:  # a kernel that will not start, a cell that times out
            return results, f"stopped: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return results, None


def _judge_cell(
    notebook: str,
    index: int,
    section: str,
    expected: list[tuple[str, str]],
    got: list[tuple[str, str]],
    log: CellLog,
    state: dict[str, Any],
) -> CellResult:
    result = CellResult(notebook, index, section, "same", exchanges=log.exchanges)
    state["drifted"] += [exchange for exchange in log.exchanges if exchange.observations]
    if log.blocked:
        result.status = "blocked"
        result.detail = "; ".join(sorted(set(log.blocked)))
        state["last"] = result
        return result
    if expected == got:
        return result
    result.detail = first_difference(expected, got)
    result.status = "differs"
    drifted = [exchange for exchange in log.exchanges if exchange.observations]
    earlier: list[Exchange] = state["drifted"]
    last: CellResult | None = state["last"]
    if last is not None and last.status in ("blocked", "not-checked"):
        result.status = "not-checked"
        result.follows = last.index if last.follows is None else last.follows
    elif drifted:
        result.causes = drifted
    elif earlier:
        result.causes = list(earlier)  # shows what earlier requests of the notebook got
    elif last is not None:
        result.follows = last.index if last.follows is None else last.follows
    state["last"] = result
    return result
