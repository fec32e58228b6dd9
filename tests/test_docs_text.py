"""The built site's text is written for a reader: what each entry of the API reference says
(each constraint once, each source note as the contract marks it, Nullable apart from
Optional) and what the Python API page shows (public names only).

The site is the one ``mkdocs build --strict`` builds for the docs tests (one build a run).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import leanrails_docs.guide as fr
import pytest
from bs4 import BeautifulSoup, Tag
from leanrails_docs.public_names import private_names

from leanrails._contract import load_contract, resolve, source_of

from _support.site import BUILD_TIMEOUT

pytestmark = [pytest.mark.docs, pytest.mark.xdist_group("docs"), pytest.mark.timeout(BUILD_TIMEOUT)]

_LABELS = {"reference": "reference", "inferred": "inferred", "convention": "kit convention"}
_ROOTS = {
    "request": "CheckoutSessionCreateParams",
    "response": "CheckoutSession",
    "error": "ErrorObject",
}
_NOTES = {"reference": "", "inferred": " (inferred)", "convention": " (kit convention)"}


@pytest.fixture(scope="module")
def reference(built_site: Path) -> BeautifulSoup:
    html = (built_site / "field-reference" / "index.html").read_text(encoding="utf-8")
    return BeautifulSoup(html, "html.parser")


_IDS: dict[int, tuple[BeautifulSoup, dict[str, Tag]]] = {}
"""Each page's elements by id, found once (a ``find(id=...)`` walks the whole page)."""


def _entry(page: BeautifulSoup, item: fr.Field) -> Tag:
    if id(page) not in _IDS:
        _IDS[id(page)] = (page, {str(tag["id"]): tag for tag in page.find_all(id=True)})
    heading = _IDS[id(page)][1].get(item.ref_id)
    assert isinstance(heading, Tag), item.ref_id
    entry = heading.find_parent("div", class_="field")
    assert isinstance(entry, Tag), item.ref_id
    return entry


def _shown(entry: Tag, css: str) -> str:
    found = entry.select_one(css)
    return "" if found is None else " ".join(found.get_text("").split())


def _contract_node(spec: dict[str, Any], item: fr.Field) -> tuple[dict[str, Any], str]:
    """The schema ``item`` is read from in openapi.yaml, walked here directly, and the label
    of its marker: its own ``x-leanrails-source`` ``field`` (``source_of``), else its parent's."""
    if item.kind == "header":
        components = spec["components"]
        by_name = {str(p["name"]): p for p in components["parameters"].values()}
        by_name |= {name.replace("-", ""): h for name, h in components["headers"].items()}
        by_name["Authorization"] = components["securitySchemes"]["basicAuth"]
        header = resolve(spec, by_name.get(item.path) or by_name[item.path.replace("-", "")])
        return dict(resolve(spec, header.get("schema", {}))), source_of(header)
    node: Any = spec["components"]["schemas"][_ROOTS[item.kind]]
    label = source_of(node)
    for part in item.path.split("."):
        node = resolve(spec, node)
        if "items" in node:
            node = resolve(spec, node["items"])
        node = resolve(spec, node["properties"][part.removesuffix("[]")])
        branches = [b for b in node.get("anyOf", []) if "$ref" in b]
        if "field" in (node.get("x-leanrails-source") or {}):
            label = source_of(node)
        if branches:
            node = resolve(spec, branches[0])
    return dict(node), label


def test_every_field_on_the_built_reference_shows_the_contracts_source_marker(
    reference: BeautifulSoup,
) -> None:
    spec = load_contract()
    shown: dict[tuple[str, str], str] = {}
    for item in fr.contract_fields():
        source = _shown(_entry(reference, item), ".field-source")
        shown[(item.kind, item.path)] = source.removeprefix("Source: ")
        assert shown[(item.kind, item.path)] == _LABELS[_contract_node(spec, item)[1]], item.path

    # The reference documents these; none is the kit's invention (issue 21).
    documented = [
        ("header", "Idempotency-Key"),
        ("request", "line_items"),
        ("request", "success_url"),
        ("request", "cancel_url"),
        ("request", "currency"),
        ("request", "metadata"),
        ("request", "customer_email"),
        ("response", "customer_details"),
    ]
    assert [shown[key] for key in documented] == ["reference"] * len(documented)
    assert shown[("request", "payment_intent_data.metadata")] == "inferred"
    assert shown[("header", "Original-Request")] == "kit convention"


