"""Run mypy --strict and pyright on user scripts and read their errors, as ``(file, line)``.

Both run from this interpreter's environment (pyright through the ``pyright`` wheel, which
brings its own Node.js), with the repository root as the working directory, so mypy reads
the project's configuration and pyright's strict mode comes from each script's
``# pyright: strict`` comment.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TYPING = ROOT / "tests" / "typing"
_MYPY_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<message>.*)$")


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int
    message: str


def mypy(*paths: Path) -> list[Diagnostic]:
    """mypy --strict's errors (notes left out)."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 1):
        raise RuntimeError(f"mypy failed to run:\n{result.stdout}{result.stderr}")
    found = []
    for text in result.stdout.splitlines():
        if match := _MYPY_LINE.match(text):
            name = Path(match["file"]).name
            found.append(Diagnostic(name, int(match["line"]), match["message"]))
    return found


def pyright(*paths: Path) -> list[Diagnostic]:
    """pyright's errors, with the strict mode each script asks for."""
    pyright_bin = Path(sys.executable).with_name("pyright")
    result = subprocess.run(
        [str(pyright_bin), "--outputjson", "--pythonpath", sys.executable, *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 1):
        raise RuntimeError(f"pyright failed to run:\n{result.stdout}{result.stderr}")
    report = json.loads(result.stdout)
    return [
        Diagnostic(
            Path(item["file"]).name,
            item["range"]["start"]["line"] + 1,
            item["message"].splitlines()[0],
        )
        for item in report["generalDiagnostics"]
        if item["severity"] == "error"
    ]


def marked_lines(path: Path, marker: str = "# mistake") -> set[int]:
    """The 1-based numbers of the lines that end with the comment ``marker``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {number for number, text in enumerate(lines, 1) if text.endswith(marker)}
