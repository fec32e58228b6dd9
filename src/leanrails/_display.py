"""Rich display in JupyterLab: requests, sessions, validation and API errors as HTML.

Four kinds of object render as readable HTML in a notebook:

- an ``httpx2.Request`` (what ``client.checkout_sessions.build()`` returns): method, URL,
  headers with the key masked, and the JSON body, pretty-printed;
- a :class:`~leanrails.CheckoutSession`: a table of its fields, nested ones in the API's
  path form (``customer_details.address.city``);
- a pydantic ``ValidationError``: a table of (API path, message, input);
- an :class:`~leanrails.APIStatusError`: status, type, code, param, message, request id.

Two of these classes are not ours, so the HTML is registered with IPython's display
formatter (``for_type``) rather than as ``_repr_html_`` methods. Registration happens on
``import leanrails`` when IPython is running, and never imports IPython otherwise.

Each display also has a plain-text form, the one nbval compares and a terminal shows: a
session is its JSON, as the API sent it (``model_dump_json(indent=2)``), and an API error
is one ``name: value`` line per field. Requests and validation errors keep their own reprs.
Every value is HTML-escaped and cut at ``VALUE_LIMIT`` characters (a server's 5 MB field
would otherwise go whole into the notebook), and the API key never appears: the
Authorization header is masked, and so is any other occurrence of the key it carries (in
the URL or the body).
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

from ._errors import APIStatusError
from ._params import api_path
from ._session import CheckoutSession

__all__ = [
    "MASK",
    "api_error_html",
    "api_error_text",
    "register",
    "request_html",
    "session_html",
    "session_text",
    "validation_error_html",
]

MASK = "********"
"""Stands in for a credential."""

_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})
_INPUT_LIMIT = 120
VALUE_LIMIT = 2_000
"""The most characters of one value a display shows; the length of the rest is said."""
_MIN_SECRET = 8
_LEFT = ' style="text-align: left; vertical-align: top"'


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _clip(text: str) -> str:
    if len(text) <= VALUE_LIMIT:
        return text
    return f"{text[:VALUE_LIMIT]}… ({len(text):,} characters)"


def _clipped(value: Any) -> Any:
    """``value`` with every long string clipped, at any depth."""
    if isinstance(value, str):
        return _clip(value)
    if isinstance(value, dict):
        return {key: _clipped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clipped(item) for item in value]
    return value


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
        else f"<pre><code>{_e(_clip(_redact(body, secrets)))}</code></pre>"
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
        f"<td{_LEFT}><code>{_e(_clip(_json(value)))}</code></td></tr>"
        for path, value in _flatten("", data)
    )
    return (
        '<div class="leanrails-session">'
        f"<p><strong>CheckoutSession</strong> <code>{_e(session.id)}</code></p>"
        f"<table><thead><tr><th{_LEFT}>Field</th><th{_LEFT}>Value</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        "</div>"
    )


def session_text(session: CheckoutSession) -> str:
    """The plain-text form of a session: its JSON, as the API sent it (long strings clipped)."""
    text = session.model_dump_json(indent=2)
    if len(text) <= VALUE_LIMIT:
        return text
    return json.dumps(_clipped(session.model_dump(mode="json")), indent=2, ensure_ascii=False)


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


def _api_error_fields(error: APIStatusError) -> list[tuple[str, object]]:
    return [
        ("status", error.status_code),
        ("type", error.type),
        ("code", error.code),
        ("param", error.param),
        ("message", error.message),
        ("request_id", error.request_id),
    ]


def api_error_text(error: APIStatusError) -> str:
    """The plain-text form of an API error: its class, then one line per field."""
    lines = [type(error).__name__]
    lines += [f"{name}: {_clip(str(value))}" for name, value in _api_error_fields(error)]
    return "\n".join(lines)


def api_error_html(error: APIStatusError) -> str:
    """HTML for an API error: what the server said, field by field, as a table."""
    rows = "".join(
        f"<tr><th{_LEFT}>{_e(name)}</th>"
        f"<td{_LEFT}>"
        f"{'<em>null</em>' if value is None else f'<code>{_e(_clip(str(value)))}</code>'}</td></tr>"
        for name, value in _api_error_fields(error)
    )
    return (
        '<div class="leanrails-api-error">'
        f"<p><strong>{_e(type(error).__name__)}</strong></p>"
        f"<table><tbody>{rows}</tbody></table>"
        "</div>"
    )


def _text(render: Any) -> Any:
    """An IPython plain-text printer from a function of the object."""

    def printer(obj: Any, p: Any, cycle: bool) -> None:
        p.text(render(obj))

    return printer


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
    formatters = shell.display_formatter.formatters
    html_formatter, text_formatter = formatters["text/html"], formatters["text/plain"]
    html_formatter.for_type(httpx2.Request, request_html)
    html_formatter.for_type(CheckoutSession, session_html)
    html_formatter.for_type(ValidationError, validation_error_html)
    html_formatter.for_type(APIStatusError, api_error_html)
    text_formatter.for_type(CheckoutSession, _text(session_text))
    text_formatter.for_type(APIStatusError, _text(api_error_text))
    return True


register()
