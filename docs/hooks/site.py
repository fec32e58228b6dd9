"""MkDocs hook: pages that depend on what exists in the repository.

- ``CHANGELOG.md`` at the repository root becomes the Changelog page.
- nbconvert re-serializes notebook pages with BeautifulSoup before Python-Markdown runs,
  escaping the ``>`` that opens a blockquote; it is restored at line starts.
- A workaround for mkdocs-jupyter 0.27 with ``markdown_cell_processor: mkdocs``: nbconvert's
  inlined CSS is appended to each notebook page a second time, as an indented
  ``<style>['...']</style>`` block (the repr of a list), which Markdown then shows as a
  code block at the foot of the page. The same CSS is already in the page, so the stray
  block is removed. When mkdocs-jupyter fixes this, the pattern no longer matches and the
  workaround does nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHANGELOG = ROOT / "CHANGELOG.md"
CHANGELOG_PAGE = "changelog.md"
_BLOCKQUOTE = re.compile(r"(?m)^([ \t]*)&gt;")
_STRAY_CSS = re.compile(r"\n[ \t]*<style>\n[ \t]*\[.*\]\n[ \t]*</style>\s*\Z", re.DOTALL)


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    content = CHANGELOG.read_text(encoding="utf-8")
    files.append(File.generated(config, CHANGELOG_PAGE, content=content))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    # Runs after mkdocs-jupyter's own on_page_markdown (priority 100), which turns the
    # notebook into this Markdown.
    if page.file.src_uri.endswith(".ipynb"):
        return _BLOCKQUOTE.sub(r"\1>", _STRAY_CSS.sub("\n", markdown))
    return markdown
