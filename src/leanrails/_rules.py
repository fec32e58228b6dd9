"""The rules the client, the sandbox and its hosted page all apply, each written once.

Plain values and functions, no pydantic: ``_types.py`` turns them into field types, the
client checks its arguments with them, and the sandbox checks requests with them, so the
two sides of the wire can never disagree about what is valid.
"""

from __future__ import annotations

import re
from typing import Final, Literal
from urllib.parse import quote

MAX_IDEMPOTENCY_KEY_LENGTH: Final = 255
"""An ``Idempotency-Key`` holds 1 to 255 printable ASCII characters (kit convention)."""

CURRENCY_CODE: Final = "[A-Za-z]{3}"
"""A three-letter ISO currency code, such as ``usd``, in either case (a pattern, unanchored)."""

COUNTRY_CODE: Final = "[A-Za-z]{2}"
"""A two-letter ISO country code, such as ``US`` (unanchored, as an HTML ``pattern`` is)."""

MAX_CUSTOMER_FIELD_LENGTH: Final = 200
"""The most characters of any customer detail: name, email, phone and address lines."""

CHECKOUT_SESSION_ID_TEMPLATE: Final = "{CHECKOUT_SESSION_ID}"
"""Replaced by the session's id in ``success_url``, written as is or percent-encoded."""

_CURRENCY: Final = re.compile(CURRENCY_CODE)


def is_header_text(value: str) -> bool:
    """Printable ASCII: what a header the client sends may hold."""
    return value.isascii() and value.isprintable()


def idempotency_key_fault(key: str) -> Literal["length", "characters"] | None:
    """What breaks the Idempotency-Key rule (its length or its characters), or None."""
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        return "length"
    if not is_header_text(key):
        return "characters"
    return None


def is_currency(value: str) -> bool:
    """True for a three-letter ISO currency code (ASCII letters only: ``"éur"`` is not one)."""
    return _CURRENCY.fullmatch(value) is not None


def fill_session_id(success_url: str, session_id: str) -> str:
    """``success_url`` with the session id in place of its template, safe for a header.

    The URL is kept as given, but a control or non-ASCII character is percent-encoded so
    that it can never break a ``Location`` header.
    """
    url = success_url.replace(CHECKOUT_SESSION_ID_TEMPLATE, session_id)
    url = url.replace(quote(CHECKOUT_SESSION_ID_TEMPLATE), session_id)
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")
