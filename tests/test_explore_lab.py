"""The request builder in a real JupyterLab (``make lab``), typed into in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from _support.browser import launch
from _support.explore_lab import notebook_url, open_builder, scratch_notebook

# The JupyterLab of the "lab" group (conftest's lab_url), which one xdist worker runs.
pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_typing_shows_a_validation_error_then_clears_it_and_send_shows_a_session(
    lab_url: str,
) -> None:
    url = lab_url
    with scratch_notebook() as path, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.grant_permissions(["clipboard-read", "clipboard-write"])
            page = context.new_page()
            builder = open_builder(page, notebook_url(url, path))
            status = builder.locator(".lr-status")
            expect(status).to_contain_text("Valid")

            quantity = builder.locator(".lr-line_items-0-quantity input")
            quantity.fill("two")
            expect(status).to_contain_text("line_items[0].quantity", timeout=10_000)
            expect(status).to_contain_text("valid integer")
            expect(builder.locator(".lr-send")).to_be_disabled()

            quantity.fill("3")
            expect(status).to_contain_text("Valid", timeout=10_000)
            expect(status).not_to_contain_text("line_items[0].quantity")
            python = builder.locator(".lr-python")
            expect(python).to_contain_text("'quantity': 3")
            python.get_by_role("button", name="Copy").click()
            expect(python.get_by_role("button", name="Copied")).to_be_visible()
            copied = page.evaluate("navigator.clipboard.readText()")
            assert copied.startswith("session = client.checkout_sessions.create(\n")
            assert "'quantity': 3" in copied

            builder.locator(".lr-send").click()
            response = builder.locator(".lr-response")
            expect(response).to_contain_text("CheckoutSession", timeout=20_000)
            expect(response).to_contain_text("cs_test_")
            expect(response).to_contain_text("6000")  # 3 T-shirts at 20.00
        finally:
            browser.close()
