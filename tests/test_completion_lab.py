"""An editor's completion in JupyterLab: Tab inside ``create(`` offers its parameters.

In the "lab" xdist group, beside the other JupyterLab tests: it uses their JupyterLab
(conftest's ``lab_url``). The type checkers' and IPython's view of the same signature is
tests/test_typed_calls.py's.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import expect, sync_playwright

from _support.browser import launch
from _support.lab import ROOT, accept_dialogs

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]

SETUP_CELL = "from leanrails import LeanRails\n\nclient = LeanRails.sandbox()"


@pytest.fixture
def scratch_notebook() -> Iterator[str]:
    """A notebook in a scratch folder under the repository root (JupyterLab's root dir),
    ignored by git and removed afterwards; yields its path relative to the root."""
    with tempfile.TemporaryDirectory(dir=ROOT, prefix="lab-scratch-") as folder:
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [
            nbformat.v4.new_code_cell(SETUP_CELL),
            nbformat.v4.new_code_cell("client.checkout_sessions.create("),
        ]
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        path = Path(folder) / "typed_calls.ipynb"
        nbformat.write(notebook, path)
        yield path.relative_to(ROOT).as_posix()


# JupyterLab waits 1 s for a kernel's completions; a kernel's first (jedi warming up) can
# take longer on a busy machine, and the user then presses Tab again.
TAB_ATTEMPTS = 3
RUN_ATTEMPTS = 3
EXECUTED = re.compile(r"\[\d+\]:")


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_tab_inside_create_completes_line_items_in_jupyterlab(
    scratch_notebook: str, lab_url: str
) -> None:
    url = lab_url
    with sync_playwright() as playwright:
        notebook_url = re.sub(r"/lab/tree/[^?]+", f"/lab/tree/{scratch_notebook}", url)
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(notebook_url)
            notebook = page.locator(".jp-NotebookPanel:visible")
            cells = notebook.locator(".jp-CodeCell")
            expect(cells).to_have_count(2, timeout=60_000)
            idle = notebook.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
            expect(idle).to_have_count(1, timeout=60_000)
            ran = cells.nth(0).locator(".jp-InputPrompt")
            for _attempt in range(RUN_ATTEMPTS):
                accept_dialogs(page)
                cells.nth(0).locator(".cm-content").click()
                page.keyboard.press("Shift+Enter")
                try:
                    expect(ran).to_have_text(EXECUTED, timeout=30_000)
                    break
                except AssertionError:
                    continue  # the keys reached JupyterLab before its kernel connection
            expect(ran).to_have_text(EXECUTED)
            accept_dialogs(page)
            editor = cells.nth(1).locator(".cm-content")
            editor.click()
            page.keyboard.press("End")
            offered = page.locator(".jp-Completer").get_by_text("line_items=", exact=True)
            for _attempt in range(TAB_ATTEMPTS):
                page.keyboard.press("Tab")
                try:
                    expect(offered).to_be_visible(timeout=10_000)
                    break
                except AssertionError:
                    continue  # JupyterLab gave up waiting for the kernel's first answer
            offered.click()
            expect(editor).to_have_text("client.checkout_sessions.create(line_items=")
        finally:
            browser.close()
