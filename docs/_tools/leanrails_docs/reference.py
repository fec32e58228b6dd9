"""The endpoint reference page for ``POST /v1/checkout_sessions``, in Stripe's layout.

Fields on the left, each a heading whose anchor is its API path (contract E); children nest
under their parent in a ``<details>``; the code panel (Python, JavaScript and curl tabs, the
response) comes first in the page, so it sits on the right on a wide screen and above the
fields on a phone (as Mintlify's does); an error table closes the fields. The site's menu and
a table of contents of the page's sections stay on either side. The page is Markdown for
the site's own pipeline, so links are checked by ``mkdocs build --strict``.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .contract import Field, as_json, sentence
from .examples import REQUEST, SANDBOX_URL, ErrorExample, RequestExample
from .guide import Section, find_section

PAGE = "field-reference.md"
URL = "field-reference/"
SEARCH_BOOST = 10
GUIDE_MOUNT = "guide"
GUIDE_TITLES = {
    "01_quickstart.ipynb": "Quickstart",
    "02_authentication_and_headers.ipynb": "Authentication and headers",
    "03_line_items.ipynb": "Line items",
    "04_inline_prices.ipynb": "Inline prices",
    "05_checkout_parameters.ipynb": "Checkout parameters",
    "06_payment_parameters.ipynb": "Payment parameters",
    "07_response_fields.ipynb": "Response fields",
    "08_customer_and_amounts.ipynb": "Customer and amounts",
    "09_errors.ipynb": "Errors",
    "10_error_body.ipynb": "The error body",
    "11_idempotency_and_retries.ipynb": "Idempotency and retries",
}
_SOURCE_NOTE = {
    "reference": "reference",
    "kit convention": "[kit convention](conventions.md)",
    "inferred": "[inferred](conventions.md#three-sources)",
}
_CHILDREN = {"request": "child parameters", "header": "", "response": "child attributes"}


def _heading(item: Field, level: int) -> str:
    parent, dot, leaf = item.ref_id.rpartition(".")
    shown = f'<span class="field-parent">{parent}{dot}</span>{leaf}' if dot else leaf
    return f"{'#' * level} {shown} {{ #{item.ref_id} .field-name }}"


def _requirement(item: Field) -> str:
    """Required; Required when ...; for what a server sends, Nullable (sent, maybe null: the
    sandbox sends every field) or Optional (may be left out); else Optional."""
    if item.required:
        return '<span class="field-required">Required</span>'
    if item.required_when:
        return f'<span class="field-required">Required when</span> {item.required_when}'
    if item.nullable and item.kind in ("response", "error"):
        return '<span class="field-optional">Nullable</span>'
    return '<span class="field-optional">Optional</span>'


def _type(item: Field) -> str:
    """The type, "or null" added unless the requirement already says Nullable."""
    nullable = item.nullable and (item.required or item.kind not in ("response", "error"))
    return f"{item.type} or null" if nullable else item.type


def _constraints(item: Field) -> str:
    """The constraints' sentence, each phrase marked with the keywords or rule it says (the
    tests check each phrase's source note against the contract's marker)."""

    def mark(index: int, text: str) -> str:
        said = item.phrases[index]
        what = (
            f'data-rule="{said.rule}"'
            if said.rule
            else f'data-keywords="{" ".join(said.keywords)}"'
        )
        return f'<span class="field-constraint" {what}>{text}</span>'

    return sentence([c.text for c in item.phrases], mark)


def _entry(item: Field, section: Section | None, level: int) -> list[str]:
    meta = [f'<span class="field-type">{_type(item)}</span>', _requirement(item)]
    if item.has_default:
        meta.append(f"Default `{as_json(item.default)}`")
    meta.append(f'<span class="field-source">Source: {_SOURCE_NOTE[item.source]}</span>')
    lines = ['<div class="field" markdown>', "", _heading(item, level), "", " · ".join(meta), ""]
    prose = [item.description, _constraints(item)]
    if item.example:
        prose.append(f"Example: `{item.example}`.")
    text = " ".join(p for p in prose if p)
    if text:
        lines += [text, ""]
    if section is not None:
        title = GUIDE_TITLES.get(section.notebook, section.notebook)
        target = f"{GUIDE_MOUNT}/{section.notebook}#{section.anchor}"
        link = f"[{title}: {section.text}]({target})"
        lines += [f'<p class="field-guide" markdown>Guide: {link}</p>', ""]
    lines += ["</div>", ""]
    return lines


def _tree(
    fields: Sequence[Field], parent: str, links: Mapping[str, Section | None], level: int
) -> Iterator[str]:
    for item in fields:
        if item.parent != parent:
            continue
        yield from _entry(item, links[item.ref_id], level)
        children = [f for f in fields if f.parent == item.path.removesuffix("[]")]
        if children:
            label = f"Show {len(children)} {_CHILDREN[item.kind]}"
            yield f'<details class="field-children" markdown>\n<summary>{label}</summary>\n'
            yield from _tree(fields, item.path.removesuffix("[]"), links, min(level + 1, 6))
            yield "</details>\n"


def _code_block(language: str, code: str, indent: str = "") -> list[str]:
    block = [f"```{language}", *code.rstrip("\n").splitlines(), "```"]
    return [indent + line if line else line for line in block]


_HIGHLIGHT = {"Python": "python", "JavaScript": "javascript", "curl": "bash"}


def _sample_tabs(example: RequestExample) -> list[str]:
    """One tab per language, in :meth:`RequestExample.samples`' order."""
    lines: list[str] = []
    for name, code in example.samples().items():
        lines += [f'=== "{name}"', "", *_code_block(_HIGHLIGHT[name], code, "    "), ""]
    return lines


