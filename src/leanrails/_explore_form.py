"""The request builder's widgets: a form generated from ``openapi.yaml``, and its live outputs.

Only ``leanrails.explore()`` imports this module (it needs the ``lab`` extra: ipywidgets
and PyYAML). The form is built by walking the contract's request schema, so a parameter
added to ``openapi.yaml`` appears here without code. Its rules are not read from the
contract: every keystroke re-validates the body with the same pydantic model ``create``
uses, so the builder can never accept what the client would refuse, nor the reverse.

Builder conventions: a blank text box or "(not sent)" leaves the parameter out of the
body; an integer box sends the text as an integer when it is one, else as the string
typed, so the model says why it is not an integer; metadata is one ``key=value`` per line.
"""

from __future__ import annotations

import html
import pprint
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipywidgets as w  # type: ignore[import-untyped]
from pydantic import ValidationError

from ._client import LeanRails
from ._contract import component
from ._curl import to_curl
from ._display import request_html, validation_error_html
from ._errors import APIConnectionError, LeanRailsError
from ._jupyter import display_bundle
from .sandbox import IN_PROCESS_BASE_URL

__all__ = ["Explorer"]

_NOT_SENT = "(not sent)"
_LABEL_WIDTH = "200px"
_INTEGER = re.compile(r"[+-]?\d+")
EXAMPLE: dict[str, Any] = {
    "mode": "payment",
    "line_items": [{"price": "price_test_tshirt", "quantity": 2}],
    "success_url": "https://example.com/success",
}
"""What the form starts with: the smallest valid request, so the first Send succeeds."""


def _css(path: str) -> str:
    """A CSS class for a field's API path: ``line_items[0].price`` -> ``lr-line_items-0-price``."""
    return "lr-" + re.sub(r"[^A-Za-z0-9_]+", "-", path).strip("-")


@dataclass(frozen=True)
class _Spec:
    """What a field is built from: its name, API path, schema, first value and listener."""

    name: str
    path: str
    schema: dict[str, Any]
    initial: Any
    changed: Callable[[], None]


class _Field:
    """One parameter of the form; ``value()`` is ``None`` when it is not sent."""

    widget: w.Widget

    def value(self) -> Any:
        raise NotImplementedError


class _Scalar(_Field):
    def __init__(self, spec: _Spec) -> None:
        schema, path = spec.schema, spec.path
        common: dict[str, Any] = {
            "description": spec.name,
            "tooltip": " ".join(str(schema.get("description", "")).split()) or None,
            "style": {"description_width": _LABEL_WIDTH},
            "layout": w.Layout(width="98%"),
        }
        self._integer = schema.get("type") == "integer"
        self.input: w.Dropdown | w.Text
        if "enum" in schema:
            # "" stands for "not sent": ipywidgets reads a None value as "nothing selected".
            options = [(str(v), str(v)) for v in schema["enum"]]
            # Only a required top-level choice (mode) is always sent; a nested one may not
            # be, as its whole object (price_data.recurring) may be left out.
            if not (schema.get("required") and "." not in path):
                default = schema.get("default")
                label = _NOT_SENT if default is None else f"{_NOT_SENT}: {default}"
                options.insert(0, (label, ""))
            self.input = w.Dropdown(options=options, value=spec.initial or options[0][1], **common)
        else:
            hint = "integer" if self._integer else schema.get("format", "text")
            self.input = w.Text(
                value="" if spec.initial is None else str(spec.initial),
                placeholder=f"{hint}; blank: not sent",
                continuous_update=True,
                **common,
            )
        self.input.add_class(_css(path))
        self.input.observe(lambda _: spec.changed(), names="value")
        self.widget = self.input

    def value(self) -> Any:
        raw = self.input.value
        if raw is None or raw == "":
            return None
        if self._integer and _INTEGER.fullmatch(raw.strip()):
            return int(raw)
        return raw


class _Metadata(_Field):
    def __init__(self, spec: _Spec) -> None:
        lines = [f"{k}={v}" for k, v in (spec.initial or {}).items()]
        self.input = w.Textarea(
            value="\n".join(lines),
            description=spec.name,
            placeholder="key=value, one per line; blank: not sent",
            tooltip=" ".join(str(spec.schema.get("description", "")).split()) or None,
            continuous_update=True,
            style={"description_width": _LABEL_WIDTH},
            layout=w.Layout(width="98%", height="4.5em"),
        )
        self.input.add_class(_css(spec.path))
        self.input.observe(lambda _: spec.changed(), names="value")
        self.widget = self.input

    def value(self) -> Any:
        pairs = [line.partition("=") for line in self.input.value.splitlines() if line.strip()]
        return {key.strip(): value.strip() for key, _, value in pairs} or None


