"""Every page of the built site has 0 axe-core WCAG 2.1 A/AA violations, in light and dark.

axe-core (npm, the version ``make axe`` pins, installed under .venv/axe) is injected with
Playwright into each page of the built site served on 127.0.0.1, in Chromium, once with the
light scheme and once with the dark one (the palette follows ``prefers-color-scheme``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_docs import _QuietHandler, served_site  # noqa: F401  (the built site over HTTP)

from _support.site import BUILD_TIMEOUT, ROOT

AXE = ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def site(built_site: Path) -> Path:
    return built_site


def violations(page: Any) -> list[str]:
    """``rule: target`` for each node axe-core finds failing on ``page``."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.flatMap(v => v.nodes.map(n => v.id + ': ' + n.target.join(' '))))",
        TAGS,
    )
    return [str(f) for f in found]


@pytest.mark.browser
@pytest.mark.timeout(BUILD_TIMEOUT)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_has_no_wcag21_aa_violation(
    site: Path,
    served_site: str,  # noqa: F811
    chromium: Any,
    scheme: str,
) -> None:
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed at {AXE}: run make axe")
    pages = sorted(p.parent.relative_to(site).as_posix() for p in site.rglob("index.html"))
    found: dict[str, list[str]] = {}
    context = chromium.new_context(color_scheme=scheme, viewport={"width": 1440, "height": 900})
    for url in pages:
        page = context.new_page()
        page.goto(served_site + ("" if url == "." else url + "/"))
        page.wait_for_load_state("networkidle")
        problems = violations(page)
        if problems:
            found[url] = problems
        page.close()
    context.close()

    assert len(pages) > 10
    assert found == {}