def _schema(fields: Sequence[Field], kind: str, wrapper: str = "") -> list[str]:
    """A response's top-level fields, collapsed: each its type and a link to its entry."""
    items = []
    for item in fields:
        if item.kind != kind or item.parent:
            continue
        kind_text = f"{item.type} or null" if item.nullable else item.type
        link = f'<a href="#{item.ref_id}"><code>{html.escape(item.leaf)}</code></a>'
        items.append(f'<li>{link} <span class="field-type">{html.escape(kind_text)}</span></li>')
    title = f"Schema: <code>{wrapper}</code>" if wrapper else "Schema"
    return [
        '<details class="field-children response-schema">',
        f"<summary>{title}</summary>",
        "<ul>",
        *items,
        "</ul>",
        "</details>",
        "",
    ]


def _response_tabs(
    fields: Sequence[Field], example: RequestExample, errors: Sequence[ErrorExample]
) -> list[str]:
    """One tab per status the sandbox gave: its schema (collapsed) and the body it sent."""
    lines = ['=== "200"', "", *("    " + x if x else x for x in _schema(fields, "response"))]
    lines += [*_code_block("json", example.response, "    "), ""]
    seen: set[int] = set()
    for error in sorted(errors, key=lambda e: e.status):
        if error.status in seen or not error.body:
            continue
        seen.add(error.status)
        schema = _schema(fields, "error", '{"error": {...}}')
        lines += [f'=== "{error.status}"', "", f"    {html.escape(error.case)}:", ""]
        lines += [*("    " + x if x else x for x in schema)]
        lines += [*_code_block("json", error.body, "    "), ""]
    return lines


_ENUM = re.compile(r"(?:One of|Always) ((?:`[^`]+`(?:, )?)+)")


def _form_field(item: Field, fields: Sequence[Field]) -> dict[str, Any]:
    """One request field as the Try it form builds its input, with its children."""
    node: dict[str, Any] = {"name": item.leaf, "type": item.type, "required": item.required}
    found = _ENUM.search(item.constraints)
    if found:
        node["enum"] = re.findall(r"`([^`]+)`", found.group(1))
    children = [f for f in fields if f.parent == item.path.removesuffix("[]")]
    if children:
        node["children"] = [_form_field(c, fields) for c in children]
    if item.type.startswith("array"):
        node["array"] = True
    return node


