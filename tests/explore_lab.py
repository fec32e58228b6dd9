"""The request builder in a real JupyterLab: a scratch notebook, opened and run in Chromium.

Shared by the browser test (``test_explore_lab.py``) and ``make screenshots``. JupyterLab's
root is the repository (``make lab``), so the scratch notebook lives in the git-ignored
``lab-scratch/`` folder there, and is removed afterwards.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import nbformat
from jupyterlab import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

SCRATCH = ROOT / "lab-scratch"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
SHOW_BUILDER = "from leanrails import explore\n\nexplore()"


@contextmanager
def scratch_notebook(source: str = SHOW_BUILDER) -> Iterator[str]:
    """A one-cell notebook under ``lab-scratch/``; yields its path from the repository root."""
    folder = SCRATCH / uuid.uuid4().hex[:12]
    folder.mkdir(parents=True)
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": KERNELSPEC})
    notebook.cells = [nbformat.v4.new_code_cell(source)]
    path = folder / "explore.ipynb"
    nbformat.write(notebook, path)
    try:
        yield path.relative_to(ROOT).as_posix()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if SCRATCH.is_dir() and not any(SCRATCH.iterdir()):
            SCRATCH.rmdir()


def notebook_url(lab_url: str, path: str) -> str:
    """``running_lab()``'s URL (with its token) pointed at another notebook."""
    parts = urlsplit(lab_url)
    return urlunsplit(parts._replace(path=f"/lab/tree/{path}"))


def open_builder(page: Page, url: str) -> Locator:
    """Open the notebook, run its cell, and return the builder once it is drawn."""
    from playwright.sync_api import expect

    page.goto(url)
    editor = page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-editor:visible").first
    expect(editor).to_be_visible(timeout=60_000)
    # Keys typed before the kernel is ready can be lost: wait for it, as a user would.
    expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=60_000)
    editor.click()
    page.keyboard.press("Shift+Enter")
    builder = page.locator(".leanrails-explore")
    expect(builder).to_be_visible(timeout=60_000)
    return builder
