"""Every guide notebook, opened in a real JupyterLab (``make lab``, headless Chromium).

What JupyterLab shows, not what the source says: each notebook's Markdown as JupyterLab
rendered it, so a callout written for the site only (``!!! note``) would show as raw text
here, and every link as JupyterLab resolved it:

- ``#heading`` within a notebook: a heading of that notebook carries that id (JupyterLab's
  ``data-jupyter-id``, the heading's text with spaces as hyphens);
- another notebook, ``03_line_items.ipynb#heading``: the file exists, and the heading is
  one JupyterLab rendered in that notebook;
- a docs page, ``../docs/sandbox.md#heading``: the file exists, and one of its headings
  has that anchor on the site (JupyterLab opens a ``.md`` file in its editor, where a
  fragment has no meaning; the site is where the anchor is followed).

JupyterLab runs with its notebook windowing off (a settings file in a temporary settings
directory), so every cell is rendered, not only those in view.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import leanrails_docs.guide as fr
import markdown
import pytest
from test_notebooks import committed_notebooks

from _support.browser import launch
from _support.lab import lab_home, open_notebook, running_lab

# Its tests share module-scoped fixtures: one xdist worker runs them all, set up once.
pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("notebooks_lab")]

ROOT = Path(__file__).resolve().parents[1]
CALLOUT = re.compile(r"(?m)^> \*\*[^*\n]+[:.]\*\*")

# Every rendered Markdown cell's text, its callouts (a blockquote opening with a bold
# label) and links (JupyterLab's own heading permalinks left out), and the headings' ids.
# The notebook in view: JupyterLab keeps the notebooks opened before it, hidden, in the page.
SHOWN = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
COLLECT = """() => {
  const cells = [...document.querySelectorAll('SHOWN .jp-MarkdownCell')];
  const rendered = cells.map(c => c.querySelector('.jp-RenderedMarkdown'));
  const inside = sel => rendered.flatMap(r => r ? [...r.querySelectorAll(sel)] : []);
  return {
    cells: cells.length,
    texts: rendered.map(r => r ? r.textContent : null),
    callouts: inside('blockquote > p:first-child > strong:first-child')
      .map(s => s.textContent)
      .filter(t => /[:.]$/.test(t)),
    links: inside('a:not(.jp-InternalAnchorLink)').map(a => a.getAttribute('href')),
    ids: inside('h1, h2, h3, h4, h5, h6').map(h => h.getAttribute('data-jupyter-id')),
  };
}""".replace("SHOWN", SHOWN)
# Rendered: every Markdown cell has its text and every heading its id (which JupyterLab sets
# after the text, later still on a busy machine).
RENDERED = """n => {
  const shown = [...document.querySelectorAll('SHOWN .jp-MarkdownCell .jp-RenderedMarkdown')];
  return shown.length === n && shown.every(r => r.textContent.trim() !== '') &&
    shown.every(r => [...r.querySelectorAll('h1, h2, h3, h4, h5, h6')]
      .every(h => h.getAttribute('data-jupyter-id')));
}""".replace("SHOWN", SHOWN)


@dataclass
class Rendered:
    """One notebook as JupyterLab rendered it."""

    cells: int
    texts: list[str | None]
    callouts: list[str]
    links: list[str]
    ids: list[str]


def _markdown_cells(path: Path) -> list[str]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return [
        "".join(cell["source"]) for cell in document["cells"] if cell["cell_type"] == "markdown"
    ]


# Session-scoped: rendered once by the xdist worker that runs this module (a module-scoped one
# was rendered again whenever another module's test ran in between).
@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """Each committed notebook, opened in one JupyterLab, by file name."""
    from playwright.sync_api import sync_playwright

    found: dict[str, Rendered] = {}
    with running_lab(tmp_path_factory.mktemp("jupyterlab")) as url, sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(lab_home(url))
            for path in committed_notebooks():
                open_notebook(page, path.relative_to(ROOT).as_posix(), to_run=False)
                expected = len(_markdown_cells(path))
                page.wait_for_function(RENDERED, arg=expected, polling=250, timeout=120_000)
                found[path.name] = Rendered(**page.evaluate(COLLECT))
        finally:
            browser.close()
    return found


def _site_anchors(page: Path) -> set[str]:
    """The anchors of a docs page's headings on the site (its toc slugify)."""
    md = markdown.Markdown(
        extensions=["toc", "attr_list"], extension_configs={"toc": {"slugify": fr.slugify}}
    )
    md.convert(page.read_text(encoding="utf-8"))
    anchors: set[str] = set()

    def walk(tokens: list[Any]) -> None:
        for token in tokens:
            anchors.add(token["id"])
            walk(token["children"])

    walk(md.toc_tokens)  # type: ignore[attr-defined]  # set by the toc extension
    return anchors


def link_problems(name: str, pages: dict[str, Rendered]) -> list[str]:
    """Links of notebook ``name`` that do not resolve as JupyterLab resolved them."""
    problems: list[str] = []
    for href in pages[name].links:
        parts = urlsplit(href)
        fragment = unquote(parts.fragment)
        if href.startswith("#"):
            if fragment not in pages[name].ids:
                problems.append(f"{href}: no such heading in {name}")
            continue
        if parts.scheme == "https":
            continue  # a page on the web, outside what this test checks
        if not parts.path.startswith("/files/"):
            problems.append(f"{href}: JupyterLab did not resolve it to a file")
            continue
        target = ROOT / unquote(parts.path.removeprefix("/files/"))
        if not target.is_file():
            problems.append(f"{href}: no file {target.relative_to(ROOT)}")
        elif not fragment:
            continue
        elif target.suffix == ".ipynb":
            if target.name not in pages or fragment not in pages[target.name].ids:
                problems.append(f"{href}: no heading {fragment!r} in {target.name}")
        elif fragment not in _site_anchors(target):
            problems.append(f"{href}: no heading with anchor {fragment!r} in {target.name}")
    return problems


@pytest.mark.browser
@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", committed_notebooks(), ids=lambda p: p.name)
def test_jupyterlab_renders_every_callout_as_a_quote_and_no_raw_admonition(
    path: Path, rendered: dict[str, Rendered]
) -> None:
    page = rendered[path.name]
    sources = _markdown_cells(path)
    expected = [
        m.group(0).removeprefix("> **").removesuffix("**")
        for source in sources
        for m in CALLOUT.finditer(source)
    ]

    assert page.cells == len(sources)
    assert None not in page.texts
    assert [text for text in page.texts if text and "!!!" in text] == []
    assert page.callouts == expected


@pytest.mark.browser
@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", committed_notebooks(), ids=lambda p: p.name)
def test_every_link_jupyterlab_renders_leads_to_a_file_and_heading_that_exist(
    path: Path, rendered: dict[str, Rendered]
) -> None:
    assert rendered[path.name].links, "no links"
    assert link_problems(path.name, rendered) == []
