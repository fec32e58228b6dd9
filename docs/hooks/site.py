"""MkDocs hook: pages that depend on what exists in the repository.

- Guide notebooks listed in ``nav`` but not written yet are left out of the navigation,
  and a Markdown page's links to them (``[Quickstart](guide/01_quickstart.ipynb)``) are
  shown as plain text, each with an info message, instead of failing ``mkdocs build
  --strict``. Once a notebook exists it appears, and every link to it is checked.
- ``CHANGELOG.md`` at the repository root, when there is one, becomes the Changelog page;
  without it the nav entry is dropped.
- A workaround for mkdocs-jupyter 0.27 with ``markdown_cell_processor: mkdocs``: nbconvert's
  inlined CSS is appended to each notebook page a second time, as an indented
  ``<style>['...']</style>`` block (the repr of a list), which Markdown then shows as a
  code block at the foot of the page. The same CSS is already in the page, so the stray
  block is removed. When mkdocs-jupyter fixes this, the pattern no longer matches and the
  workaround does nothing.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.site")

ROOT = Path(__file__).resolve().parents[2]
CHANGELOG = ROOT / "CHANGELOG.md"
CHANGELOG_PAGE = "changelog.md"
GUIDE_MOUNT = "guide/"
_GUIDE_LINK = re.compile(r"\[([^\]]+)\]\((guide/[^)#\s]+\.ipynb)(#[^)\s]*)?\)")
_BLOCKQUOTE = re.compile(r"(?m)^([ \t]*)&gt;")
_STRAY_CSS = re.compile(r"\n[ \t]*<style>\n[ \t]*\[.*\]\n[ \t]*</style>\s*\Z", re.DOTALL)


def _notebooks_dir(config: Any) -> Path:
    base = Path(config["config_file_path"]).parent
    mounts = config["plugins"]["mkdocs-jupyter"].config["notebook_dirs"]
    return (base / mounts[GUIDE_MOUNT.rstrip("/")]).resolve()


def _prune(items: list[Any], keep: Any) -> list[Any]:
    """The nav without the pages ``keep`` rejects, and without sections left empty."""
    pruned: list[Any] = []
    for item in items:
        if isinstance(item, dict):
            ((title, value),) = item.items()
            if isinstance(value, list):
                children = _prune(value, keep)
                if children:
                    pruned.append({title: children})
            elif keep(value):
                pruned.append(item)
        elif keep(item):
            pruned.append(item)
    return pruned


def on_config(config: Any) -> Any:
    notebooks = _notebooks_dir(config)

    def keep(page: str) -> bool:
        if page.startswith(GUIDE_MOUNT):
            exists = (notebooks / page.removeprefix(GUIDE_MOUNT)).is_file()
            if not exists:
                log.info("guide: %s is not written yet; left out of the navigation", page)
            return exists
        if page == CHANGELOG_PAGE:
            return CHANGELOG.is_file()
        return True

    if config["nav"]:
        config["nav"] = _prune(config["nav"], keep)
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    if CHANGELOG.is_file():
        content = CHANGELOG.read_text(encoding="utf-8")
        files.append(File.generated(config, CHANGELOG_PAGE, content=content))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    # Runs after mkdocs-jupyter's own on_page_markdown (priority 100), which turns the
    # notebook into this Markdown.
    if page.file.src_uri.endswith(".ipynb"):
        # nbconvert re-serializes the page with BeautifulSoup before Python-Markdown runs,
        # escaping the ">" that opens a Markdown blockquote; the reference quotes need it.
        return _BLOCKQUOTE.sub(r"\1>", _STRAY_CSS.sub("\n", markdown))
    notebooks = _notebooks_dir(config)

    def unlink_missing(match: re.Match[str]) -> str:
        target = match.group(2).removeprefix(GUIDE_MOUNT)
        if (notebooks / target).is_file():
            return match.group(0)
        log.info(
            "guide: %s links to %s, not written yet; shown unlinked", page.file.src_uri, target
        )
        return match.group(1)

    return _GUIDE_LINK.sub(unlink_missing, markdown)
