"""The docs tooling (``docs/_tools/leanrails_docs``), tested directly, without building a site.

The contract flattened into fields, the one ``$ref`` resolver, the reference page's examples
(run against the sandbox) and its Markdown, and the rewriting of notebook pages.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from leanrails_docs import examples, notebook_pages, reference
from leanrails_docs.contract import Field, contract_fields
from leanrails_docs.guide import guide_sections
from test_notebooks import NOTEBOOKS

from leanrails._contract import inline, load_contract, resolve, unwrap
from leanrails.sandbox import DEFAULT_PRICES

# Its tests share module-scoped fixtures: one xdist worker runs them all, set up once.
pytestmark = [pytest.mark.docs, pytest.mark.xdist_group("docs_tools")]

# ============================================================================ resolver


def test_resolve_follows_a_ref_chain_and_keeps_sibling_keywords() -> None:
    spec = {"a": {"type": "object", "description": "A"}, "b": {"$ref": "#/a"}}

    assert resolve(spec, {"$ref": "#/b", "description": "mine"}) == {
        "type": "object",
        "description": "mine",
    }


def test_inline_replaces_refs_at_every_depth() -> None:
    spec = load_contract()
    body = inline(spec, {"$ref": "#/components/schemas/CheckoutSessionCreateParams"})

    assert "$ref" not in json.dumps(body)
    recurring = body["properties"]["line_items"]["items"]["properties"]["price_data"]
    assert recurring["properties"]["recurring"]["required"] == ["interval"]


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param({"type": "string"}, ({"type": "string"}, False), id="plain"),
        pytest.param({"type": ["string", "null"]}, ({"type": "string"}, True), id="type-list"),
        pytest.param(
            {"anyOf": [{"type": "integer"}, {"type": "null"}], "description": "d"},
            ({"type": "integer", "description": "d"}, True),
            id="anyOf-null",
        ),
    ],
)
def test_unwrap_reads_the_three_spellings_of_nullable(
    schema: dict[str, Any], expected: tuple[dict[str, Any], bool]
) -> None:
    found, nullable = unwrap({}, schema)

    assert (dict(found), nullable) == expected


_FOLLOWS_A_REF = re.compile(r"yaml\.(?:safe_)?load\b|\[[\"']\$ref[\"']\]|get\([\"']\$ref")


def test_one_module_reads_the_contract() -> None:
    """``leanrails._contract`` is the only code that loads openapi.yaml or follows a ``$ref``."""
    root = Path(__file__).resolve().parents[1]
    readers = sorted(
        str(path.relative_to(root))
        for folder in ("src", "docs/_tools")
        for path in (root / folder).rglob("*.py")
        if _FOLLOWS_A_REF.search(path.read_text(encoding="utf-8"))
    )

    assert readers == ["src/leanrails/_contract.py"]


# ============================================================================ fields


def _fields() -> dict[tuple[str, str], Field]:
    return {(f.kind, f.path): f for f in contract_fields()}


def test_contract_fields_cover_headers_nested_parameters_response_and_error_fields() -> None:
    fields = contract_fields()
    by_kind: dict[str, set[str]] = {}
    for item in fields:
        by_kind.setdefault(item.kind, set()).add(item.path)

    assert by_kind["header"] == {
        "Authorization",
        "Idempotency-Key",
        "X-API-Version",
        "Request-Id",
        "Idempotent-Replayed",
        "Original-Request",
    }
    assert {
        "mode",
        "line_items",
        "line_items[].quantity",
        "line_items[].price",
        "line_items[].price_data.currency",
        "line_items[].price_data.recurring.interval_count",
        "payment_intent_data.capture_method",
        "payment_intent_data.metadata",
        "expires_at",
        "metadata",
    } <= by_kind["request"]
    assert {
        "id",
        "customer_details",
        "customer_details.address.postal_code",
        "total_details.amount_tax",
        "client_reference_id",
    } <= by_kind["response"]
    assert by_kind["error"] == {"type", "code", "message", "param"}
    assert len({(f.kind, f.path) for f in fields}) == len(fields)


def test_contract_fields_reach_every_property_of_the_request_and_response_schemas() -> None:
    spec = load_contract()
    schemas = spec["components"]["schemas"]
    leaves = {(f.kind, f.leaf) for f in contract_fields(spec)}
    request_schemas = ["CheckoutSessionCreateParams", "LineItem", "PriceData", "Recurring"]
    request_schemas.append("PaymentIntentData")
    response_schemas = ["CheckoutSession", "CustomerDetails", "Address", "TotalDetails"]

    for kind, names in (("request", request_schemas), ("response", response_schemas)):
        for name in names:
            for prop in schemas[name]["properties"]:
                assert (kind, prop) in leaves, f"{name}.{prop} is not in the field reference"


def test_fields_carry_required_nullable_default_constraints_and_source() -> None:
    fields = _fields()

    key = fields[("header", "Idempotency-Key")]
    assert key.required
    assert key.constraints == (
        "Not empty (inferred); at most 255 characters; matching `^[!-~]([ -~]*[!-~])?$` (inferred)."
    )
    currency = fields[("request", "line_items[].price_data.currency")]
    assert currency.required
    assert currency.constraints.startswith(
        "Exactly 3 characters (inferred); matching `^[A-Za-z]{3}$` (inferred); every inline "
        "price is in the session's currency"
    )
    assert currency.constraints.endswith(
        "(kit convention: a total adds one currency's amounts, and nothing is converted)."
    )
    reference_id = fields[("request", "client_reference_id")]
    assert reference_id.constraints == "Not empty (kit convention); at most 200 characters."
    ui_mode = fields[("request", "ui_mode")]
    assert not ui_mode.required
    assert (ui_mode.has_default, ui_mode.default) == (True, "hosted")
    assert fields[("request", "line_items[].price_data.tax_behavior")].source == "inferred"
    assert fields[("request", "metadata")].source == "reference"
    assert fields[("request", "payment_intent_data.metadata")].source == "inferred"
    assert fields[("request", "line_items[].quantity")].constraints == (
        "From 1 to 999,999 (kit convention)."
    )
    assert fields[("request", "line_items[].price_data.unit_amount")].constraints == (
        "At least 0 (inferred); at most 99,999,999 (kit convention)."
    )
    assert fields[("header", "Request-Id")].source == "kit convention"
    assert fields[("request", "mode")].source == "reference"
    assert fields[("error", "param")].source == "kit convention"
    details = fields[("response", "customer_details")]
    assert details.nullable
    assert details.source == "reference"
    assert fields[("response", "customer_details.address")].nullable
    assert not fields[("response", "id")].nullable
    line_items = fields[("request", "line_items")].constraints
    assert "each line item has price or price_data;" in line_items
    assert "not have both price and price_data (kit convention" in line_items


def test_a_conditional_rule_makes_a_field_required_when_its_condition_holds() -> None:
    success_url = _fields()[("request", "success_url")]

    assert not success_url.required
    assert success_url.required_when == "`ui_mode` is `hosted` (the default)"
    assert "Required" not in success_url.description


@pytest.mark.parametrize(
    ("kind", "path", "description"),
    [
        pytest.param(
            "request", "expires_at", "Unix timestamp for when the session expires.", id="expires_at"
        ),
        pytest.param(
            "request",
            "metadata",
            "Set of key-value pairs for storing additional information.",
            id="metadata",
        ),
        pytest.param(
            "request",
            "payment_intent_data.statement_descriptor",
            "Text on the customer's statement.",
            id="statement_descriptor",
        ),
        pytest.param(
            "request", "line_items", "Line items the customer is purchasing.", id="line_items"
        ),
    ],
)
def test_descriptions_drop_sentences_the_constraints_already_say(
    kind: str, path: str, description: str
) -> None:
    assert _fields()[(kind, path)].description == description


def test_constraints_are_one_sentence_without_repeats() -> None:
    for item in contract_fields():
        if not item.constraints:
            continue
        phrases = item.constraints.rstrip(".").split("; ")
        assert item.constraints.count(". ") == 0, item.path
        assert len(phrases) == len(set(phrases)), item.path


@pytest.mark.parametrize(
    ("kind", "path", "ref_id", "parent"),
    [
        pytest.param(
            "request",
            "line_items[].price_data.currency",
            "line_items.price_data.currency",
            "line_items[].price_data",
            id="nested",
        ),
        pytest.param(
            "request", "line_items[].quantity", "line_items.quantity", "line_items", id="array-item"
        ),
        pytest.param(
            "response",
            "customer_details.address.city",
            "response.customer_details.address.city",
            "customer_details.address",
            id="response",
        ),
        pytest.param("error", "param", "error.param", "", id="error"),
        pytest.param("header", "Idempotency-Key", "Idempotency-Key", "", id="header"),
    ],
)
def test_reference_anchors_are_api_paths(kind: str, path: str, ref_id: str, parent: str) -> None:
    item = _fields()[(kind, path)]

    assert (item.ref_id, item.parent) == (ref_id, parent)


# ============================================================================ examples


def test_the_request_example_runs_and_its_curl_and_response_are_the_same_call() -> None:
    example = examples.request_example()
    sent = json.loads(example.curl.split("--data '", 1)[1].rsplit("'", 1)[0])
    response = json.loads(example.response)
    create = next(
        node
        for node in ast.walk(ast.parse(example.python))
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "create"
    )

    assert {k.arg for k in create.keywords} == set(sent)
    assert '--url "${LEANRAILS_BASE_URL:-http://127.0.0.1:12111}/v1/' in example.curl
    assert '"$LEANRAILS_API_KEY:"' in example.curl
    assert response["object"] == "checkout.session"
    assert response["metadata"] == sent["metadata"]
    tshirt = next(p for p in DEFAULT_PRICES if p.id == "price_test_tshirt")
    assert response["amount_total"] == 2 * tshirt.unit_amount + 350


def test_the_error_examples_are_what_the_sandbox_answered() -> None:
    rows = examples.error_examples()

    assert len(rows) == len(examples.ERROR_CASES)
    by_case = {row.case: row for row in rows}
    invalid = by_case["A value breaks a rule"]
    assert (invalid.status, invalid.type, invalid.param) == (
        400,
        "invalid_request_error",
        "line_items[0].quantity",
    )
    assert {row.type for row in rows} == set(
        load_contract()["components"]["schemas"]["ErrorObject"]["properties"]["type"]["enum"]
    )


# ============================================================================ the page


@pytest.fixture(scope="module")
def page() -> str:
    return reference.render_page(
        contract_fields(),
        guide_sections(NOTEBOOKS),
        examples.request_example(),
        examples.error_examples(),
    )


def test_the_page_gives_every_field_a_heading_anchored_by_its_api_path(page: str) -> None:
    anchors = re.findall(r"^#{3,6} .* \{ #(\S+) \.field-name \}$", page, re.MULTILINE)

    assert anchors == list(dict.fromkeys(anchors))
    assert set(anchors) == {f.ref_id for f in contract_fields()}


def test_the_page_nests_children_under_their_parent(page: str) -> None:
    parent = page.index("{ #line_items.price_data .field-name }")
    child = page.index("{ #line_items.price_data.currency .field-name }")
    between = page[parent:child]

    assert '<details class="field-children" markdown>' in between
    assert "#### " in page[parent - 200 : parent]
    assert page[child - 200 : child].count("######") == 0


def test_the_page_says_required_when_for_success_url_and_links_the_guide(page: str) -> None:
    entry = page.split("{ #success_url .field-name }", 1)[1].split("</div>", 1)[0]

    assert "Required when</span> `ui_mode` is `hosted` (the default)" in entry
    assert "Optional" not in entry
    assert "](guide/05_checkout_parameters.ipynb#success_url)" in entry


def test_the_page_has_the_code_panel_and_the_error_table(page: str) -> None:
    assert '=== "Python"' in page
    assert '=== "curl"' in page
    assert '=== "JavaScript"' in page
    assert "```json" in page
    assert page.count('<td data-label="Status">') == len(examples.ERROR_CASES)


def test_the_page_has_a_response_tab_per_status_the_sandbox_gave(page: str) -> None:
    statuses = sorted({e.status for e in examples.error_examples()})
    tabs = re.findall(r'^=== "(\d{3})"$', page, re.MULTILINE)
    panel = page.split('<p class="endpoint-code-title">Responses</p>', 1)[1]

    assert tabs == ["200", *map(str, statuses)]
    assert {400, 401, 409, 415, 429, 503} <= set(statuses)
    assert panel.count('<details class="field-children response-schema">') == len(tabs)
    assert panel.count("```json") == len(tabs)
    assert '"param": "line_items[0].quantity"' in panel


# ============================================================================ notebook pages


def _fixed(page: str) -> str:
    """``page`` as the site's hook leaves a notebook page (``fix_html`` on its parse)."""
    return str(notebook_pages.fix_html(BeautifulSoup(page, "html.parser")))


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        pytest.param("Kit convention:", "kit-convention", id="kit-convention"),
        pytest.param("Note.", "note", id="note-period"),
        pytest.param("Warning:", "warning", id="warning"),
        pytest.param("Something else:", "note", id="unknown"),
    ],
)
def test_a_blockquote_with_a_bold_label_becomes_an_admonition(label: str, kind: str) -> None:
    page = f"<blockquote>\n<p><strong>{label}</strong> The text.</p>\n<p>More.</p>\n</blockquote>"

    html = _fixed(page)

    title = label.rstrip(":.")
    assert f'<div class="admonition {kind}"><p class="admonition-title">{title}</p>' in html
    assert "<p>The text.</p>" in html
    assert "<blockquote>" not in html


