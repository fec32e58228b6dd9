"""Where a page breaks a word across lines, as the browser laid it out.

``MID_WORD`` runs in the page (Playwright's ``page.evaluate``) over the elements a selector
names, skipping hidden ones: for each character it reads the line box the browser put it
on, and reports every line break that falls between two letters or digits (``authentica |
tion_error``, ``ReadTim | eout``). A break after ``_``, ``.``, ``[``, a space or a newline is
where an identifier or a sentence may wrap, and is not reported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

MID_WORD = """selector => {
  const found = [];
  const range = document.createRange();
  for (const element of document.querySelectorAll(selector)) {
    if (!element.getClientRects().length) continue;  // not shown (a closed <details>)
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    let previous = null;
    while (walker.nextNode()) {
      const node = walker.currentNode;
      for (let i = 0; i < node.data.length; i++) {
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const box = range.getClientRects()[0];
        const char = node.data[i];
        if (/\\s/.test(char)) {  // a space or a newline: the next line may start after it
          previous = {char, bottom: -Infinity};
          continue;
        }
        if (!box || !box.width) continue;
        if (previous && box.top >= previous.bottom - 1 && /[A-Za-z0-9]/.test(char)
            && /[A-Za-z0-9]/.test(previous.char)) {
          const text = element.textContent.replace(/\\s+/g, ' ').trim().slice(0, 60);
          found.push(`${previous.char}|${char} in ${element.tagName.toLowerCase()}: ${text}`);
        }
        previous = {char, bottom: box.bottom};
      }
    }
  }
  return found;
}"""


def mid_word_breaks(page: Page, selector: str) -> list[str]:
    """Every line break between two letters or digits inside the elements ``selector`` names."""
    found: list[str] = page.evaluate(MID_WORD, selector)
    return found
