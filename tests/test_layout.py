"""The README's architecture map names every file of the package, and only files that exist.

A newcomer reads the map to find where a concern lives, so it must follow the tree: a module
added, renamed or removed under ``src/leanrails/`` fails here until the map says so.

How the map is read (the fenced block under ``## Architecture``, from ``src/leanrails/`` to
the next line that is not indented): an entry starts two spaces deeper than its folder, with
a file name (or several, separated by commas) or a folder name ending in ``/``; a folder's
entries follow it, two spaces deeper. Every file name on a line, the description included,
is a file of that entry's folder, and so is every name on the deeper-indented lines that
continue a description. A folder named in the map names its ``__init__.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "leanrails"
FILE = re.compile(r"(?<![\w./-])[A-Za-z_][\w]*\.(?:py|yaml|typed|css|js|json|html)(?![\w/])")
ENTRY = re.compile(r"[A-Za-z_][\w]*(?:\.\w+|/)")


def _named_in_map(readme: str) -> set[str]:
    """The files the map names, as paths relative to the package."""
    block = readme.split("\n## Architecture\n", 1)[1].split("```")[1]
    lines = iter(block.splitlines())
    for line in lines:
        if line.strip() == "src/leanrails/":
            break
    else:
        raise AssertionError("the architecture map has no src/leanrails/ entry")
    named: set[str] = set()
    folders: list[str] = []  # the folders the current entry is in, outermost first
    for line in lines:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent == 0:
            break
        first = line.split()[0].rstrip(",")
        if indent % 2 == 0 and indent // 2 <= len(folders) + 1 and ENTRY.fullmatch(first):
            del folders[indent // 2 - 1 :]
            if first.endswith("/"):
                folders.append(first[:-1])
                named.add("/".join([*folders, "__init__.py"]))
        named.update("/".join([*folders, name]) for name in FILE.findall(line))
    return named


def _package_files() -> set[str]:
    return {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_architecture_map_names_every_file_of_the_package() -> None:
    missing = _package_files() - _named_in_map((ROOT / "README.md").read_text(encoding="utf-8"))
    assert not missing, f"add to the README's architecture map: {sorted(missing)}"


def test_the_architecture_map_names_no_file_that_does_not_exist() -> None:
    stale = _named_in_map((ROOT / "README.md").read_text(encoding="utf-8")) - _package_files()
    assert not stale, f"the README's architecture map names what is not there: {sorted(stale)}"


def test_the_map_reader_places_names_by_indentation() -> None:
    readme = (
        "\n## Architecture\n\n```\nsrc/leanrails/\n"
        "  a.py            one; b.py too\n"
        "                  continued: c.py\n"
        "  pkg/            a folder\n"
        "    d.py, e.py    two\n"
        "                  f.py\n"
        "  g.py            back at the top\n"
        "tests/            h.py is not the package's\n```\n"
    )
    assert _named_in_map(readme) == {
        "a.py",
        "b.py",
        "c.py",
        "pkg/__init__.py",
        "pkg/d.py",
        "pkg/e.py",
        "pkg/f.py",
        "g.py",
    }
