"""Rich display in JupyterLab: requests, Checkout Sessions and validation errors as HTML.

Three kinds of object render as readable HTML in a notebook:

- an ``httpx2.Request`` (what ``client.checkout_sessions.build()`` returns): method, URL,
  headers with the key masked, and the JSON body, pretty-printed;
- a :class:`~leanrails.CheckoutSession`: a table of its fields, nested ones in the API's
  path form (``customer_details.address.city``);
- a pydantic ``ValidationError``: a table of (API path, message, input).

Two of these classes are not ours, so the HTML is registered with IPython's display
formatter (``for_type``) rather than as ``_repr_html_`` methods. Registration happens on
``import leanrails`` when IPython is running, and never imports IPython otherwise. The
plain-text reprs are left as they are, for terminals. Every value is HTML-escaped, and the
API key never appears: the Authorization header is masked, and so is any other occurrence
of the key it carries (in the URL or the body).
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import httpx2
from pydantic import ValidationError

from ._params import api_path
from ._session import CheckoutSession

__all__ = [
    "MASK",
    "register",
    "request_html",
    "session_html",
    "validation_error_html",
]

MASK = "********"
"""Stands in for a credential."""

_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})
_INPUT_LIMIT = 120
_MIN_SECRET = 8
_LEFT = ' style="text-align: left; vertical-align: top"'


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _secrets(request: httpx2.Request) -> list[str]:
    """The credentials a request carries: the Basic username (the key) and password."""
    found: list[str] = []
    for name, value in request.headers.items():
        if name.lower() not in _CREDENTIAL_HEADERS:
            continue
        scheme, _, credentials = value.partition(" ")
        credentials = credentials.strip()
        if credentials:
            found.append(credentials)
        if scheme.lower() == "basic" and credentials:
            try:
                decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                continue
            found += [part for part in decoded.split(":", 1) if part]
    for part in (request.url.username, request.url.password):
        if part:
            found.append(part)
    # Longest first, so a key is masked whole before any part of it could match. Short
    # values are left to the structural masking above: replacing them everywhere would
    # mangle the text and protect nothing.
    return sorted({s for s in found if len(s) >= _MIN_SECRET}, key=len, reverse=True)


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def _masked_url(url: httpx2.URL) -> str:
    if url.userinfo:
        url = url.copy_with(username=MASK, password=None)
    return str(url)


def _body(request: httpx2.Request) -> str | None:
    try:
        content = request.content
    except httpx2.RequestNotRead:
        return "(a streaming body, not read)"
    if not content:
        return None
    try:
        return json.dumps(json.loads(content), indent=2, ensure_ascii=False)
    except ValueError:
        return content.decode("utf-8", "replace")


def request_html(request: httpx2.Request) -> str:
    """HTML for a request: method and URL, headers (the key masked) and the body."""
    secrets = _secrets(request)
    rows = []
    for raw_name, raw_value in request.headers.raw:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        if name.lower() in _CREDENTIAL_HEADERS:
            scheme = value.partition(" ")[0] if " " in value else ""
            value = f"{scheme} {MASK}".strip() + " (key masked)"
        rows.append(
            f"<tr><th{_LEFT}>{_e(name)}</th>"
            f"<td{_LEFT}><code>{_e(_redact(value, secrets))}</code></td></tr>"
        )
    body = _body(request)
    body_html = (
        "<p><em>No body.</em></p>"
        if body is None
        else f"<pre><code>{_e(_redact(body, secrets))}</code></pre>"
    )
    url = _redact(_masked_url(request.url), secrets)
    return (
        '<div class="leanrails-request">'
        f"<p><strong>{_e(request.method)}</strong> <code>{_e(url)}</code></p>"
        f"<table><thead><tr><th{_LEFT}>Header</th><th{_LEFT}>Value</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        f"{body_html}"
        "</div>"
    )


def _flatten(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    """``customer_details.address.city``-style rows; metadata stays one value."""
    if (
        isinstance(value, Mapping)
        and value
        and prefix != "metadata"
        and not prefix.endswith(".metadata")
    ):
        for key, item in value.items():
            yield from _flatten(f"{prefix}.{key}" if prefix else str(key), item)
    else:
        yield prefix, value


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def session_html(session: CheckoutSession) -> str:
    """HTML for a Checkout Session: one row per field, as the server sent it."""
    data = session.model_dump(mode="json", exclude_unset=True)
    rows = "".join(
        f"<tr><th{_LEFT}><code>{_e(path)}</code></th>"
        f"<td{_LEFT}><code>{_e(_json(value))}</code></td></tr>"
        for path, value in _flatten("", data)
    )
    return (
        '<div class="leanrails-session">'
        f"<p><strong>CheckoutSession</strong> <code>{_e(session.id)}</code></p>"
        f"<table><thead><tr><th{_LEFT}>Field</th><th{_LEFT}>Value</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        "</div>"
    )


def _short(value: Any) -> str:
    text = repr(value)
    if len(text) > _INPUT_LIMIT:
        text = f"{text[: _INPUT_LIMIT - 1]}… ({len(text)} characters)"
    return text


def validation_error_html(error: ValidationError) -> str:
    """HTML for a validation error: one row per problem, at the API path it concerns."""
    problems = error.errors(include_url=False)
    rows = "".join(
        f"<tr><td{_LEFT}><code>{_e(api_path(problem['loc']) or '(the request)')}</code></td>"
        f"<td{_LEFT}>{_e(problem['msg'])}</td>"
        f"<td{_LEFT}><code>{_e(_short(problem['input']))}</code></td></tr>"
        for problem in problems
    )
    count = len(problems)
    return (
        '<div class="leanrails-validation-error">'
        f"<p><strong>ValidationError</strong>: {count} problem{'s' if count != 1 else ''} "
        f"in <code>{_e(error.title)}</code></p>"
        f"<table><thead><tr><th{_LEFT}>API path</th><th{_LEFT}>Message</th>"
        f"<th{_LEFT}>Input</th></tr></thead><tbody>{rows}</tbody></table>"
        "</div>"
    )


def register(shell: Any = None) -> bool:
    """Register the HTML formatters with IPython; ``False`` when IPython is not running.

    Called on ``import leanrails``. IPython is only looked up in ``sys.modules``, so a
    program that does not use IPython never imports it.
    """
    if shell is None:
        ipython = sys.modules.get("IPython")
        get_ipython = getattr(ipython, "get_ipython", None)
        shell = get_ipython() if callable(get_ipython) else None
        if shell is None:
            return False
    formatter = shell.display_formatter.formatters["text/html"]
    formatter.for_type(httpx2.Request, request_html)
    formatter.for_type(CheckoutSession, session_html)
    formatter.for_type(ValidationError, validation_error_html)
    return True


register()
