"""``make lab``: JupyterLab opens on the guide, and using it as a reader does breaks nothing.

- It opens on the quickstart, as root too, with nothing over the notebook.
- A guide notebook opened, run ("Run All") and saved leaves ``git status`` clean: the
  committed metadata is what JupyterLab writes, and the clean filter that ``make setup``
  registers keeps a re-run's outputs that nbval's sanitize makes equal to the committed ones.
- File > New > Notebook, from where ``make lab`` opens, saves in ``scratch/``: git ignores
  it, and the strict site build and the notebook run leave it out.
- Identifiers in the guide's outputs wrap only after ``_``, ``.`` or ``[``, at desktop and
  phone widths.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from _support.browser import launch
from _support.lab import ROOT, accept_dialogs, lab_home, open_notebook
from _support.wrapping import mid_word_breaks

# One JupyterLab for the module (its fixture), so one xdist worker runs it.
pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]

# Long enough for JupyterLab to have asked its first-run questions, had it been going to.
SETTLE_MS = 4000
SHOWN = ".jp-NotebookPanel:not(.lm-mod-hidden)"
# Every code cell of the notebook in view has run: a number in each prompt, none pending.
ALL_RAN = """() => {
  const prompts = [...document.querySelectorAll('SHOWN .jp-CodeCell .jp-InputPrompt')];
  return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}""".replace("SHOWN", SHOWN)
# The notebook step of make test: strict nbval with the sanitize file.
NBVAL = ["-p", "nbval", "--nbval", "--nbval-current-env", "--nbval-sanitize-with"]
NBVAL += ["notebooks/sanitize.cfg"]
COLLECT = ["--collect-only", "-q", "notebooks"]
RUN_AND_SAVE = ["01_quickstart.ipynb", "03_line_items.ipynb", "11_idempotency_and_retries.ipynb"]


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout


# JupyterLab is conftest's lab_url (session-scoped, one for the "lab" group). Playwright is
# module-scoped: its sync API holds an event loop that the async tests must not find.
@pytest.fixture(scope="module")
def lab(lab_url: str) -> Iterator[tuple[str, Any]]:
    """The JupyterLab and a headless Chromium for this module's tests."""
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield lab_url, browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def lab_pages(lab: tuple[str, Any]) -> Iterator[Callable[[int], Any]]:
    """A page of the JupyterLab per window width, loaded at that width once (JupyterLab lays
    itself out for the width it starts at), for the tests that open notebooks to read them."""
    url, browser = lab
    pages: dict[int, Any] = {}

    def at(width: int) -> Any:
        if width not in pages:
            pages[width] = browser.new_page(viewport={"width": width, "height": 900})
            pages[width].goto(lab_home(url))
        return pages[width]

    try:
        yield at
    finally:
        for page in pages.values():
            page.close()


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_make_lab_opens_the_first_guide_notebook_with_no_news_pop_up(
    lab: tuple[str, Any],
) -> None:
    url, browser = lab
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(url)
        expect(page.get_by_role("heading", name="Quickstart", level=1)).to_be_visible(
            timeout=60_000
        )
        page.wait_for_timeout(SETTLE_MS)
        toasts = page.locator(".Toastify__toast").all_inner_texts()
        dialogs = page.locator(".jp-Dialog").count()
    finally:
        page.close()
    assert toasts == []
    assert dialogs == 0