def try_it_spec(fields: Sequence[Field]) -> dict[str, Any]:
    """What the Try it panel (``docs/javascripts/try-it.js``) builds its form from."""
    body = [f for f in fields if f.kind == "request"]
    return {
        "base_url": SANDBOX_URL,
        "example": REQUEST,
        "fields": [_form_field(f, body) for f in body if not f.parent],
    }


def _try_it(fields: Sequence[Field]) -> list[str]:
    spec = json.dumps(try_it_spec(fields), ensure_ascii=False).replace("</", "<\\/")
    return [
        '<details class="field-children try-it-panel">',
        "<summary>Try it: send this request from your browser</summary>",
        "<p>Start the sandbox with <code>make sandbox</code> (it allows the local docs "
        "server's origins; another origin needs <code>leanrails sandbox --cors-origin URL"
        "</code>), enter a test key, and send. The key stays in this tab's memory: it is "
        "never stored, and the samples show <code>$LEANRAILS_API_KEY</code> instead.</p>",
        '<div id="try-it"></div>',
        f'<script type="application/json" id="try-it-spec">{spec}</script>',
        "</details>",
        "",
    ]


def _code_panel(
    example: RequestExample, fields: Sequence[Field], errors: Sequence[ErrorExample]
) -> list[str]:
    return [
        '<div class="endpoint-code" markdown>',
        "",
        '<p class="endpoint-code-title">Request</p>',
        "",
        *_sample_tabs(example),
        *_try_it(fields),
        '<p class="endpoint-code-title">Responses</p>',
        "",
        *_response_tabs(fields, example, errors),
        "</div>",
        "",
    ]


def _breakable(name: str) -> str:
    """``name`` as code that may wrap after ``_``, ``.`` or ``]`` (never inside a word)."""
    text = html.escape(name)
    return "<code>" + re.sub(r"([_.\]])", r"\1<wbr>", text) + "</code>"


def _error_table(errors: Sequence[ErrorExample]) -> list[str]:
    columns = ("Case", "Status", "type", "code", "Example param")
    rows = []
    for error in errors:
        cells = (
            html.escape(error.case),
            str(error.status),
            _breakable(error.type),
            _breakable(error.code) if error.code else "",
            _breakable(error.param) if error.param else "—",
        )
        pairs = zip(columns, cells, strict=True)
        tds = "".join(f'<td data-label="{label}">{cell}</td>' for label, cell in pairs)
        rows.append(f'<tr title="{html.escape(error.message)}">{tds}</tr>')
    head = "".join(f"<th>{c}</th>" for c in columns)
    return [
        '<table class="error-table">',
        f"<thead><tr>{head}</tr></thead>",
        "<tbody>",
        *rows,
        "</tbody>",
        "</table>",
        "",
    ]


BODY_PARAMETERS_MARKER = "<!-- leanrails-docs: body-parameters -->"


def body_parameters(fields: Sequence[Field]) -> str:
    """The request body parameters as a nested Markdown list, in the contract's words.

    For the Python API page: each keyword of ``create``/``build`` with its type, whether it
    is required, the contract's description and constraints, and a link to its entry here.
    """
    lines = []
    for item in fields:
        if item.kind != "request":
            continue
        need = "required" if item.required else "optional"
        if item.required_when:
            need = f"required when {item.required_when}"
        if item.source != "reference":  # the field's own source; each constraint says its own
            need += f", {item.source}"
        name = f"[`{item.leaf}`]({PAGE}#{item.ref_id})"
        text = " ".join(p for p in (item.description, item.constraints) if p)
        lines.append(f"{'    ' * item.depth}- {name} ({item.type}, {need}): {text}".rstrip(": "))
    return "\n".join(lines) + "\n"


def search_boost(item: Field) -> float:
    """The search boost of a field's entry: the fewer names in its path, the higher.

    The site's search splits paths into names and matches each as a prefix, so a query for
    ``customer`` also matches ``customer_creation``: the field named exactly by the query
    has the fewest names, and a gentle boost puts it first (a steep one would also lift
    ``line_items`` above ``line_items.price_data`` for the query ``line_items.price_data``).
    Headers keep the page's boost: their names are distinct, and ``Idempotent-Replayed``
    must not catch the ``id`` of ``response.id``.
    """
    if item.kind == "header":
        return SEARCH_BOOST
    return SEARCH_BOOST * (1 + 0.5 / len(re.split(r"[\s\-_.]+", item.ref_id)))


