"""The site: ``mkdocs build --strict`` succeeds, and the built pages are what they claim.

The site is built once for this module, into a temporary directory. The browser check
drives the Chromium that ``tests/browser.py`` finds, through Playwright, against the built
site served on 127.0.0.1; every request that would leave 127.0.0.1 is sent to a closed local
port instead, so nothing reaches the network.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import launch
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from test_notebooks import NOTEBOOKS, allowed_secrets, fr, key_shaped_strings

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT = 600
TEXT_SUFFIXES = {".html", ".json", ".xml", ".txt", ".ipynb", ".css", ".js", ".inv", ".yaml"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as ``make docs-build`` builds it, in a temporary directory."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}")
    return out


def _page(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def _notebook_pages(site: Path) -> list[Path]:
    return sorted(site.glob("guide/*/index.html"))


@pytest.mark.timeout(BUILD_TIMEOUT)
def test_strict_build_renders_every_page_of_the_nav(site: Path) -> None:
    for url in ("", "field-reference", "sandbox", "api", "benchmarks"):
        assert (site / url / "index.html").is_file(), url
    assert "Changelog" in _page(site, "changelog")
    for name in fr.GUIDE_NOTEBOOKS:
        assert (site / "guide" / name.removesuffix(".ipynb") / "index.html").is_file()


@pytest.mark.timeout(BUILD_TIMEOUT)
def test_site_ships_no_hook_code_and_only_notebooks_from_notebooks_dir(site: Path) -> None:
    assert not (site / "hooks").exists()
    guide = site / "guide"
    if guide.exists():
        names = {p.name for p in guide.rglob("*") if p.is_file()}
        assert names <= {"index.html"} | {p.name for p in NOTEBOOKS.glob("*.ipynb")}


@pytest.mark.timeout(BUILD_TIMEOUT)
def test_field_reference_lists_every_contract_entry_with_its_kit_conventions(
    site: Path,
) -> None:
    page = _page(site, "field-reference")

    for item in fr.contract_fields():
        assert f"<code>{item.path}</code>" in page, item.path
    assert "<strong>kit convention</strong>" in page
    assert "<strong>inferred</strong>" in page


@pytest.mark.timeout(BUILD_TIMEOUT)
def test_field_reference_links_land_on_notebook_headings(site: Path) -> None:
    page = _page(site, "field-reference")
    links = re.findall(r'href="\.\./guide/([^/"]+)/#([^"]+)"', page)

    for notebook, anchor in links:
        target = _page(site, f"guide/{notebook}")
        assert re.search(rf'<h[1-6] id="{re.escape(anchor)}"', target), (notebook, anchor)
    sections = fr.guide_sections(NOTEBOOKS)
    expected = sum(1 for f in fr.contract_fields() if fr.find_section(f, sections))
    assert len(links) == expected


@pytest.mark.timeout(BUILD_TIMEOUT)
def test_built_site_contains_no_key_shaped_strings_but_the_sandbox_test_key(
    site: Path,
) -> None:
    allowed = allowed_secrets()
    found: dict[str, list[str]] = {}
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            hits = key_shaped_strings(path.read_text(encoding="utf-8", errors="replace"), allowed)
            if hits:
                found[str(path.relative_to(site))] = hits

    assert found == {}


# ============================================================================ browser


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served_site(site: Path) -> Iterator[str]:
    """The built site over HTTP on 127.0.0.1, from a thread."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser_page(served_site: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(
            playwright,
            # No network but the site: every other request goes to a closed local port.
            proxy={"server": "http://127.0.0.1:9", "bypass": "127.0.0.1"},
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.timeout(BUILD_TIMEOUT)
def test_browser_shows_a_notebook_page_with_its_outputs(
    site: Path, served_site: str, browser_page: Any
) -> None:
    pages = _notebook_pages(site)
    assert pages, "the site has no notebook page"
    url = served_site + pages[0].parent.relative_to(site).as_posix() + "/"

    browser_page.goto(url)

    outputs = browser_page.locator(".jp-OutputArea-output")
    outputs.first.wait_for(state="visible", timeout=15_000)
    assert outputs.count() >= 1
    assert outputs.first.inner_text().strip() != ""
    assert browser_page.locator(".jp-InputArea").count() >= 1


@pytest.mark.browser
@pytest.mark.timeout(BUILD_TIMEOUT)
def test_browser_site_search_finds_idempotency(served_site: str, browser_page: Any) -> None:
    browser_page.goto(served_site)

    browser_page.locator("label.md-search__icon, .md-search__input").first.click()
    search = browser_page.locator("input.md-search__input")
    results = browser_page.locator(".md-search-result__item")
    # Material queries on keystrokes, and its search worker may still be loading the
    # index: type the query again until results appear.
    for _ in range(15):
        search.fill("")
        search.press_sequentially("idempotency")
        try:
            results.first.wait_for(state="visible", timeout=1_000)
            break
        except PlaywrightTimeoutError:
            continue

    assert results.count() >= 1
    assert "dempoten" in browser_page.locator(".md-search-result").inner_text().lower()
