"""Try it on the reference page: the built site, in Chromium, against a real ``leanrails sandbox``.

The site is served over HTTP on 127.0.0.1 and the sandbox runs as ``make sandbox`` runs it, on
a free port, with ``--cors-origin`` set to the docs server's origin: the page sends from the
browser as a reader's would. A create answers 200; a bad quantity answers the 400 and the
quantity input is marked; the key is in no sample and in no storage entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_docs import served_site  # noqa: F401  (the built site over HTTP)
from test_sandbox_cli import serving

from _support.site import BUILD_TIMEOUT

KEY = "sk_test_try_it_secret_8f3a"


@pytest.fixture(scope="module")
def site(built_site: Path) -> Path:
    return built_site


@pytest.fixture(scope="module")
def sandbox_url(served_site: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # noqa: F811
    origin = served_site.rstrip("/")
    with serving(tmp_path_factory.mktemp("try-it"), "--cors-origin", origin) as url:
        yield url


def _send(page: Any, status: str) -> str:
    page.locator("#try-it button[type=submit]").click()
    page.wait_for_function(
        "s => document.querySelector('.try-it-status').textContent.startsWith(s)",
        arg=status,
        timeout=30_000,
    )
    return str(page.locator(".try-it-status").inner_text())


@pytest.mark.browser
@pytest.mark.timeout(BUILD_TIMEOUT)
def test_try_it_creates_a_session_marks_a_bad_quantity_and_never_keeps_or_shows_the_key(
    served_site: str,  # noqa: F811
    sandbox_url: str,
    chromium: Any,
) -> None:
    page = chromium.new_page(viewport={"width": 1440, "height": 900})
    page.goto(served_site + "field-reference/")
    page.wait_for_load_state("networkidle")
    page.locator(".try-it-panel > summary").click()
    page.fill("#try-it-base-url", sandbox_url)
    page.fill("#try-it-api-key", KEY)

    created = _send(page, "HTTP 200")
    answer = page.locator(".try-it-response").inner_text()
    # The session's URL, longer than the column, breaks inside it: nothing scrolls out of view.
    overflow = page.locator(".try-it-response > code").evaluate(
        "e => e.scrollWidth - e.clientWidth"
    )
    quantity = page.locator('[data-param="line_items[0].quantity"]')
    quantity.fill("0")
    refused = _send(page, "HTTP 400")
    marked = quantity.get_attribute("aria-invalid")
    others = page.locator("[aria-invalid]").count()
    samples = page.locator("[data-sample]").all_inner_texts()
    stored = page.evaluate(
        "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"
    )
    html = page.content().replace(f'value="{KEY}"', "")
    page.close()

    assert created == "HTTP 200"
    assert '"object": "checkout.session"' in answer
    assert overflow <= 0
    assert "line_items[0].quantity" in refused
    assert (marked, others) == ("true", 1)
    assert len(samples) == 3
    assert all("LEANRAILS_API_KEY" in s for s in samples)
    assert all('"quantity": 0' in s or "quantity=0" in s for s in samples)
    assert KEY not in " ".join(samples)
    assert KEY not in stored
    assert KEY not in html