def test_a_plain_blockquote_stays_a_quote() -> None:
    page = "<blockquote><p>The reference says <strong>this</strong>.</p></blockquote>"

    assert _fixed(page) == page


def test_notebook_code_gets_a_code_element_and_loses_tags_and_its_own_copy_button() -> None:
    page = (
        '<div class="jp-Cell jp-CodeCell celltag_raises-exception">'
        '<div class="celltoolbar"><span class="cell-tag">raises-exception</span></div>'
        '<div class="zeroclipboard-container"><span class="notice">Copied!</span></div>'
        '<div class="highlight-ipynb"><pre><span>x</span> = 1</pre></div>'
        '<div class="jp-RenderedText"><pre>1</pre></div></div>'
    )

    html = _fixed(page)

    assert "raises-exception</span>" not in html
    assert "Copied!" not in html
    assert '<pre id="nb-0"><code><span>x</span> = 1</code></pre>' in html
    assert '<pre id="nb-1"><code>1</code></pre>' in html


def test_a_setup_cell_collapses() -> None:
    page = '<div class="jp-Cell jp-CodeCell celltag_setup"><div class="jp-InputArea">x</div></div>'

    html = _fixed(page)

    assert '<details class="setup-cell"><summary>Setup code</summary>' in html


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        pytest.param("[s](../docs/sandbox.md#a)", "[s](../sandbox.md#a)", id="markdown-link"),
        pytest.param('<a href="../docs/api.md">', '<a href="../api.md">', id="html-link"),
        pytest.param("[n](03_line_items.ipynb#x)", "[n](03_line_items.ipynb#x)", id="notebook"),
        pytest.param("&gt; **Note:** q", "> **Note:** q", id="blockquote"),
    ],
)
def test_notebook_markdown_links_written_for_jupyterlab_point_at_the_site(
    markdown: str, expected: str
) -> None:
    assert notebook_pages.fix_markdown(markdown) == expected