def _keyword_source(node: dict[str, Any], keyword: str) -> str:
    """``keyword``'s marker in ``node``; ``propertyNames.maxLength`` reads the nested schema's."""
    outer, _, inner = keyword.partition(".")
    assert outer in node, keyword
    return source_of(node[outer], inner) if inner else source_of(node, outer)


def test_every_constraint_shows_the_source_its_keyword_or_rule_is_marked_with(
    reference: BeautifulSoup,
) -> None:
    """Each constraint names the schema keywords (or the rule) it says; its note is the
    contract's marker for them: "(kit convention)" if one is a convention, else "(inferred)"
    if one is inferred, else none (the reference's)."""
    spec = load_contract()
    body = spec["components"]["schemas"]["CheckoutSessionCreateParams"]
    rules = {str(r["id"]): str(r["source"]) for r in body["x-leanrails-rules"]}
    checked = Counter[str]()
    wrong: list[str] = []
    for item in fr.contract_fields():
        node, _ = _contract_node(spec, item)
        for phrase in _entry(reference, item).select(".field-constraint"):
            text = " ".join(phrase.get_text("").split())
            rule = str(phrase.get("data-rule") or "")
            if rule:
                said = {s for s in ("kit convention", "inferred") if s in text}
                expected = {_LABELS[rules[rule]]} - {"reference"}
                checked["rule"] += 1
                if said != expected:
                    wrong.append(f"{item.path}: {text!r} is {rules[rule]}")
                continue
            keywords = str(phrase.get("data-keywords") or "").split()
            sources = {_keyword_source(node, k) for k in keywords}
            source = next((s for s in ("convention", "inferred") if s in sources), "reference")
            bare = text.removesuffix(" (kit convention)").removesuffix(" (inferred)")
            checked[source] += 1
            if text != bare + _NOTES[source]:
                wrong.append(f"{item.path}: {text!r} is {source} ({' '.join(keywords)})")

    assert wrong == []
    assert min(checked[k] for k in ("reference", "inferred", "convention", "rule")) >= 3, checked


def _prose(entry: Tag) -> str:
    """What an entry says in words: its description and constraints, no code, no example."""
    copy = BeautifulSoup(str(entry), "html.parser")
    for code in copy.select("code"):
        code.decompose()
    paragraphs = [
        p.get_text("")
        for p in copy.select("div.field > p:not(.field-guide)")
        if p.select_one(".field-source") is None  # the type, requirement and source line
    ]
    text = " ".join(" ".join(paragraphs).split())
    return text.split(" Example: ")[0]


_NUMBER = re.compile(r"\d(?:[\d,]*\d)?(?:-[a-z]+)?")
_SCHEME = re.compile(r"\b[a-z][a-z-]*:(?=[,\s])")


def test_each_entry_says_each_constraint_once(reference: BeautifulSoup) -> None:
    """No entry states a limit, a URI scheme or a phrase twice (the description restating
    the constraints, issue 24), and the limits read as numbers do (99,999,999)."""
    repeats: dict[str, list[str]] = {}
    for item in fr.contract_fields():
        text = _prose(_entry(reference, item))
        limits = re.sub(r"%[0-9A-F]{2}", "", text)  # not the 7 of %7B
        numbers = [n.replace(",", "") for n in _NUMBER.findall(limits) if "-" not in n]
        schemes = _SCHEME.findall(text)
        phrases = [p.strip().lower() for p in re.split(r"[.;]\s", text) if p.strip()]
        said_twice = [
            x for x, n in Counter([*numbers, *schemes, *phrases]).items() if n > 1 and x != "1"
        ]
        if said_twice:
            repeats[item.ref_id] = said_twice
        assert not re.search(r"(?<!RFC )\b\d{4,}\b", text), (item.ref_id, text)  # 5,000

    assert repeats == {}
    said = {
        f.path: _prose(_entry(reference, f)) for f in fr.contract_fields() if f.kind == "request"
    }
    assert said["line_items[].price_data.unit_amount"].count("99,999,999") == 1
    assert said["success_url"].count("javascript:") == said["cancel_url"].count("javascript:") == 1
    assert "Currently only" not in said["mode"]  # 'payment', which "Always `payment`" says