class _Object(_Field):
    """A nested object (``price_data``, ``payment_intent_data``): not sent when all blank."""

    def __init__(self, spec: _Spec, *, top: bool = False) -> None:
        path, initial = spec.path, spec.initial or {}
        required = set(spec.schema.get("required", []))
        self.fields: dict[str, _Field] = {}
        for key, sub in spec.schema.get("properties", {}).items():
            if key in required:
                sub = {**sub, "required": True}
            sub_path = f"{path}.{key}" if path else key
            self.fields[key] = _make(_Spec(key, sub_path, sub, initial.get(key), spec.changed))
        children = [field.widget for field in self.fields.values()]
        if top:
            self.widget = w.VBox(children)
        else:
            title = w.HTML(f"<b><code>{html.escape(spec.name)}</code></b>")
            self.widget = w.VBox(
                [title, w.VBox(children, layout=w.Layout(padding="0 0 0 1.5em"))],
                layout=w.Layout(border="1px solid var(--jp-border-color2, #ddd)", margin="4px 0"),
            )
        self.widget.add_class(_css(path) if path else "lr-body")

    def value(self) -> Any:
        found = {key: field.value() for key, field in self.fields.items()}
        return {key: value for key, value in found.items() if value is not None} or None


class _Array(_Field):
    """``line_items``: one sub-form per item, added and removed with buttons."""

    def __init__(self, spec: _Spec) -> None:
        name, path = spec.name, spec.path
        self._name, self._path, self._changed = name, path, spec.changed
        self._item_schema = spec.schema["items"]
        self.items: list[_Object] = []
        self._box = w.VBox()
        add = w.Button(description=f"Add {name.removesuffix('s').replace('_', ' ')}", icon="plus")
        add.add_class(_css(path) + "-add")
        add.on_click(lambda _: self.add())
        self.widget = w.VBox([w.HTML(f"<b><code>{html.escape(name)}</code></b>"), self._box, add])
        for item in spec.initial or []:
            self.add(item, notify=False)

    def add(self, initial: Any = None, *, notify: bool = True) -> None:
        """Append an item (blank unless ``initial``)."""
        index = len(self.items)
        item_path = f"{self._path}[{index}]"
        item = _Object(
            _Spec(f"{self._name}[{index}]", item_path, self._item_schema, initial, self._changed)
        )
        remove = w.Button(description="Remove", icon="trash", layout=w.Layout(width="auto"))
        remove.add_class(_css(item_path) + "-remove")
        remove.on_click(lambda _: self.remove(self.items.index(item)))
        item.widget.children = (*item.widget.children, remove)
        self.items.append(item)
        self._box.children = [entry.widget for entry in self.items]
        if notify:
            self._changed()

    def remove(self, index: int) -> None:
        """Remove the item at ``index``; the ones after it move up (their paths shift)."""
        values = [item.value() for item in self.items]
        del values[index]
        self.items = []
        for value in values:
            self.add(value, notify=False)
        self._box.children = [entry.widget for entry in self.items]
        self._changed()

    def value(self) -> Any:
        # An empty list is sent as such: the model then says a line item is required.
        return [item.value() or {} for item in self.items]


def _make(spec: _Spec) -> _Field:
    kind = spec.schema.get("type")
    if kind == "array":
        return _Array(spec)
    if kind == "object" and "properties" in spec.schema:
        return _Object(spec)
    if kind == "object":
        return _Metadata(spec)
    return _Scalar(spec)


def _python_call(body: dict[str, Any]) -> str:
    """The ``create(...)`` call that sends ``body``, one keyword per line."""
    lines = ["session = client.checkout_sessions.create("]
    for key, value in body.items():
        text = pprint.pformat(value, width=88 - len(key), sort_dicts=False)
        text = text.replace("\n", "\n" + " " * (len(key) + 5))
        lines.append(f"    {key}={text},")
    lines.append(")")
    return "\n".join(lines)


# Copies the text next to it; where the clipboard API is refused (a page not served from
# localhost or https), the text is at least selected, ready for Ctrl+C.
_COPY_BUTTON = (
    '<button class="lr-copy" title="Copy to the clipboard" '
    'style="position: absolute; top: 4px; right: 4px" onclick="'
    "const t = this.nextElementSibling, r = document.createRange(), s = getSelection();"
    "r.selectNodeContents(t); s.removeAllRanges(); s.addRange(r);"
    "if (navigator.clipboard) navigator.clipboard.writeText(t.innerText)"
    ".then(() => { this.textContent = 'Copied'; }, () => {});"
    '">Copy</button>'
)