def _menu(page: Any, menu: str, *items: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    for item in items:
        label = page.locator(".lm-Menu-itemLabel:visible", has_text=re.compile(f"^{item}$"))
        label.last.click()  # the last menu opened holds it (File, then File > New)


@pytest.mark.browser
@pytest.mark.timeout(900)
def test_guide_notebooks_opened_run_and_saved_in_jupyterlab_leave_git_status_clean(
    lab: tuple[str, Any],
) -> None:
    paths = [f"notebooks/{name}" for name in RUN_AND_SAVE]
    if _git("status", "--porcelain", "--", *paths):
        pytest.skip("these notebooks have local changes: the test would save over them")
    before = {path: (ROOT / path).read_bytes() for path in paths}
    url, browser = lab
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(lab_home(url))
        for path in paths:
            open_notebook(page, path, to_run=True)
            expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=90_000)
            accept_dialogs(page)
            _menu(page, "Run", "Run All Cells")
            page.wait_for_function(ALL_RAN, polling=500, timeout=300_000)
            expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=90_000)
            saved = (ROOT / path).stat().st_mtime_ns
            _menu(page, "File", "Save Notebook")
            deadline = 60_000
            while (ROOT / path).stat().st_mtime_ns == saved and deadline > 0:
                page.wait_for_timeout(250)
                deadline -= 250
            assert (ROOT / path).stat().st_mtime_ns != saved, f"{path} was not saved"
            # The file is written before JupyterLab marks the document clean: the next open
            # (close-all) in between asked "Save changes?" once under load.
            expect(page.locator(".lm-TabBar-tab.jp-mod-dirty")).to_have_count(0, timeout=30_000)
            changed = {p for p in paths if (ROOT / p).read_bytes() != before[p]}
            assert path in changed  # JupyterLab wrote fresh ids, keys and ports ...
        status = _git("status", "--porcelain", "--", "notebooks")
        diff = _git("diff", "--", "notebooks")[:4000]
    finally:
        page.close()
        for path, content in before.items():  # atomically: other tests may be reading it
            restored = ROOT / f"{path}.restore"
            restored.write_bytes(content)
            os.replace(restored, ROOT / path)
        _git("status", "--porcelain")  # refresh git's index stat after the restore

    assert status == "", diff  # ... and git sees no change


@pytest.mark.browser
@pytest.mark.timeout(900)
def test_a_new_notebook_from_make_labs_root_breaks_neither_the_site_nor_the_notebook_run(
    lab: tuple[str, Any], tmp_path: Path
) -> None:
    scratch = ROOT / "scratch"
    existing = set(scratch.glob("*.ipynb")) if scratch.is_dir() else set()
    url, browser = lab
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(url)
        expect(page.get_by_role("heading", name="Quickstart", level=1)).to_be_visible(
            timeout=60_000
        )
        accept_dialogs(page)
        _menu(page, "File", "New", "Notebook")
        accept_dialogs(page)
        created: set[Path] = set()
        for _ in range(240):
            created = set(scratch.glob("*.ipynb")) - existing
            if created:
                break
            page.wait_for_timeout(250)
        assert created, "File > New > Notebook saved nothing under scratch/"
        (new,) = created
        assert _git("status", "--porcelain", "--", str(new)) == ""  # ignored by git
        assert _git("check-ignore", str(new)).strip()

        env = {k: v for k, v in os.environ.items() if not k.startswith("LEANRAILS_")}
        built = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**env, "NO_MKDOCS_2_WARNING": "1"},
            timeout=600,
            check=False,
        )
        collected = subprocess.run(  # what make notebooks collects, with its nbval options
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *NBVAL, *COLLECT],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
    finally:
        page.close()
        for path in (set(scratch.glob("*.ipynb")) if scratch.is_dir() else set()) - existing:
            path.unlink()

    assert built.returncode == 0, built.stdout + built.stderr
    assert new.name not in built.stdout + built.stderr
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert "notebooks/01_quickstart.ipynb" in collected.stdout
    assert new.name not in collected.stdout


OUTPUT_IDENTIFIERS = ", ".join(
    f"{SHOWN} {part}"
    for part in (
        ".jp-OutputArea-output code",
        ".jp-OutputArea-output td",
        ".jp-OutputArea-output th",
        ".jp-RenderedMarkdown code",
        ".jp-RenderedMarkdown h2",
    )
)


@pytest.mark.browser
@pytest.mark.timeout(600)
@pytest.mark.parametrize("width", [1440, 390], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", ["09_errors.ipynb", "10_error_body.ipynb"])
def test_identifiers_in_the_guide_wrap_only_at_their_separators_in_jupyterlab(
    lab_pages: Callable[[int], Any], name: str, width: int
) -> None:
    page = lab_pages(width)
    open_notebook(page, f"notebooks/{name}", to_run=False)
    expect(page.locator(f"{SHOWN} .jp-OutputArea-output").first).to_be_attached(timeout=90_000)
    page.wait_for_timeout(1000)

    assert mid_word_breaks(page, OUTPUT_IDENTIFIERS) == []
