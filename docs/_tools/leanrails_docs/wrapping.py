"""Identifiers on the site wrap only after ``_``, ``.``, ``[`` or ``/``, never mid-word.

A narrow column (a phone, a table cell) has to break ``line_items[0].price_data.currency``
somewhere. Material lets inline code break anywhere (``authentica tion_error``); the site's
stylesheet turns that off, and this puts a line-break opportunity (``<wbr>``) after each of
those separators instead, in inline code and headings, as ``leanrails._display`` does in the
kit's own tables (so the notebooks read the same in JupyterLab). Code blocks are left alone:
they keep their lines and scroll.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PageElement

__all__ = ["wrap_identifiers"]

_BREAK_AFTER = re.compile(r"(?<=[_.\[/])(?=[^\s/])")
_TARGETS = "code, h1, h2, h3, h4, h5, h6"


def wrap_identifiers(soup: BeautifulSoup) -> BeautifulSoup:
    """``soup`` with ``<wbr>`` after each separator in inline code and headings."""
    for element in soup.select(_TARGETS):
        if element.find_parent("pre") is not None:
            continue
        for text in list(element.find_all(string=True)):
            if text.find_parent(["pre", "script", "style"]) is not None:
                continue
            parts = _BREAK_AFTER.split(str(text))
            if len(parts) < 2 or not isinstance(text, NavigableString):
                continue
            pieces: list[PageElement] = []
            for index, part in enumerate(parts):
                if index:
                    pieces.append(soup.new_tag("wbr"))
                pieces.append(NavigableString(part))
            text.replace_with(*pieces)
    return soup
