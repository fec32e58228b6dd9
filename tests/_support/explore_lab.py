"""The request builder in a real JupyterLab: a scratch notebook, opened and run in Chromium.

Shared by the browser test (``test_explore_lab.py``) and ``make screenshots``. JupyterLab's
root is the repository (``make lab``), so the scratch notebook lives in the git-ignored
``lab-scratch/`` folder there, and is removed afterwards.
"""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import nbformat

from _support.lab import ROOT

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

    _run_cell(page, url)
    builder = page.locator(".leanrails-explore")
    expect(builder).to_be_visible(timeout=60_000)
    return builder


UNCAUGHT = (
    "%load_ext leanrails\n"
    "from leanrails import LeanRails\n\n"
    "client = LeanRails.sandbox()\n"
    "client.checkout_sessions.create(\n"
    '    mode="payment",\n'
    '    line_items=[{"price": "price_test_tshirt", "quantity": 2}],\n'
    ")"
)


def _run_cell(page: Page, url: str, count: int = 1) -> Locator:
    """Open the notebook alone (``reset``: no restored tabs), run its cell, return the outputs."""
    from playwright.sync_api import expect

    page.goto(url + "&reset")
    cell = page.locator(".jp-NotebookPanel:visible .jp-CodeCell").first
    expect(cell).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=60_000)
    outputs = cell.locator(".jp-OutputArea-output")
    # Select the cell (command mode), then Ctrl+Enter runs it in place. A key press made
    # while JupyterLab is still settling can be lost, so it is repeated until outputs come.
    for _ in range(3):
        cell.locator(".jp-InputPrompt").click()
        page.keyboard.press("Control+Enter")
        try:
            expect(outputs).to_have_count(count, timeout=20_000)
        except AssertionError:  # what expect() raises when it times out
            continue
        break
    expect(outputs).to_have_count(count)
    return cell.locator(".jp-OutputArea")


def screenshots(out: Path, names: list[str]) -> list[Path]:
    """Screenshots of the builder (and of an uncaught error) in a real JupyterLab."""
    from playwright.sync_api import expect, sync_playwright

    from _support.browser import launch
    from _support.lab import running_lab

    out.mkdir(parents=True, exist_ok=True)
    taken: list[Path] = []

    def shoot(locator: Locator, name: str) -> None:
        if name in names:
            path = out / f"{name}.png"
            locator.screenshot(path=path)
            taken.append(path)

    with running_lab() as url, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 2000})
            with scratch_notebook() as path:
                _run_cell(page, notebook_url(url, path))
                builder = page.locator(".leanrails-explore")
                expect(builder.locator(".lr-status")).to_contain_text("Valid")
                shoot(builder, "explore")
                builder.locator(".lr-line_items-0-quantity input").fill("two")
                builder.locator(".lr-success_url input").fill("example.com/done")
                expect(builder.locator(".lr-status")).to_contain_text("success_url")
                shoot(builder, "explore-validation")
                builder.locator(".lr-line_items-0-quantity input").fill("3")
                builder.locator(".lr-success_url input").fill("https://example.com/done")
                builder.get_by_role("tab", name="curl").click()
                expect(builder.locator(".lr-curl")).to_contain_text("curl --request POST")
                shoot(builder, "explore-curl")
                builder.locator(".lr-send").click()
                expect(builder.locator(".lr-response")).to_contain_text("cs_test_")
                shoot(builder, "explore-sent")
            with scratch_notebook(UNCAUGHT) as path:
                shoot(_run_cell(page, notebook_url(url, path), count=2), "uncaught-error")
        finally:
            browser.close()
    return taken


ALL = ["explore", "explore-validation", "explore-curl", "explore-sent", "uncaught-error"]

if __name__ == "__main__":
    # python -m _support.explore_lab OUT_DIR [NAME ...], tests/ on the path: make screenshots
    for taken in screenshots(Path(sys.argv[1]), sys.argv[2:] or ALL):
        print(taken)
