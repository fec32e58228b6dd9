"""Notebook pages as docs: what the site changes in mkdocs-jupyter's output (contracts B, E).

Markdown stage (the notebook converted to the page's Markdown):

- nbconvert re-serializes Markdown cells with BeautifulSoup, escaping the ``>`` that opens a
  blockquote; it is restored at line starts;
- mkdocs-jupyter 0.27 appends nbconvert's inlined CSS a second time as an indented
  ``<style>['...']</style>`` block that Markdown shows as code; it is removed (the same CSS
  is already on the page, and the pattern stops matching once mkdocs-jupyter fixes it);
- links written for JupyterLab, ``../docs/page.md#a``, become the site's ``../page.md#a``;
  a heading is linked by JupyterLab's id (its text, spaces as hyphens: ``#response.status``,
  ``03_line_items.ipynb#A-heading``), which becomes the site's slug of the same text.

HTML stage: a blockquote opening with a bold label (``> **Kit convention:** ...``) becomes an
admonition; cell tags and mkdocs-jupyter's own copy button go (material's copy button comes
with ``<pre><code>``, for inputs and text outputs alike); a cell tagged ``setup`` collapses;
an uncaught kit error's closing one-line error output goes, under its table.
Prompts are off (``no_prompt``), and the MathJax loader is dropped: the guide has no maths,
and the site makes no request off the host that serves it. nbconvert inlines the same 590 KB
of JupyterLab CSS into every notebook page; the site links it as shared files instead, which
a browser fetches once (a page weighs a tenth, and the build parses no CSS).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, MutableMapping, Sequence

from bs4 import BeautifulSoup, Tag
from mkdocs.utils import get_relative_url

from .guide import slugify

_BLOCKQUOTE = re.compile(r"(?m)^([ \t]*)&gt;")
_STRAY_CSS = re.compile(r"\n[ \t]*<style>\n[ \t]*\[.*\]\n[ \t]*</style>\s*\Z", re.DOTALL)
_DOCS_LINK = re.compile(r"(\]\(|href=\")\.\./docs/")
_FRAGMENT = re.compile(r"(\]\([^)\s#]*#)([^)\s]+)\)")
_MATHJAX = re.compile(r"<script data-mkdocs-jupyter-mathjax=.*?</script>\s*", re.DOTALL)
_INLINE_CSS = re.compile(r'<style type="text/css">(.*?)</style>', re.DOTALL)
STYLESHEETS = "assets/notebook"
"""Where the site writes the notebook pages' stylesheets, named by their content's hash."""
_LABEL = re.compile(r"^\s*(?P<label>[A-Z][A-Za-z ]{1,30}?)\s*[:.]?\s*$")

CALLOUTS = {
    "note": "note",
    "tip": "tip",
    "info": "info",
    "example": "example",
    "warning": "warning",
    "caution": "warning",
    "important": "danger",
    "kit convention": "kit-convention",
    "reference": "quote",
}
SETUP_TAG = "setup"


def fix_markdown(markdown: str) -> str:
    """The notebook's converted Markdown, as the site's Markdown should read it."""
    markdown = _STRAY_CSS.sub("\n", markdown)
    markdown = _BLOCKQUOTE.sub(r"\1>", markdown)
    markdown = _DOCS_LINK.sub(r"\1../", markdown)
    return _FRAGMENT.sub(lambda m: f"{m.group(1)}{slugify(m.group(2))})", markdown)


def _callout(quote: Tag, soup: BeautifulSoup) -> None:
    first = quote.find(["p", "strong"])
    if not isinstance(first, Tag) or first.name != "p":
        return
    label = first.contents[0] if first.contents else None
    if not isinstance(label, Tag) or label.name != "strong":
        return
    match = _LABEL.match(label.get_text())
    if match is None:
        return
    title = match["label"].strip()
    label.extract()
    if first.contents and isinstance(first.contents[0], str):
        first.contents[0].replace_with(first.contents[0].lstrip(" :."))
    kind = CALLOUTS.get(title.lower(), "note")
    box = soup.new_tag("div", attrs={"class": f"admonition {kind}"})
    heading = soup.new_tag("p", attrs={"class": "admonition-title"})
    heading.string = title
    box.append(heading)
    for child in list(quote.contents):
        box.append(child.extract())
    if not first.get_text(strip=True):
        first.decompose()
    quote.replace_with(box)


def _code(pre: Tag, soup: BeautifulSoup) -> None:
    if pre.find("code", recursive=False) is not None:
        return
    code = soup.new_tag("code")
    for child in list(pre.contents):
        code.append(child.extract())
    pre.append(code)


def _collapse(cell: Tag, soup: BeautifulSoup) -> None:
    details = soup.new_tag("details", attrs={"class": "setup-cell"})
    summary = soup.new_tag("summary")
    summary.string = "Setup code"
    details.append(summary)
    for child in list(cell.contents):
        details.append(child.extract())
    cell.append(details)


def link_stylesheets(html: str, page_url: str, sheets: MutableMapping[str, str]) -> str:
    """A notebook page's HTML with each inlined stylesheet as a link to a shared file.

    The link stands where the ``<style>`` stood, so the cascade is unchanged. ``sheets``
    gathers each file's path under the site and its CSS, for the build to write once.
    """

    def link(match: re.Match[str]) -> str:
        css = match.group(1)
        path = f"{STYLESHEETS}/{hashlib.sha256(css.encode()).hexdigest()[:16]}.css"
        sheets[path] = css
        return f'<link rel="stylesheet" href="{get_relative_url(path, page_url)}">'

    return _INLINE_CSS.sub(link, html)


def fix_html(soup: BeautifulSoup) -> BeautifulSoup:
    """A notebook page's HTML with callouts, copyable code, no tags, setup cells collapsed.

    The page is parsed once for every change the site makes (a parse of a long notebook page
    costs more than all of them): each step changes ``soup`` in place and returns it.
    """
    for quote in soup.find_all("blockquote"):
        _callout(quote, soup)
    for clutter in soup.select(".celltoolbar, .zeroclipboard-container"):
        clutter.decompose()
    for number, pre in enumerate(soup.select(".highlight-ipynb pre, .jp-RenderedText pre")):
        # material names each block's copy target after the nearest id: one per block.
        pre["id"] = f"nb-{number}"
        _code(pre, soup)
    for cell in soup.select(f".jp-CodeCell.celltag_{SETUP_TAG}"):
        _collapse(cell, soup)
    for area in soup.select(".jp-OutputArea"):
        _error_once(area)
    return soup


def _error_once(area: Tag) -> None:
    """An uncaught kit error shows once: its table, the traceback collapsed beneath it.

    ``%load_ext leanrails`` ends such a cell with the error's one line (so the cell fails, for
    nbval and Run All); under the table, on the page, that line only repeats it.
    """
    children = area.find_all(class_="jp-OutputArea-child", recursive=False)
    if len(children) < 2 or children[-2].select_one(".leanrails-uncaught") is None:
        return
    if children[-1].select_one('[data-mime-type="application/vnd.jupyter.stderr"]'):
        children[-1].decompose()


def link_back(soup: BeautifulSoup, links: Mapping[str, Sequence[tuple[str, str]]]) -> BeautifulSoup:
    """Under each guide heading that walks through a field, a link to its reference entry.

    ``links`` maps a heading's id to the (field path, reference URL) pairs it covers.
    """
    for anchor, targets in links.items():
        heading = soup.find(id=anchor)
        if heading is None:
            continue
        note = soup.new_tag("p", attrs={"class": "field-reference-link"})
        note.append("Reference: ")
        for number, (path, url) in enumerate(targets):
            if number:
                note.append(", ")
            link = soup.new_tag("a", href=url)
            code = soup.new_tag("code")
            code.string = path
            link.append(code)
            note.append(link)
        heading.insert_after(note)
    return soup


def drop_mathjax(page_html: str) -> str:
    """The page without mkdocs-jupyter's MathJax loader (it would fetch from a CDN)."""
    return _MATHJAX.sub("", page_html)
