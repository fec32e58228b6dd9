"""The site: ``mkdocs build --strict`` succeeds, and the built pages are what they claim.

The site is built once for this module, into a temporary directory. The browser check
drives the Chromium that ``tests/_support/browser.py`` finds, through Playwright, against the built
site served on 127.0.0.1; every request that would leave 127.0.0.1 is sent to a closed local
port instead, so nothing reaches the network.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import leanrails_docs.guide as fr
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from test_notebooks import NOTEBOOKS, allowed_secrets, key_shaped_strings

from _support.browser import launch
from _support.site import BUILD_TIMEOUT
from _support.wrapping import mid_word_breaks

# Its tests share module-scoped fixtures: one xdist worker runs them all, set up once.
pytestmark = [pytest.mark.docs, pytest.mark.xdist_group("docs")]

ROOT = Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {".html", ".json", ".xml", ".txt", ".ipynb", ".css", ".js", ".inv", ".yaml"}


@pytest.fixture(scope="module")
def site(built_site: Path) -> Path:
    """The site as ``make docs-build`` builds it, in a temporary directory (one build a run)."""
    return built_site


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
    assert not (site / "_tools").exists()
    guide = site / "guide"
    if guide.exists():
        names = {p.name for p in guide.rglob("*") if p.is_file()}
        assert names <= {"index.html"} | {p.name for p in NOTEBOOKS.glob("*.ipynb")}


@pytest.mark.timeout(BUILD_TIMEOUT)
def test_reference_page_has_an_anchor_per_field_and_the_three_panels(site: Path) -> None:
    page = _page(site, "field-reference")

    for item in fr.contract_fields():
        assert f'id="{item.ref_id}"' in page, item.ref_id
    assert re.search(r"<label[^>]*>Python</label>", page)
    assert re.search(r"<label[^>]*>curl</label>", page)
    assert re.search(r"<label[^>]*>JavaScript</label>", page)
    assert page.count('<div class="highlight">') >= 4  # Python, JavaScript, curl, responses
    assert page.count('<td data-label="Status">') >= 5
    assert 'Source: <a href="../conventions/">kit convention</a>' in page
    assert 'Source: <a href="../conventions/#three-sources">inferred</a>' in page


@pytest.mark.timeout(BUILD_TIMEOUT)
def test_search_index_holds_prose_and_code_but_no_prompts_or_button_labels(site: Path) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    guide = [doc for doc in index["docs"] if doc["location"].startswith("guide/")]
    text = " ".join(doc["title"] + " " + doc["text"] for doc in guide)

    assert guide
    assert not re.search(r"In\s*\[\d*\]:", text)
    assert "Copied!" not in text
    assert "checkout_sessions.create" in text


@pytest.mark.timeout(BUILD_TIMEOUT)
def test_site_pages_reference_nothing_off_the_serving_host(site: Path) -> None:
    offsite = re.compile(r'(?:src|href)="(?:https?:)?//[^"]*"')
    for path in site.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        scripts_and_styles = [
            m for m in offsite.findall(html) if re.search(r"\.(js|css|woff2?)\b", m)
        ]
        assert scripts_and_styles == [], path
        assert "cdn.jsdelivr.net" not in html, path
        assert "fonts.googleapis.com" not in html, path


@pytest.mark.timeout(BUILD_TIMEOUT)
def test_notebook_pages_link_their_jupyterlab_css_as_shared_files_instead_of_inlining_it(
    site: Path,
) -> None:
    linked: set[str] = set()
    for path in _notebook_pages(site):
        html = path.read_text(encoding="utf-8")
        sheets = re.findall(r'<link href="\.\./\.\./(assets/notebook/[0-9a-f]{16}\.css)"', html)
        assert "<style" not in html, path
        assert len(html) < 200_000, path  # it was 650 KB, 575 KB of it CSS
        assert len(sheets) == 3, path
        linked.update(sheets)
    assert len(linked) == 3  # every page links the same files
    assert sum((site / sheet).stat().st_size for sheet in linked) > 500_000


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


def test_each_guide_section_the_reference_links_to_links_back(site: Path) -> None:
    page = _page(site, "field-reference")
    links = re.findall(r'href="\.\./guide/([^/"]+)/#([^"]+)"', page)
    backs = 0
    for notebook, anchor in links:
        target = _page(site, f"guide/{notebook}")
        after_heading = rf'id="{re.escape(anchor)}".*?</h[1-6]>\s*<p class="field-reference-link">'
        back = re.search(after_heading + r"(.*?)</p>", target, re.S)
        assert back, (notebook, anchor)
        assert 'href="../../field-reference/#' in back.group(1)
        backs += 1
    assert backs == len(links) > 0


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
def browser(served_site: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(
            playwright,
            # No network but the site: every other request goes to a closed local port.
            proxy={"server": "http://127.0.0.1:9", "bypass": "127.0.0.1"},
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _open(browser: Any, url: str, width: int, seen: list[str] | None = None) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900})
    if seen is not None:
        page.on("request", lambda request: seen.append(request.url))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page


def _guide_urls(site: Path, served_site: str) -> list[str]:
    return [
        served_site + p.parent.relative_to(site).as_posix() + "/" for p in _notebook_pages(site)
    ]


@pytest.mark.browser
@pytest.mark.timeout(BUILD_TIMEOUT)
def test_browser_every_field_anchor_shows_its_field_even_inside_closed_children(
    served_site: str, browser: Any
) -> None:
    page = _open(browser, served_site + "field-reference/", 1280)
    hidden = []
    for item in fr.contract_fields():
        page.evaluate("id => { window.location.hash = id; }", item.ref_id)
        target = page.locator(f'[id="{item.ref_id}"]')
        if target.count() != 1 or not target.is_visible():
            hidden.append(item.ref_id)
    page.close()

    assert hidden == []


@pytest.mark.browser
@pytest.mark.timeout(BUILD_TIMEOUT)
def test_browser_searching_a_field_puts_its_anchor_first(served_site: str, browser: Any) -> None:
    page = _open(browser, served_site + "field-reference/", 1280)
    page.locator("label.md-search__icon, .md-search__input").first.click()
    search = page.locator("input.md-search__input")
    meta = page.locator(".md-search-result__meta")
    page.wait_for_function(
        "() => !document.querySelector('.md-search-result__meta').innerText"
        ".startsWith('Initializing')",
        timeout=30_000,
    )
    idle = meta.inner_text()  # "Type to start searching"
    first_anchor = (
        "() => { const a = [...document.querySelectorAll('.md-search-result__item a')]"
        ".map(e => e.getAttribute('href')).find(h => h.includes('#'));"
        " return a ? decodeURIComponent(a.split('#')[1]) : null; }"
    )
    wrong: dict[str, str | None] = {}
    for item in fr.contract_fields():
        # Material searches on keyup. Clear the query, then wait for this query's results
        # (the count line changes once they arrive) before reading the first anchor.
        search.fill("")
        search.press("End")
        page.wait_for_function(
            "idle => document.querySelector('.md-search-result__meta').innerText === idle",
            arg=idle,
            polling=100,
        )
        search.fill(item.ref_id)
        search.press("End")
        page.wait_for_function(
            "idle => document.querySelector('.md-search-result__meta').innerText !== idle",
            arg=idle,
            polling=100,
            timeout=30_000,
        )
        found = page.evaluate(first_anchor)
        if found != item.ref_id:
            wrong[item.ref_id] = found
    page.close()

    assert wrong == {}


@pytest.mark.browser
@pytest.mark.timeout(BUILD_TIMEOUT)
def test_browser_reference_shows_request_tabs_response_and_errors_beside_the_fields(
    served_site: str, browser: Any
) -> None:
    page = _open(browser, served_site + "field-reference/", 1280)
    fields = page.locator(".endpoint-fields").bounding_box()
    code = page.locator(".endpoint-code").bounding_box()

    assert page.locator(".endpoint-code .tabbed-labels").first.locator(
        "label"
    ).all_inner_texts() == ["Python", "JavaScript", "curl"]
    responses = page.locator(".endpoint-code .tabbed-labels").nth(1).locator("label")
    assert responses.all_inner_texts()[:3] == ["200", "400", "401"]
    page.locator(".endpoint-code .tabbed-labels label", has_text="curl").click()
    panel = page.locator(".endpoint-code").inner_text()
    assert '--url "${LEANRAILS_BASE_URL:-http://127.0.0.1:12111}/v1/' in panel
    assert '"object": "checkout.session"' in panel
    assert page.locator("table.error-table tbody tr").count() >= 5
    assert code["x"] >= fields["x"] + fields["width"]  # beside, not below
    page.close()


@pytest.mark.browser
@pytest.mark.timeout(BUILD_TIMEOUT)
@pytest.mark.parametrize("width", [1440, 1920])
def test_browser_reference_at_desktop_widths_shows_the_menu_and_a_toc_of_its_sections(
    served_site: str, browser: Any, width: int
) -> None:
    page = _open(browser, served_site + "field-reference/", width)
    menu = page.locator(".md-sidebar--primary .md-nav__link:visible").all_inner_texts()
    toc = page.locator(".md-sidebar--secondary .md-nav__link:visible").all_inner_texts()
    fields = page.locator(".endpoint-fields").bounding_box()
    code = page.locator(".endpoint-code").bounding_box()
    page.close()

    assert {"Quickstart", "API reference", "Sandbox conventions"} <= {m.strip() for m in menu}
    assert [t.strip() for t in toc] == ["Headers", "Body parameters", "Response", "Errors"]
    assert code["x"] >= fields["x"] + fields["width"]


@pytest.mark.browser
@pytest.mark.timeout(BUILD_TIMEOUT)
def test_browser_reference_at_390px_shows_every_column_and_the_code_within_two_screens(
    served_site: str, browser: Any
) -> None:
    page = _open(browser, served_site + "field-reference/", 390)
    screen = page.viewport_size["height"]
    first_sample = page.locator(".endpoint-code .tabbed-set").first.bounding_box()
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    outside = page.evaluate(
        """() => [...document.querySelectorAll(
                '.error-table td, .field .field-name, .field p, .endpoint-code')]
            .filter(e => { const r = e.getBoundingClientRect();
                           return r.width === 0 || r.left < 0 || r.right > 390.5; })
            .map(e => e.id || e.dataset.label || e.className || e.tagName)"""
    )
    fields = page.locator(".endpoint-fields").bounding_box()
    code = page.locator(".endpoint-code").bounding_box()
    page_width = page.evaluate("() => document.documentElement.scrollWidth")
    page.close()

    assert outside == []
    assert page_width <= 390
    assert first_sample["y"] + 200 <= 2 * screen  # its first lines show on the second screen
    assert code["y"] < fields["y"]  # the request comes before the parameters


@dataclass
class Tour:
    """Every guide page and the home, reference and API pages, each opened once at 1280 px."""

    problems: dict[str, list[str]]
    """By guide page: prompts, cell tags, code that overflows, outputs with no copy button."""
    requests: list[str]
    """Every URL the browser requested while it opened the pages."""


def _guide_page_problems(page: Any) -> list[str]:
    text = page.locator(".md-content").inner_text()
    found = re.findall(r"(?:In|Out)\s*\[\d*\]:", text)
    found += [f"tag {t}" for t in page.locator(".cell-tag, .celltoolbar").all_inner_texts()]
    found += page.evaluate(
        """() => [...document.querySelectorAll('.jp-CodeCell pre')]
            .filter(e => e.scrollWidth > e.clientWidth + 1)
            .map(e => 'overflow: ' + e.innerText.slice(0, 60))"""
    )
    if page.locator(".jp-OutputArea-output pre").count():
        copyable = page.locator(".jp-OutputArea-output [data-md-type=copy]").count()
        if not copyable:
            found.append("no copy button on outputs")
    return found


@pytest.fixture(scope="module")
def tour(site: Path, served_site: str, browser: Any) -> Tour:
    """One visit of each page for the tests that read every page (a page load is the cost)."""
    tour = Tour({}, [])
    guide = _guide_urls(site, served_site)
    others = [served_site, served_site + "field-reference/", served_site + "api/"]
    for url in others + guide:
        page = _open(browser, url, 1280, tour.requests)
        if url in guide:
            tour.problems[url] = _guide_page_problems(page)
        page.close()
    return tour


@pytest.mark.browser
@pytest.mark.timeout(BUILD_TIMEOUT)
def test_browser_guide_pages_show_no_prompt_or_tag_and_no_code_overflows_at_1280px(
    tour: Tour,
) -> None:
    assert len(tour.problems) == len(fr.GUIDE_NOTEBOOKS)
    assert {url: found for url, found in tour.problems.items() if found} == {}


@pytest.mark.browser
@pytest.mark.timeout(BUILD_TIMEOUT)
def test_browser_no_request_leaves_the_serving_host(served_site: str, tour: Tour) -> None:
    offsite = [u for u in tour.requests if not u.startswith((served_site, "data:", "blob:"))]

    assert tour.requests
    assert offsite == []


@pytest.mark.browser
@pytest.mark.timeout(BUILD_TIMEOUT)
def test_browser_site_search_finds_idempotency_and_links_results_without_an_empty_h(
    served_site: str, browser: Any
) -> None:
    page = _open(browser, served_site, 1280)
    page.locator("label.md-search__icon, .md-search__input").first.click()
    search = page.locator("input.md-search__input")
    results = page.locator(".md-search-result__item")
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
    assert "dempoten" in page.locator(".md-search-result").inner_text().lower()
    # A page matched only by its sections is linked without material's empty "?h=".
    links = page.eval_on_selector_all(
        ".md-search-result a", "links => links.map(a => a.getAttribute('href'))"
    )
    assert any("?h=idempotency" in link for link in links)
    assert [link for link in links if re.search(r"[?&]h=(?:&|#|$)", link)] == []
    page.close()


IDENTIFIERS = ".md-content code, .md-content pre, .md-content td, .md-content th, .md-content h2"


@pytest.mark.browser
@pytest.mark.timeout(BUILD_TIMEOUT)
@pytest.mark.parametrize("width", [1440, 390], ids=["desktop", "phone"])
@pytest.mark.parametrize(
    "url", ["guide/09_errors/", "guide/10_error_body/", "guide/01_quickstart/", "field-reference/"]
)
def test_browser_identifiers_wrap_only_at_their_separators_never_mid_word(
    served_site: str, browser: Any, url: str, width: int
) -> None:
    page = _open(browser, served_site + url, width)
    try:
        breaks = mid_word_breaks(page, IDENTIFIERS)
    finally:
        page.close()

    assert breaks == []
