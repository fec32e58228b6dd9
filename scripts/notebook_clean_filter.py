#!/usr/bin/env python3
"""Git's clean filter for the guide's notebooks: a re-run that changed nothing is no change.

Opening a guide notebook in JupyterLab, running it and saving it rewrites every output that
holds a fresh value: session ids, idempotency keys, timestamps, a served sandbox's port. Those
are exactly the values nbval's ``notebooks/sanitize.cfg`` replaces before it compares. This
filter (``.gitattributes``; ``make setup`` registers it in the clone's git config) hands git
the committed output of every code cell whose source, execution count and outputs match the
committed ones once sanitized as nbval sanitizes them (tracebacks are compared as they
are: the same code gives the same text; a stream's consecutive outputs count as one), so
``git status`` and ``git diff`` show only what really changed. The language version the
kernel reports (3.12.1 against 3.12.7) is kept as committed too. Anything unexpected (not a
notebook, not committed yet, no git) passes the file through unchanged.

Usage (by git, from the top of the work tree): notebook_clean_filter.py PATH < file > cleaned
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

SANITIZE = Path(__file__).resolve().parents[1] / "notebooks" / "sanitize.cfg"


def patterns() -> list[tuple[str, str]]:
    """The regex/replace pairs of sanitize.cfg, read as nbval reads them, but one: a
    traceback is the same text on every run of the same code, and when the code changed it
    is a change to keep (nbval does not compare tracebacks at all)."""
    text = SANITIZE.read_text(encoding="utf-8")
    pairs = re.findall(r"^regex: (.*)$\n^replace: (.*)$", text, flags=re.MULTILINE)
    return [(regex, replace) for regex, replace in pairs if "traceback" not in regex]


def sanitized(value: Any, pairs: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for regex, replace in pairs:
            value = re.sub(regex, replace, value)
        return value
    if isinstance(value, list):
        joined = all(isinstance(item, str) for item in value)
        if joined:  # nbformat splits multi-line strings into lists of lines
            return sanitized("".join(value), pairs)
        return [sanitized(item, pairs) for item in value]
    if isinstance(value, dict):
        return {k: sanitized(v, pairs) for k, v in value.items()}
    return value


def _text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def coalesced(outputs: Any) -> Any:
    """Consecutive stream outputs of one stream as one, as JupyterLab keeps them (and nbval
    compares them); nbconvert may save a loop's prints as several."""
    if not isinstance(outputs, list):
        return outputs
    merged: list[Any] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            isinstance(output, dict)
            and isinstance(previous, dict)
            and output.get("output_type") == previous.get("output_type") == "stream"
            and output.get("name") == previous.get("name")
        ):
            merged[-1] = {**previous, "text": _text(previous["text"]) + _text(output["text"])}
        else:
            merged.append(output)
    return merged


def clean(working: dict[str, Any], committed: dict[str, Any]) -> dict[str, Any]:
    pairs = patterns()
    before = {cell.get("id"): cell for cell in committed.get("cells", ())}
    for cell in working.get("cells", ()):
        old = before.get(cell.get("id"))
        if (
            cell.get("cell_type") == "code"
            and old is not None
            and old.get("cell_type") == "code"
            and _text(old.get("source")) == _text(cell.get("source"))
            and old.get("execution_count") == cell.get("execution_count")
            and sanitized(coalesced(old.get("outputs")), pairs)
            == sanitized(coalesced(cell.get("outputs")), pairs)
        ):
            cell["outputs"] = old["outputs"]
    new_info = working.get("metadata", {}).get("language_info")
    old_info = committed.get("metadata", {}).get("language_info")
    if (
        isinstance(new_info, dict)
        and isinstance(old_info, dict)
        and "version" in old_info
        and {**new_info, "version": None} == {**old_info, "version": None}
    ):
        new_info["version"] = old_info["version"]
    return working


def main() -> None:
    raw = sys.stdin.buffer.read()
    try:
        committed_text = subprocess.run(
            ["git", "cat-file", "blob", f":{sys.argv[1]}"],
            capture_output=True,
            check=True,
        ).stdout
        working = json.loads(raw)
        result = clean(working, json.loads(committed_text))
    except (OSError, IndexError, ValueError, subprocess.CalledProcessError, AttributeError):
        sys.stdout.buffer.write(raw)
        return
    # As nbformat (and so JupyterLab) writes a notebook.
    text = json.dumps(result, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=False)
    sys.stdout.buffer.write((text + "\n").encode("utf-8"))


if __name__ == "__main__":
    main()
