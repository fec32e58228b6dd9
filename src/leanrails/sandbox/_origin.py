"""Which origin the sandbox's pages trust (their own), and the headers that keep others out.

Kit conventions, the usual defences of pages that take a payment without a key:

- Every page (``/`` too) answers only a request whose ``Host`` is the sandbox's own: its
  base URL's host and port, or, when that host is a loopback one, ``localhost``,
  ``127.0.0.1`` or ``[::1]`` with that port. Any other gets ``421`` and a page naming the
  right address, so a site whose name is re-pointed at 127.0.0.1 (DNS rebinding) can
  neither read a checkout form nor post one.
- A POST whose ``Sec-Fetch-Site`` is neither ``same-origin`` nor ``none``, or whose
  ``Origin`` is not the page's own, is refused before anything is read.
- Every answer carries a strict ``Content-Security-Policy`` (nothing but the page's own
  hashed stylesheet, ``frame-ancestors 'none'``, forms only to the page and to the exact
  origin of ``success_url``, where a payment redirects: ``https://host:port``, or an app
  deep link's scheme ``myapp:``; nothing for an http(s) URL without a host such as
  ``https:evil.example``), ``X-Frame-Options: DENY``, ``X-Content-Type-Options:
  nosniff``, ``Referrer-Policy: same-origin`` (the page's URL, with its session id, goes to
  no other site; ``no-referrer`` would make browsers send ``Origin: null`` with the form)
  and ``Cache-Control: no-store``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final
from urllib.parse import urlsplit

from .._rules import is_unsafe_scheme
from ._html import STYLE_HASH
from ._wire import SandboxRequest, SandboxResponse, response

HTML: Final = "text/html; charset=utf-8"
_HOST_SAFE: Final = re.compile(r"[a-z0-9.-]+|[0-9a-f:.]+")
"""A host as urlsplit gives it (lower-case), written plainly enough for a CSP source."""
_SCHEME: Final = re.compile(r"[a-z][a-z0-9+.-]*")
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


class OwnOrigin:
    """The origin of a sandbox's pages, from its base URL."""

    def __init__(self, base_url: str) -> None:
        base = urlsplit(base_url)
        self.origin = f"{base.scheme}://{base.netloc}".lower()
        self.secure = base.scheme == "https"
        self._host = base.hostname or ""
        self._port = base.port or _DEFAULT_PORTS.get(base.scheme, 0)
        self._any_loopback = _is_loopback(self._host)

    def serves(self, request: SandboxRequest) -> bool:
        """Whether the request's ``Host`` names this sandbox. A request without one is no
        browser's (they always send it): it passes."""
        header = request.header("host")
        if header is None:
            return True
        try:
            parts = urlsplit("//" + header)
            host, port = parts.hostname or "", parts.port
        except ValueError:
            return False
        if parts.netloc != header or parts.username is not None or parts.path:
            return False
        if port is None:
            port = _DEFAULT_PORTS["https" if self.secure else "http"]
        if port != self._port:
            return False
        return host == self._host or (self._any_loopback and _is_loopback(host))

    def posted_from_own_page(self, request: SandboxRequest) -> bool:
        """False for a browser's POST from another origin (the fetch metadata says so)."""
        site = request.header("sec-fetch-site")
        if site is not None and site.lower() not in ("same-origin", "none"):
            return False
        origin = request.header("origin")
        if origin is None:  # not a browser (curl, a test client): the CSRF pair decides
            return True
        own = {self.origin}
        host = request.header("host")  # one :meth:`serves` accepted
        if host:
            own |= {f"http://{host}".lower(), f"https://{host}".lower()}
        return origin.lower() in own


def secured(
    status: int,
    page: str,
    success_url: str | None,
    cookie: str | None = None,
    extra: tuple[tuple[str, str], ...] = (),
) -> SandboxResponse:
    """An answer of a page, with its security headers (``page`` ``""``: no body)."""
    headers = [
        ("Content-Security-Policy", _policy(success_url)),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Cache-Control", "no-store"),
        *extra,
    ]
    if cookie is not None:
        headers.append(("Set-Cookie", cookie))
    content_type = HTML if page else "text/plain; charset=utf-8"
    return response(status, page.encode(), content_type, headers)


def _policy(success_url: str | None) -> str:
    """Nothing loads but the hashed stylesheet; forms go to the page and to success_url."""
    targets = "'self'"
    if success_url:
        targets += _origin_source(success_url)
    return (
        f"default-src 'none'; style-src {STYLE_HASH}; form-action {targets}; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


def _origin_source(url: str) -> str:
    """The CSP source of exactly ``url``'s origin (with a leading space), or ``""`` when it
    has none: never a whole scheme for an http(s) URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if not _SCHEME.fullmatch(scheme) or is_unsafe_scheme(scheme):
        return ""
    if scheme not in _DEFAULT_PORTS:
        # An app's deep link: its origin is opaque (URL Standard), its scheme is the app's.
        return f" {scheme}:"
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return ""
    if not host or not _HOST_SAFE.fullmatch(host):
        return ""  # https:evil.example has no host: "https:" would allow every site
    shown = f"[{host}]" if ":" in host else host
    return f" {scheme}://{shown}" + ("" if port is None else f":{port}")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
