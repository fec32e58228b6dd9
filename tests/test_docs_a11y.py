"""Every page of the built site has 0 axe-core WCAG 2.1 A/AA violations, in light and dark.

axe-core (npm, the version ``make axe`` pins, installed under .venv/axe) is injected with
Playwright into each page of the built site served on 127.0.0.1, in Chromium: once with the
light scheme, then, on the same page, with the dark one (the palette follows
``prefers-color-scheme``, and switches when it changes). One test per page, so that pytest-xdist
spreads the pages over its workers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_docs import _QuietHandler, browser, served_site  # noqa: F401  (the built site over HTTP)

from _support.site import BUILD_TIMEOUT, ROOT

AXE = ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCHEMES = {"light": "default", "dark": "slate"}
"""Each ``prefers-color-scheme``, and the material scheme the site's palette gives it."""


def site_pages() -> list[str]:
    """The URL path of every page the site builds: its Markdown, the guide, the changelog."""
    pages = [p.stem for p in (ROOT / "docs").glob("*.md")] + ["changelog"]
    pages += [f"guide/{p.stem}" for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")]
    return sorted("." if page == "index" else page for page in pages)


@pytest.fixture(scope="module")
def site(built_site: Path) -> Path:
    return built_site


def violations(page: Any) -> list[str]:
    """``rule: target`` for each node axe-core finds failing on ``page``. Every violation is
    reported whole; the other result types (passes, inapplicable), which are not read, are
    cut to one node each (axe's ``resultTypes``, a third of a run's CPU on a long page)."""
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})"
        ".then(r => r.violations.flatMap(v => v.nodes.map(n => v.id + ': ' + n.target.join(' '))))",
        TAGS,
    )
    return [str(f) for f in found]


@pytest.mark.docs
@pytest.mark.timeout(BUILD_TIMEOUT)
def test_the_pages_checked_are_every_page_the_site_builds(site: Path) -> None:
    built = sorted(p.parent.relative_to(site).as_posix() for p in site.rglob("index.html"))

    assert len(built) > 10
    assert site_pages() == built


@pytest.mark.browser
@pytest.mark.timeout(BUILD_TIMEOUT)
@pytest.mark.parametrize("url", site_pages())
def test_the_page_has_no_wcag21_aa_violation_in_light_and_dark(
    served_site: str,  # noqa: F811
    browser: Any,  # noqa: F811
    url: str,
) -> None:
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed at {AXE}: run make axe")
    found: dict[str, list[str]] = {}
    context = browser.new_context(color_scheme="light", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    # The load event: the page's styles and scripts are in. Not "networkidle" (500 ms
    # without a request), which a loaded machine once missed for 30 s on a guide page.
    page.goto(served_site + ("" if url == "." else url + "/"), wait_until="load")
    page.add_script_tag(path=str(AXE))
    for scheme, material in SCHEMES.items():
        page.emulate_media(color_scheme=scheme)
        page.wait_for_function(  # the scheme applied, and its colour transitions over
            "scheme => document.body.getAttribute('data-md-color-scheme') === scheme"
            " && !document.getAnimations().some(a => a instanceof CSSTransition)",
            arg=material,
        )
        found[scheme] = violations(page)
    context.close()

    assert found == {"light": [], "dark": []}