def test_the_mathjax_loader_is_dropped() -> None:
    page = '<p>x</p><script data-mkdocs-jupyter-mathjax="{}">\nload()\n</script>\n</body>'

    assert notebook_pages.drop_mathjax(page) == "<p>x</p></body>"


def test_search_boosts_rank_the_field_named_exactly_above_longer_paths() -> None:
    fields = _fields()
    boost = {key: reference.search_boost(item) for key, item in fields.items()}

    assert boost[("request", "customer")] > boost[("request", "customer_creation")]
    assert boost[("request", "line_items")] > boost[("request", "line_items[].quantity")]
    assert boost[("response", "customer")] > boost[("response", "customer_details")]
    assert min(boost.values()) == reference.SEARCH_BOOST == boost[("header", "Request-Id")]


def test_boost_fields_touches_only_the_reference_pages_field_entries() -> None:
    index = {
        "docs": [
            {"location": "field-reference/#customer"},
            {"location": "field-reference/#errors"},
            {"location": "guide/04_request_parameters/#customer"},
        ]
    }

    boosted = reference.boost_fields(index, contract_fields())

    assert [doc.get("boost") for doc in boosted["docs"]] == [15.0, None, None]


def test_body_parameters_list_every_request_field_nested_and_linked() -> None:
    listing = reference.body_parameters(contract_fields()).splitlines()

    requests = [f for f in contract_fields() if f.kind == "request"]
    assert len(listing) == len(requests)
    assert "    - [`currency`](field-reference.md#line_items.price_data.currency) (string, " in (
        "\n".join(listing)
    )
    success = next(line for line in listing if "#success_url)" in line)
    assert "required when `ui_mode` is `hosted` (the default)" in success


def _outputs(*children: str) -> str:
    inner = "".join(f'<div class="jp-OutputArea-child">{child}</div>' for child in children)
    return f'<div class="jp-OutputArea">{inner}</div>'


ERROR_LINE = (
    '<div class="jp-RenderedText jp-OutputArea-output" '
    'data-mime-type="application/vnd.jupyter.stderr"><pre>InvalidRequestError: 400</pre></div>'
)


def test_an_uncaught_kit_error_shows_once_its_table_without_the_closing_error_line() -> None:
    table = '<div class="leanrails-uncaught"><table></table><details>Traceback</details></div>'

    html = _fixed(_outputs(table, ERROR_LINE))

    assert "leanrails-uncaught" in html
    assert "InvalidRequestError: 400" not in html


def test_an_error_that_is_not_the_kits_keeps_its_traceback() -> None:
    html = _fixed(_outputs("<pre>some print</pre>", ERROR_LINE))

    assert "InvalidRequestError: 400" in html


def test_the_python_sample_fits_the_code_panel_without_wrapping() -> None:
    sample = examples.python_sample(examples.REQUEST)

    assert max(len(line) for line in sample.splitlines()) <= examples.PYTHON_WIDTH
    compile(sample, "create-session.py", "exec")