def _code_html(kind: str, text: str) -> str:
    return (
        f'<div class="lr-code lr-code-{kind}" style="position: relative">{_COPY_BUTTON}'
        '<pre style="margin: 0; padding: 6px; overflow-x: auto; '
        'white-space: pre; background: var(--jp-layout-color2, #f5f5f5); user-select: text">'
        f"{html.escape(text)}</pre></div>"
    )


class Explorer(w.VBox):  # type: ignore[misc]
    """The request builder: the form, its live validation, curl, Python, and Send.

    ``body`` is the request body the form describes, ``problems`` the current validation
    error (``None`` when valid), ``curl`` and ``python`` the texts shown, and ``result``
    what the last Send got: a ``CheckoutSession`` or the error.
    """

    def __init__(self, client: LeanRails, initial: dict[str, Any] | None = None) -> None:
        self.client = client
        self.idempotency_key = str(uuid.uuid4())
        self.body: dict[str, Any] = {}
        self.problems: ValidationError | None = None
        self.curl = self.python = ""
        self.result: object = None
        schema = component("CheckoutSessionCreateParams")
        body = EXAMPLE if initial is None else initial
        self.form = _Object(_Spec("body", "", schema, body, self.refresh), top=True)

        def view(name: str) -> Any:
            # Wide content (curl, a session's URL) scrolls inside its own box.
            return w.HTML(layout=w.Layout(width="100%", overflow="auto")).add_class(name)

        self.status = view("lr-status")
        self.python_view = view("lr-python")
        self.curl_view = view("lr-curl")
        self.request_view = view("lr-request")
        code = w.Tab(children=[self.python_view, self.curl_view, self.request_view])
        for index, title in enumerate(["Python", "curl", "Request"]):
            code.set_title(index, title)
        self.send_button = w.Button(
            description="Send", icon="paper-plane", button_style="primary"
        ).add_class("lr-send")
        self.send_button.on_click(lambda _: self.send())
        self.response_view = view("lr-response")
        where = html.escape(client.base_url)
        unreachable = (
            " This sandbox runs in-process, with no address: its sessions' URLs open nowhere. "
            "<code>explore(LeanRails.sandbox(serve=True))</code> serves one that opens."
            if client.base_url == IN_PROCESS_BASE_URL
            else ""
        )
        header = w.HTML(
            "<b>LeanRails request builder</b>: <code>POST /v1/checkout_sessions</code> "
            f"to <code>{where}</code>. Hover a field for its description from the contract."
            + unreachable
        )
        form_box = w.VBox([self.form.widget], layout=w.Layout(width="48%", min_width="380px"))
        outputs = w.VBox(
            [self.status, code, self.send_button, self.response_view],
            layout=w.Layout(width="50%", min_width="380px", margin="0 0 0 1%", overflow="auto"),
        )
        super().__init__(
            [header, w.HBox([form_box, outputs], layout=w.Layout(flex_flow="row wrap"))]
        )
        self.add_class("leanrails-explore")
        self.refresh()

    def __repr__(self) -> str:
        # The plain-text form of the output (what nbval compares and a static page shows):
        # ipywidgets cuts it at 110 characters.
        return f"LeanRails request builder: POST /v1/checkout_sessions to {self.client.base_url}"

    def refresh(self) -> None:
        """Re-read the form: validate the body with ``create``'s model, redraw curl and Python."""
        self.body = self.form.value() or {}
        self.python = _python_call(self.body)
        self.python_view.value = _code_html("python", self.python)
        try:
            request = self.client.checkout_sessions.build(
                idempotency_key=self.idempotency_key, **self.body
            )
        except ValidationError as exc:
            self.problems = exc
            self.curl = ""
            self.status.value = validation_error_html(exc)
            waiting = "<p><em>The request appears once the problems above are fixed.</em></p>"
            self.curl_view.value = self.request_view.value = waiting
            self.send_button.disabled = True
            return
        self.problems = None
        self.status.value = (
            '<p class="lr-valid">&#10004; Valid: the client would send this request.</p>'
        )
        self.curl = to_curl(request)
        self.curl_view.value = _code_html("curl", self.curl)
        self.request_view.value = request_html(request)
        self.send_button.disabled = False

    def send(self) -> object:
        """Create the session the form describes; show it (or any kit error) as IPython would."""
        try:
            self.result = self.client.checkout_sessions.create(
                idempotency_key=self.idempotency_key, **self.body
            )
        except LeanRailsError as exc:  # every kit error: none may leave the pane unchanged
            self.result = exc
        self.response_view.value = display_bundle(self.result)["text/html"]
        if not isinstance(self.result, APIConnectionError):
            # The server answered: the next Send is a new create, with a new key. After no
            # answer the key is kept, so sending again retries the same create, safely.
            self.idempotency_key = str(uuid.uuid4())
            self.refresh()
        return self.result
