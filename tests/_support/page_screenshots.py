"""Screenshots of the real hosted checkout page, served by the sandbox, in headless Chromium.

``python -m _support.page_screenshots docs/images`` (tests/ on the path) writes
``hosted-page.png`` (1280 px wide),
the image the sandbox guide shows (``make screenshots``). With ``--all`` it also writes
``page-desktop.png`` and ``page-phone.png`` (390 px), ``page-declined.png`` (390 px, after
the declining test card) and ``page-confirm.png`` (the confirmation step), for review.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import httpx2
from playwright.sync_api import Page, sync_playwright

from leanrails.sandbox import TEST_API_KEY, serve_sandbox

from _support.browser import launch
from _support.page import fill_checkout

CART: dict[str, Any] = {
    "mode": "payment",
    "line_items": [
        {"quantity": 2, "price": "price_test_tshirt"},
        {"quantity": 1, "price": "price_test_mug"},
    ],
    "customer_email": "jsmith@example.com",
    "cancel_url": "https://shop.example.com/cart",
}


def _open(browser: Any, url: str, width: int) -> Page:
    page: Page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(url)
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--all", action="store_true", help="also the review screenshots")
    args = parser.parse_args(argv)
    out: Path = args.directory
    out.mkdir(parents=True, exist_ok=True)
    served = serve_sandbox()
    try:
        with httpx2.Client(base_url=served.base_url, auth=(TEST_API_KEY, "")) as api:

            def checkout(key: str) -> str:
                body = {**CART, "success_url": f"{served.base_url}/?paid={{CHECKOUT_SESSION_ID}}"}
                created = api.post(
                    "/v1/checkout_sessions", json=body, headers={"Idempotency-Key": key}
                )
                created.raise_for_status()
                url: str = created.json()["url"]
                return url

            with sync_playwright() as playwright:
                browser = launch(playwright)
                try:
                    _open(browser, checkout("docs"), 1280).screenshot(
                        path=out / "hosted-page.png", full_page=True
                    )
                    if args.all:
                        _review(browser, checkout, out)
                finally:
                    browser.close()
    finally:
        served.stop()
    return 0


def _review(browser: Any, checkout: Any, out: Path) -> None:
    _open(browser, checkout("desktop"), 1280).screenshot(
        path=out / "page-desktop.png", full_page=True
    )
    _open(browser, checkout("phone"), 390).screenshot(path=out / "page-phone.png", full_page=True)
    declined = _open(browser, checkout("declined"), 390)
    fill_checkout(declined, "4000 0000 0000 0002")
    declined.get_by_role("button", name="Pay").click()
    declined.get_by_role("alert").wait_for()
    declined.screenshot(path=out / "page-declined.png", full_page=True)
    confirm = _open(browser, checkout("confirm"), 1280)
    fill_checkout(confirm, "4000 0025 0000 3155")
    confirm.get_by_role("button", name="Pay").click()
    confirm.get_by_role("heading", name="Confirm your payment").wait_for()
    confirm.screenshot(path=out / "page-confirm.png", full_page=True)


if __name__ == "__main__":
    sys.exit(main())
