"""The guide's notebooks as sections, and which section walks through which contract field.

A notebook section about a field is a Markdown heading (any level) whose text is exactly the
field's :attr:`~leanrails_docs.contract.Field.heading` (``line_items[].price_data.currency``,
``response.customer_details.address.city``, ``error.param``, ``Idempotency-Key``), with a code
cell under it (before the next heading of the same or a higher level) that mentions the
field's last name segment. The site's table of contents makes heading anchors with
:func:`slugify`: ``[]`` is dropped and ``.`` becomes ``-``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown.extensions import toc

from leanrails._contract import load_contract

from .contract import Field, contract_fields

__all__ = [
    "GUIDE_NOTEBOOKS",
    "Field",
    "Section",
    "contract_fields",
    "coverage_problems",
    "find_section",
    "guide_sections",
    "load_contract",
    "markdown_headings",
    "notebook_sections",
    "slugify",
    "unique_anchors",
]

GUIDE_NOTEBOOKS = (
    "01_quickstart.ipynb",
    "02_authentication_and_headers.ipynb",
    "03_line_items.ipynb",
    "04_inline_prices.ipynb",
    "05_checkout_parameters.ipynb",
    "06_payment_parameters.ipynb",
    "07_response_fields.ipynb",
    "08_customer_and_amounts.ipynb",
    "09_errors.ipynb",
    "10_error_body.ipynb",
    "11_idempotency_and_retries.ipynb",
)

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def slugify(value: str, separator: str = "-") -> str:
    """Python-Markdown's slugify, except that a field path keeps its separators.

    ``line_items[].price_data.currency`` -> ``line_items-price_data-currency`` (the default
    would give ``line_itemsprice_datacurrency``). Other headings slug as usual.
    """
    value = value.replace("[]", "").replace(".", " ")
    slug: str = toc.slugify(value, separator)
    return slug.strip(separator)


def unique_anchors(headings: Sequence[str]) -> list[str]:
    """The anchors the toc extension gives these headings, in order, on one page."""
    used: set[str] = set()
    counters: dict[str, int] = {}
    return [toc.unique(slugify(text), used, counters) for text in headings]


def markdown_headings(source: str) -> list[tuple[int, str]]:
    """(level, text) of the ATX headings of one Markdown cell, skipping fenced code."""
    headings: list[tuple[int, str]] = []
    fence: str | None = None
    for line in source.splitlines():
        opening = _FENCE.match(line)
        if opening:
            marker = opening.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        if fence is None:
            match = _HEADING.match(line)
            if match:
                headings.append((len(match.group(1)), match.group(2).strip()))
    return headings


def _source_text(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


@dataclass
class Section:
    """A heading in a notebook, with the code of the cells under it."""

    notebook: str
    level: int
    text: str
    anchor: str
    code: list[str] = field(default_factory=list)


def notebook_sections(notebook: Path) -> list[Section]:
    """The sections of a notebook, each with the code cells before the next sibling heading."""
    with notebook.open(encoding="utf-8") as stream:
        document = json.load(stream)
    sections: list[Section] = []
    open_sections: list[Section] = []
    for cell in document.get("cells", ()):
        source = _source_text(cell)
        if cell.get("cell_type") == "markdown":
            for level, text in markdown_headings(source):
                open_sections = [s for s in open_sections if s.level < level]
                section = Section(notebook.name, level, text, "")
                sections.append(section)
                open_sections.append(section)
        elif cell.get("cell_type") == "code":
            for section in open_sections:
                section.code.append(source)
    for section, anchor in zip(sections, unique_anchors([s.text for s in sections]), strict=True):
        section.anchor = anchor
    return sections


def guide_sections(directory: Path) -> list[Section]:
    """Every section of every notebook in ``directory``, in file order."""
    sections: list[Section] = []
    for notebook in sorted(directory.glob("*.ipynb")):
        sections += notebook_sections(notebook)
    return sections


def find_section(item: Field, sections: Sequence[Section]) -> Section | None:
    """The first section walking through ``item``: its heading, then code mentioning it."""
    for section in sections:
        if section.text == item.heading and any(item.mentioned_in(c) for c in section.code):
            return section
    return None


def coverage_problems(fields: Sequence[Field], sections: Sequence[Section]) -> list[str]:
    """One line per field that has no section, with a hint when a near-miss exists."""
    problems: list[str] = []
    for item in fields:
        if find_section(item, sections) is not None:
            continue
        named = [s for s in sections if s.text == item.heading]
        loose = [s for s in sections if s.text.strip("`* ") == item.heading]
        if named:
            where = ", ".join(f"{s.notebook}#{s.anchor}" for s in named)
            problems.append(
                f"{item.heading}: heading found ({where}) but no code cell under it "
                f"mentions {item.leaf!r}"
            )
        elif loose:
            problems.append(
                f"{item.heading}: heading {loose[0].text!r} in {loose[0].notebook} must be "
                "the plain text, without inline code or emphasis"
            )
        else:
            problems.append(f"{item.heading}: no notebook heading named {item.heading!r}")
    return problems