def _field(kind: str, path: str) -> fr.Field:
    return next(f for f in fr.contract_fields() if (f.kind, f.path) == (kind, path))


def _examples(page: BeautifulSoup) -> dict[str, Any]:
    """Each response tab's example body, by its status."""
    tabs = page.select(".endpoint-code .tabbed-set")[-1]
    labels = [label.get_text(strip=True) for label in tabs.select(".tabbed-labels label")]
    blocks = [block.select("code")[-1].get_text("") for block in tabs.select(".tabbed-block")]
    return {label: json.loads(block) for label, block in zip(labels, blocks, strict=True)}


def _nullable(node: dict[str, Any], raw: dict[str, Any]) -> bool:
    types = node.get("type")
    branches = raw.get("anyOf", [])
    return (isinstance(types, list) and "null" in types) or {"type": "null"} in branches


def test_a_response_field_is_nullable_when_always_sent_maybe_null_optional_only_if_absent(
    reference: BeautifulSoup,
) -> None:
    """Required: never null. Nullable: the contract allows null, and the sandbox's answer on
    the page has the key. Optional: neither required nor nullable. The type says "or null"
    only where the label does not."""
    spec = load_contract()
    examples = _examples(reference)
    errors = [body["error"] for status, body in examples.items() if status != "200"]
    labels: dict[str, str] = {}
    for item in fr.contract_fields():
        if item.kind not in ("response", "error"):
            continue
        entry = _entry(reference, item)
        node, _ = _contract_node(spec, item)
        parent_path = item.path.rpartition(".")[0]
        parent = _contract_node(spec, _field(item.kind, parent_path))[0] if parent_path else None
        root = spec["components"]["schemas"][_ROOTS[item.kind]]
        required = item.leaf in resolve(spec, parent or root).get("required", ())
        raw = resolve(spec, parent or root)["properties"][item.leaf]
        nullable = _nullable(node, raw)
        label = _shown(entry, ".field-required, .field-optional")
        labels[item.ref_id] = label
        assert label == ("Required" if required else "Nullable" if nullable else "Optional"), (
            item.ref_id
        )
        assert _shown(entry, ".field-type").endswith(" or null") == (nullable and required)
        if label == "Nullable" and item.kind == "error":
            assert all(item.leaf in error for error in errors), item.ref_id
        elif label == "Nullable" and not parent_path:
            assert item.leaf in examples["200"], item.ref_id

    assert labels["response.url"] == labels["error.param"] == "Nullable"
    assert labels["response.total_details"] == "Optional"
    assert labels["response.id"] == labels["error.type"] == "Required"


def test_the_python_api_page_shows_public_names_only(built_site: Path) -> None:
    html = (built_site / "api" / "index.html").read_text(encoding="utf-8")
    article = BeautifulSoup(html, "html.parser").select_one("article")
    assert article is not None
    text = " ".join(article.get_text(" ").split())

    assert private_names(text) == []
    signatures = [" ".join(s.get_text("").split()) for s in article.select(".doc-signature")]
    assert any("http_client: httpx2.Client | None" in s for s in signatures)
    assert any("http_client: httpx2.AsyncClient | None" in s for s in signatures)
    assert any(") -> CheckoutSession" in s for s in signatures)
    assert not any("others" in s for s in signatures)
