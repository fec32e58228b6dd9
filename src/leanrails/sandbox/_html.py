"""The frame every sandbox page shares: the document, its stylesheet, escaping, amounts.

The stylesheet is package data (``page.css``, shipped in the wheel), read once when this
module loads; it is a page's one inline resource, allowed by its hash (:data:`STYLE_HASH`,
computed from the file) in the ``Content-Security-Policy`` (:mod:`._origin`), so no other
inline style or script can run.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape as _escape_html
from importlib import resources
from typing import Final

STYLE: Final = resources.files("leanrails.sandbox").joinpath("page.css").read_text(encoding="utf-8")
STYLE_HASH: Final = (
    "'sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode() + "'"
)
_NEUTRAL: Final = dict.fromkeys(
    (
        *range(0x00, 0x09),
        *range(0x0B, 0x0D),
        *range(0x0E, 0x20),
        *range(0x7F, 0xA0),
        0x061C,
        0x200E,
        0x200F,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ),
    "\ufffd",
)
"""Control characters (but tab and line ends) and bidirectional controls, shown as U+FFFD:
a product name with U+202E could otherwise show its text reversed, and NUL is no text."""


def escape(text: str) -> str:
    """``text`` for HTML: escaped, with control and bidi-override characters neutralised."""
    return _escape_html(text.translate(_NEUTRAL))


# Currencies without a minor unit, so 1500 jpy is ¥1500, not ¥15.00.
_ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()  # noqa: SIM905
)


def format_amount(amount: int, currency: str) -> str:
    """``2000, "usd"`` -> ``"USD 20.00"``."""
    code = currency.upper()
    if currency.lower() in _ZERO_DECIMAL:
        return f"{code} {amount:,}"
    return f"{code} {amount // 100:,}.{amount % 100:02d}"


def document(title: str, body: str) -> str:
    """A whole page: ``title`` (escaped here) and ``body`` (HTML, escaped by the caller)."""
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
