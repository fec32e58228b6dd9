"""``make lab``: JupyterLab opens on the guide, as root too, with nothing over the notebook."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from _support.browser import launch
from _support.lab import running_lab

# Long enough for JupyterLab to have asked its first-run questions, had it been going to.
SETTLE_MS = 4000


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_make_lab_opens_the_first_guide_notebook_with_no_news_pop_up() -> None:
    with running_lab() as url, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(url)
            expect(page.get_by_role("heading", name="Quickstart", level=1)).to_be_visible(
                timeout=60_000
            )
            page.wait_for_timeout(SETTLE_MS)
            toasts = page.locator(".Toastify__toast").all_inner_texts()
            dialogs = page.locator(".jp-Dialog").count()
        finally:
            browser.close()
    assert toasts == []
    assert dialogs == 0
