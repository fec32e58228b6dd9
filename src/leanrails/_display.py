"""Rich display in JupyterLab: requests, sessions, validation and API errors as HTML.

Four kinds of object render as readable HTML in a notebook:

- an ``httpx2.Request`` (what ``client.checkout_sessions.build()`` returns): method, URL,
  headers with the key masked, and the JSON body, pretty-printed;
- a :class:`~leanrails.CheckoutSession`: a table of its fields, nested ones in the API's
  path form (``customer_details.address.city``);
- a pydantic ``ValidationError``: a table of (API path, message, input);
- an :class:`~leanrails.APIStatusError`: status, type, code, param, message, request id.

The kit's own classes carry a ``_repr_mimebundle_`` that loads this module on first
display, so ``import leanrails`` alone neither imports it nor changes how anything else
looks. ``httpx2.Request`` and pydantic's ``ValidationError`` are not ours: a request gets
its HTML only through ``%load_ext leanrails`` (:func:`register`), and a ``ValidationError``
that is not ``leanrails.ValidationError`` keeps pydantic's own display.

Each display also has a plain-text form, the one nbval compares and a terminal shows: a
session is its JSON, as the API sent it (``model_dump_json(indent=2)``), and an API error
is one ``name: value`` line per field. Requests and validation errors keep their own reprs.
Every value is HTML-escaped and cut at ``VALUE_LIMIT`` characters (a server's 5 MB field
would otherwise go whole into the notebook), and the API key never appears: the
Authorization header is masked, and so is any other occurrence of the key it carries (in
the URL or the body).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import httpx2
from pydantic import ValidationError

from ._errors import APIStatusError, inert
from ._params import api_path
from ._secrets import header_credentials, is_credential_header, masked_value
from ._session import CheckoutSession

__all__ = [
    "MASK",
    "api_error_html",
    "api_error_text",
    "bundle",
    "register",
    "request_html",
    "session_html",
    "session_text",
    "unregister",
    "validation_error_html",
]

MASK = "********"
"""Stands in for a credential."""

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


_BREAK_AFTER = re.compile(r"([_.\[/])(?=[^\s/])")


def _code(value: object) -> str:
    """``value`` as inline code that a narrow column wraps only after ``_``, ``.``, ``[`` or
    ``/`` (``line_items[0].<wbr>quantity``), never inside a word."""
    breakable = _BREAK_AFTER.sub(r"\1<wbr>", _e(value))
    return f"<code>{breakable}</code>"


def _secrets(request: httpx2.Request) -> list[str]:
    """The credentials a request carries: every credential header's (the key's, a
    gateway's), and the URL's user and password."""
    found = [
        credential
        for name, value in request.headers.items()
        if is_credential_header(name)
        for credential in header_credentials(value)
    ]
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
        if is_credential_header(name):
            value = masked_value(value, MASK) + " (key masked)"
        rows.append(
            f"<tr><th{_LEFT}>{_e(name)}</th><td{_LEFT}>{_code(_redact(value, secrets))}</td></tr>"
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
        f"<p><strong>{_e(request.method)}</strong> {_code(url)}</p>"
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
        f"<tr><th{_LEFT}>{_code(path)}</th><td{_LEFT}>{_code(_clip(_json(value)))}</td></tr>"
        for path, value in _flatten("", data)
    )
    return (
        '<div class="leanrails-session">'
        f"<p><strong>CheckoutSession</strong> {_code(session.id)}</p>"
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
        f"<tr><td{_LEFT}>{_code(api_path(problem['loc']) or '(the request)')}</td>"
        f"<td{_LEFT}>{_e(problem['msg'])}</td>"
        f"<td{_LEFT}>{_code(_short(problem['input']))}</td></tr>"
        for problem in problems
    )
    count = len(problems)
    return (
        '<div class="leanrails-validation-error">'
        f"<p><strong>ValidationError</strong>: {count} problem{'s' if count != 1 else ''} "
        f"in {_code(error.title)}</p>"
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
    lines += [f"{name}: {_clip(inert(str(value)))}" for name, value in _api_error_fields(error)]
    return "\n".join(lines)


def api_error_html(error: APIStatusError) -> str:
    """HTML for an API error: what the server said, field by field, as a table."""
    rows = "".join(
        f"<tr><th{_LEFT}>{_e(name)}</th>"
        f"<td{_LEFT}>{'<em>null</em>' if value is None else _code(_clip(str(value)))}</td></tr>"
        for name, value in _api_error_fields(error)
    )
    return (
        '<div class="leanrails-api-error">'
        f"<p><strong>{_e(type(error).__name__)}</strong></p>"
        f"<table><tbody>{rows}</tbody></table>"
        "</div>"
    )


def bundle(obj: CheckoutSession | APIStatusError | ValidationError) -> dict[str, str]:
    """The display of one of the kit's objects: its HTML, and its plain text."""
    if isinstance(obj, CheckoutSession):
        return {"text/html": session_html(obj), "text/plain": session_text(obj)}
    if isinstance(obj, APIStatusError):
        return {"text/html": api_error_html(obj), "text/plain": api_error_text(obj)}
    return {"text/html": validation_error_html(obj), "text/plain": repr(obj)}


def register(shell: Any) -> None:
    """Show ``httpx2.Request`` (what ``build()`` returns) as HTML in ``shell``.

    It is httpx2's class, not the kit's, so only ``%load_ext leanrails`` does this;
    :func:`unregister` (``%unload_ext``) undoes it.
    """
    shell.display_formatter.formatters["text/html"].for_type(httpx2.Request, request_html)


def unregister(shell: Any) -> None:
    shell.display_formatter.formatters["text/html"].pop(httpx2.Request, None)
