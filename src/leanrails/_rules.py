"""The rules the client, the sandbox and its hosted page all apply, each written once.

Plain values and functions, no pydantic: ``_types.py`` turns them into field types, the
client checks its arguments with them, and the sandbox checks requests with them, so the
two sides of the wire can never disagree about what is valid.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Final, Literal
from urllib.parse import quote

MAX_IDEMPOTENCY_KEY_LENGTH: Final = 255
"""An ``Idempotency-Key`` holds 1 to 255 printable ASCII characters, neither first nor last
a space (kit convention): an HTTP server trims a header's surrounding whitespace, so such a
key could never arrive as it was written."""

MAX_BODY_BYTES: Final = 1024 * 1024
"""A request body holds at most 1 MiB (kit convention): the client refuses a larger one
before sending it, and the sandbox answers it with a 400 ``body_too_large``."""

CURRENCY_CODE: Final = "[A-Za-z]{3}"
"""A three-letter ISO currency code, such as ``usd``, in either case (a pattern, unanchored)."""

COUNTRY_CODE: Final = "[A-Za-z]{2}"
"""A two-letter ISO country code, such as ``US`` (unanchored, as an HTML ``pattern`` is)."""

MAX_CUSTOMER_FIELD_LENGTH: Final = 200
"""The most characters of any customer detail: name, email, phone and address lines."""

CHECKOUT_SESSION_ID_TEMPLATE: Final = "{CHECKOUT_SESSION_ID}"
"""Replaced by the session's id in ``success_url``, written as is or percent-encoded."""

UNSAFE_REDIRECT_SCHEMES: Final = frozenset(
    {
        # Run script or show content in the page's origin instead of leaving it.
        "javascript",
        "vbscript",
        "livescript",
        "data",
        "blob",
        "filesystem",
        # Open the customer's own files, or the browser's or the OS's internals.
        "file",
        "view-source",
        "about",
        "chrome",
        "chrome-extension",
        "edge",
        "opera",
        "brave",
        "moz-extension",
        "resource",
        "jar",
        "mhtml",
        "mk",
        "its",
        "res",
        "shell",
        "intent",
        "search",
        "search-ms",
        "hcp",  # Windows Help Center: has run programs (CVE-2010-1885)
        "smb",  # a Windows file share: opening one sends the customer's credentials (NTLM)
        "microsoft-edge",  # hands any URL, script schemes included, to another browser
        "feed",  # feed:javascript:... ran script in older browsers
        "feeds",
    }
)
"""URI schemes refused in a URL the hosted page redirects to (kit convention): they would
run script or show content in the page's origin, open local files, or hand the URL to
the browser's or the operating system's own handlers. ``ms-`` schemes too
(:data:`UNSAFE_REDIRECT_SCHEME_PREFIXES`). An app's own deep link (``myapp://done``) passes."""
UNSAFE_REDIRECT_SCHEME_PREFIXES: Final = ("ms-",)
"""Scheme prefixes refused as :data:`UNSAFE_REDIRECT_SCHEMES` are: Windows' ``ms-msdt:``,
``ms-officecmd:``, ``ms-excel:``, ... launch programs."""

_CURRENCY: Final = re.compile(CURRENCY_CODE)

# RFC 3986, Appendix A: the characters each part may hold.
_PCT = r"%[0-9A-Fa-f]{2}"
_SUB = r"A-Za-z0-9\-._~!$&'()*+,;="  # unreserved and sub-delims
_PCHAR = rf"(?:[{_SUB}:@]|{_PCT})"
_URI: Final = re.compile(
    rf"""
    (?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*):
    (?:
        //(?P<authority>[^/?\#]*)(?:/{_PCHAR}*)*     # authority and path-abempty
      | /(?:{_PCHAR}+(?:/{_PCHAR}*)*)?              # path-absolute
      | {_PCHAR}+(?:/{_PCHAR}*)*                    # path-rootless
    )?
    (?:\?(?:{_PCHAR}|[/?])*)?                      # query
    (?:\#(?:{_PCHAR}|[/?])*)?                      # fragment
    """,
    re.VERBOSE,
)
_AUTHORITY: Final = re.compile(
    rf"""
    (?:(?:[{_SUB}:]|{_PCT})*@)?                    # userinfo
    (?:\[(?P<literal>[^\]]*)\]|(?:[{_SUB}]|{_PCT})*)   # host
    (?::[0-9]*)?                                   # port
    """,
    re.VERBOSE,
)
_IP_FUTURE: Final = re.compile(rf"v[0-9A-Fa-f]+\.[{_SUB}:]+")


def is_header_text(value: str) -> bool:
    """Printable ASCII: what a header the client sends may hold."""
    return value.isascii() and value.isprintable()


def idempotency_key_fault(key: str) -> Literal["length", "characters", "whitespace"] | None:
    """What breaks the Idempotency-Key rule (its length, its characters, or a space first or
    last), or None."""
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        return "length"
    if not is_header_text(key):
        return "characters"
    if key != key.strip(" "):
        return "whitespace"
    return None


def is_currency(value: str) -> bool:
    """True for a three-letter ISO currency code (ASCII letters only: ``"éur"`` is not one)."""
    return _CURRENCY.fullmatch(value) is not None


def is_uri(value: str) -> bool:
    """True for an absolute URI with a scheme, per RFC 3986 (``myapp://checkout/done`` too).

    ``{CHECKOUT_SESSION_ID}`` may stand anywhere a URL may carry it (it is replaced by an id
    before anyone follows the URL). Spaces, control and non-ASCII characters, a ``%`` that
    starts no escape, and a missing scheme are not URIs.
    """
    match = _URI.fullmatch(value.replace(CHECKOUT_SESSION_ID_TEMPLATE, "CHECKOUT_SESSION_ID"))
    if match is None:
        return False
    authority = match.group("authority")
    if authority is None:
        return True
    host = _AUTHORITY.fullmatch(authority)
    if host is None:
        return False
    literal = host.group("literal")
    return literal is None or _IP_FUTURE.fullmatch(literal) is not None or _is_ipv6(literal)


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return "%" not in text  # a zone id is written %25 in a URI (RFC 6874), not supported here


@lru_cache(maxsize=4096)  # a pure function of the string, ~8 µs: a shop's URLs repeat
def uri_fault(value: str) -> Literal["syntax", "unsafe_scheme"] | None:
    """Why ``value`` is no URL to send a customer to (not an RFC 3986 URI, or a script or
    data scheme), or None."""
    if not is_uri(value):
        return "syntax"
    if is_unsafe_scheme(value.split(":", 1)[0]):
        return "unsafe_scheme"
    return None


def is_unsafe_scheme(scheme: str) -> bool:
    """True for a scheme no customer is sent to (:data:`UNSAFE_REDIRECT_SCHEMES`), in any case."""
    scheme = scheme.lower()
    return scheme in UNSAFE_REDIRECT_SCHEMES or scheme.startswith(UNSAFE_REDIRECT_SCHEME_PREFIXES)


def fill_session_id(success_url: str, session_id: str) -> str:
    """``success_url`` with the session id in place of its template, safe for a header.

    The URL is kept as given, but a control or non-ASCII character is percent-encoded so
    that it can never break a ``Location`` header.
    """
    url = success_url.replace(CHECKOUT_SESSION_ID_TEMPLATE, session_id)
    url = url.replace(quote(CHECKOUT_SESSION_ID_TEMPLATE), session_id)
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")