def boost_fields(index: dict[str, Any], fields: Sequence[Field]) -> dict[str, Any]:
    """Material's ``search_index.json`` with each field's entry boosted by :func:`search_boost`."""
    by_id = {f.ref_id: f for f in fields}
    for doc in index["docs"]:
        page, _, anchor = str(doc["location"]).partition("#")
        if page == URL and anchor in by_id:
            doc["boost"] = search_boost(by_id[anchor])
    return index


def _retried() -> str:
    from leanrails._retry import RETRYABLE_STATUSES

    statuses = [str(s) for s in sorted(RETRYABLE_STATUSES)]
    return "the statuses " + ", ".join(statuses[:-1]) + " and " + statuses[-1]


def render_page(
    fields: Sequence[Field],
    sections: Sequence[Section],
    example: RequestExample,
    errors: Sequence[ErrorExample],
) -> str:
    """The page's Markdown: front matter, the two columns, every field, the error table."""
    links = {f.ref_id: find_section(f, sections) for f in fields}
    covered = sum(1 for s in links.values() if s is not None)
    headers = [f for f in fields if f.kind == "header"]
    lines = [
        "---",
        "title: Create a Checkout Session",
        "search:",
        f"  boost: {SEARCH_BOOST}",
        "---",
        "",
        "# Create a Checkout Session",
        "",
        '<p class="endpoint-route"><span class="endpoint-method">POST</span> '
        "<code>/v1/checkout_sessions</code></p>",
        "",
        textwrap.fill(
            "Creates a Checkout Session: a page where the customer pays for the line items. "
            "This page is generated from the kit's contract, `src/leanrails/openapi.yaml` "
            "(a transcription of the LeanRails reference), and its examples come from running "
            "the kit against the sandbox when the site is built. Each field links to the "
            f"guide section that walks through it ({covered} of {len(fields)} do). "
            "Each field and each constraint says where it comes from: the reference; "
            "*inferred* (known from the reference's example request, or implied by its words "
            "or by HTTP); or *kit convention* (a rule the kit adds where the reference is "
            "silent, following Stripe: the sandbox refuses it, the client warns and sends). "
            "The [conventions](conventions.md) page lists every one.",
            width=100,
        ),
        "",
        '<div class="endpoint" markdown>',
        "",
        *_code_panel(example, fields, errors),
        '<div class="endpoint-fields" markdown>',
        "",
        "## Headers { #headers }",
        "",
        *_tree([h for h in headers if h.direction == "request"], "", links, 3),
        "## Body parameters { #body }",
        "",
        *_tree([f for f in fields if f.kind == "request"], "", links, 3),
        "## Response { #response }",
        "",
        "A `CheckoutSession`, with these headers:",
        "",
        *_tree([h for h in headers if h.direction == "response"], "", links, 3),
        "### The session's fields { #response-fields }",
        "",
        "The sandbox sends every field. A *Required* one is never null; a *Nullable* one is "
        "null when it has no value (`url` in embedded mode). The reference requires only the "
        "Required ones: another server may leave out the others (an *Optional* one is never "
        "null, only absent), and the client reads a missing field as null.",
        "",
        *_tree([f for f in fields if f.kind == "response"], "", links, 4),
        "## Errors { #errors }",
        "",
        'Every error answers `{"error": {...}}` with an HTTP status, a `type` and a `code`; '
        "`param` names the field at fault, in the API's path form. The reference shows no "
        "error format: this Stripe-style body is a kit convention. The rows below are what "
        "the sandbox answered to each case when this page was built (hover a row for its "
        f"message). The client retries {_retried()} and connection errors, with the same "
        "`Idempotency-Key`; a 4xx other than those is never retried.",
        "",
        *_error_table(errors),
        *_tree([f for f in fields if f.kind == "error"], "", links, 3),
        "</div>",
        "</div>",
        "",
    ]
    return "\n".join(lines)
