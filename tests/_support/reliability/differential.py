"""The pydantic models against ``openapi.yaml``: do they accept exactly what the contract does?

Requests are generated from the contract's CheckoutSessionCreateParams (hypothesis-jsonschema,
``$ref``s resolved) and mutated. The models (Python and JSON validation) must accept exactly
what the contract's reference and inferred rules do: the keywords it marks ``convention``
(``x-leanrails-source``) are ``_conventions.py``'s, not the models', and are left out here.
It is read as the kit declares (``KIT_READING``), and minus the ``x-leanrails-rules`` JSON
Schema cannot express, each of which is checked here by its own predicate (``broken_rules``).
"""

from __future__ import annotations

import copy
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from pydantic import TypeAdapter, ValidationError
from rfc3986_validator import validate_rfc3986  # type: ignore[import-untyped]

from leanrails import CheckoutSessionCreateParams
from leanrails._contract import load_contract, source_of
from leanrails._contract import resolve as resolve_ref
from leanrails._types import Email

from _support.reliability.fuzzing import FUZZ_JSON, NOW

CONTRACT: dict[str, Any] = load_contract()
SCHEMAS: dict[str, Any] = CONTRACT["components"]["schemas"]
_ANNOTATIONS = frozenset({"description", "examples", "title"})


def resolve(node: Any) -> Any:
    """``node`` with every ``$ref`` inlined and annotations dropped, as plain JSON Schema.

    ``x-leanrails-*`` keys go too (they are checked by ``broken_rules``), and so do the
    keywords marked ``convention`` (but ``additionalProperties``: the models refuse an
    unknown parameter whatever the mode; send one with ``extra_body``). A pattern's final
    ``$`` becomes ``\\Z``: JSON Schema patterns are ECMA-262, where ``$`` matches only at the
    very end, while Python's ``$`` (used by jsonschema and hypothesis) also matches before a
    final newline.
    """
    if isinstance(node, list):
        return [resolve(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = resolve_ref(CONTRACT, node)
    out = {
        key: resolve(value)
        for key, value in node.items()
        if not key.startswith("x-")
        and key not in _ANNOTATIONS
        and (key == "additionalProperties" or source_of(node, key) != "convention")
    }
    pattern = out.get("pattern")
    if isinstance(pattern, str) and pattern.endswith("$") and not pattern.endswith("\\$"):
        out["pattern"] = pattern[:-1] + "\\Z"
    return out


CREATE_SCHEMA: dict[str, Any] = resolve(SCHEMAS["CheckoutSessionCreateParams"])
EXPIRES_AT_WINDOW = (NOW + 30 * 60, NOW + 24 * 60 * 60)


def broken_rules(body: dict[str, Any]) -> set[str]:
    """The reference's ``x-leanrails-rules`` that ``body`` breaks, read from the rules' text
    (the conventions' are ``_conventions.py``'s, checked by the parity differential).

    Judged only for bodies that satisfy the schema, so the types are known.
    """
    broken = set()
    for item in body["line_items"]:
        if "price" not in item and "price_data" not in item:
            broken.add("line_item_price_or_price_data")
    if body.get("ui_mode", "hosted") == "hosted" and "success_url" not in body:
        broken.add("success_url_required_for_hosted")
    low, high = EXPIRES_AT_WINDOW
    if "expires_at" in body and not low <= body["expires_at"] <= high:
        broken.add("expires_at_window")
    return broken


REFERENCE_RULES = frozenset(
    {"line_item_price_or_price_data", "success_url_required_for_hosted", "expires_at_window"}
)


def _rule_respecting(schema: dict[str, Any]) -> dict[str, Any]:
    """The create schema with the rules written in (for generating accepted bodies)."""
    respecting = copy.deepcopy(schema)
    item = respecting["properties"]["line_items"]["items"]
    item["oneOf"] = [
        {"required": ["price"], "not": {"required": ["price_data"]}},
        {"required": ["price_data"], "not": {"required": ["price"]}},
    ]
    del item["properties"]["price_data"]["properties"]["recurring"]
    respecting["required"] = [*respecting["required"], "success_url"]
    low, high = EXPIRES_AT_WINDOW
    respecting["properties"]["expires_at"].update(minimum=low, maximum=high)
    return respecting


_Draft = jsonschema.Draft202012Validator
CONTRACT_VALIDATOR = _Draft(CREATE_SCHEMA, format_checker=_Draft.FORMAT_CHECKER)
"""The contract as JSON Schema says it, formats asserted."""


def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    value = value.replace("{CHECKOUT_SESSION_ID}", "CHECKOUT_SESSION_ID")
    match = validate_rfc3986(value, rule="URI")
    return match is not None and match.end() == len(value)


_EMAIL = TypeAdapter(Email)


def _email_address(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        _EMAIL.validate_python(value)
    except ValidationError:
        return False
    return True


_KIT_FORMATS = jsonschema.FormatChecker([])
_KIT_FORMATS.checks("uri")(_uri)
_KIT_FORMATS.checks("email")(_email_address)
_KitDraft = jsonschema.validators.extend(
    _Draft,
    type_checker=_Draft.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)
    ),
)
KIT_READING = _KitDraft(CREATE_SCHEMA, format_checker=_KIT_FORMATS)
"""The contract as the kit reads it; it differs in three places, each pinned below:

- ``integer`` is a JSON integer: ``2.0`` is not a quantity (the models are strict);
- ``format: uri`` is an RFC 3986 URI (``rfc3986-validator``, matched to the very end: a
  final newline is not part of a URI), with Stripe's ``{CHECKOUT_SESSION_ID}`` template
  allowed where a URL may carry it, which RFC 3986 alone does not;
- ``format: email`` is RFC 5321's Mailbox, as JSON Schema defines it (its own check is just
  "contains an @"), read with the kit's own pattern, whose cases ``tests/test_types.py``
  pins (``"john doe"@example.com`` and ``a@[192.168.0.1]`` in, ``a b@example.com`` out).
"""


def without_nulls(body: Any, schema: dict[str, Any] = CREATE_SCHEMA) -> Any:
    """``body`` without the null members of the properties the contract names.

    A null means "not sent", in JSON as in Python (kit convention, stated in the contract):
    an optional parameter left out, a required one missing. Nulls anywhere else (unknown
    keys, metadata values) are kept, and judged.
    """
    if isinstance(body, list) and isinstance(schema.get("items"), dict):
        return [without_nulls(item, schema["items"]) for item in body]
    if not isinstance(body, dict) or "properties" not in schema:
        return body
    properties = schema["properties"]
    return {
        key: without_nulls(value, properties[key]) if key in properties else value
        for key, value in body.items()
        if not (value is None and key in properties)
    }


def _accepts(validate: Callable[[], object]) -> bool:
    try:
        validate()
    except ValidationError:
        return False
    return True


def model_accepts(body: Any) -> tuple[bool, bool]:
    """(Python validation, JSON validation) of ``body`` by CheckoutSessionCreateParams."""
    context = {"now": NOW}
    model = CheckoutSessionCreateParams
    python_ok = _accepts(lambda: model.model_validate(body, context=context))
    json_ok = _accepts(lambda: model.model_validate_json(json.dumps(body), context=context))
    return python_ok, json_ok


def judge(body: Any, counts: Counter[str]) -> None:
    """Assert the models and the contract agree on ``body``; count how it was decided.

    JSON validation (what the sandbox runs on the wire) and Python validation must both
    match the contract, as the kit reads it: with a null read as "not sent".
    """
    python_ok, json_ok = model_accepts(body)
    view = without_nulls(body)
    for name, verdict in (("JSON", json_ok), ("Python", python_ok)):
        contract_ok = CONTRACT_VALIDATOR.is_valid(view)
        kit_ok = KIT_READING.is_valid(view)
        rules = broken_rules(view) if kit_ok else set()
        expected = kit_ok and not rules
        assert verdict == expected, (
            f"{name} validation {'accepts' if verdict else 'rejects'} what the contract "
            f"{'accepts' if expected else 'rejects'} (contract as JSON Schema: {contract_ok}, "
            f"broken rules: {sorted(rules)}): {body!r}"
        )
        if kit_ok and not contract_ok:
            # The kit's reading only narrows the contract, but for the {CHECKOUT_SESSION_ID}
            # template (test_urls_are_rfc_3986_uris_that_may_carry_the_session_id_template).
            reasons = {
                (e.validator, e.validator_value) for e in CONTRACT_VALIDATOR.iter_errors(view)
            }
            assert reasons == {("format", "uri")}, f"{reasons}: {body!r}"
            counts[f"{name.lower()}_url_that_is_not_a_uri_accepted"] += 1
    counts["inputs_tried"] += 1
    if view != body:
        counts["null_read_as_not_sent"] += 1
    if json_ok:
        counts["accepted"] += 1
    elif not CONTRACT_VALIDATOR.is_valid(view):
        counts["rejected_by_schema"] += 1
    elif not KIT_READING.is_valid(view):
        counts["rejected_by_kit_reading_only"] += 1
    else:
        counts["rejected_by_x_leanrails_rules_only"] += 1
        for rule in broken_rules(view):
            counts[f"rule_{rule}"] += 1


EDGE_VALUES: st.SearchStrategy[Any] = st.sampled_from(
    [
        None,
        "",
        " ",
        "x" * 41,
        "x" * 201,
        "x" * 501,
        "usd\n",
        "US",
        "USDD",
        "u$d",
        "cus_",
        "cus",
        "ftp://example.com/x",
        "https://",
        "example.com/x",
        "a@b",
        "not-an-email",
        "jsmith@example.com",
        "https://example.com/ok",
        -1,
        0,
        1,
        2.0,
        1.5,
        True,
        2**63,
        [],
        {},
        "payment",
        "subscription",
        "hosted",
        "always",
        NOW + 3600,
        NOW + 10,
    ]
)
"""Values at the edges of the contract's constraints, and a few good ones."""


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


@st.composite
def mutations_of(draw: st.DrawFn, body: dict[str, Any]) -> Any:
    """``body`` with one to three edits: a value deleted, replaced or added, at any depth."""
    mutated: Any = copy.deepcopy(body)
    for _ in range(draw(st.integers(1, 3))):
        spots = list(_paths(mutated))
        if not spots:
            break
        spot = draw(st.sampled_from(spots))
        parent = mutated
        for part in spot[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["delete", "replace", "edge", "edge", "add"]))
        if action == "delete":
            del parent[spot[-1]]
        elif action == "replace":
            parent[spot[-1]] = draw(FUZZ_JSON)
        elif action == "edge":
            parent[spot[-1]] = draw(EDGE_VALUES)
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(EDGE_VALUES | FUZZ_JSON)
        else:
            parent.append(draw(EDGE_VALUES | FUZZ_JSON))
    return mutated


def _without_cross_field_rules(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema less its cross-field keywords (``if``/``then``, ``allOf``, ``oneOf``).

    Only for generating: hypothesis-jsonschema canonicalises them again on every draw, which
    cost about 5 s of CPU a body. The bodies are still judged against the whole contract,
    and ``broken_rules`` reads the same rules from their words.
    """
    plain = {k: v for k, v in copy.deepcopy(schema).items() if k not in ("if", "then", "allOf")}
    plain["properties"]["line_items"]["items"].pop("anyOf", None)
    return plain


GENERATION_SCHEMA = _without_cross_field_rules(CREATE_SCHEMA)


def _one_currency(body: Any) -> Any:
    """``body`` with every inline price in its session's currency (the one_currency rule,
    which JSON Schema cannot express)."""
    inline = [item["price_data"] for item in body["line_items"] if "price_data" in item]
    if not inline:
        return body
    currency = body.get("currency", inline[0]["currency"])
    items = [
        {**item, "price_data": {**item["price_data"], "currency": currency}}
        if "price_data" in item
        else item
        for item in body["line_items"]
    ]
    return {**body, "line_items": items}


VALID_BODIES = from_schema(_rule_respecting(GENERATION_SCHEMA)).map(_one_currency)
"""Bodies the contract accepts with the rules written in: the models must accept each."""
SCHEMA_BODIES = from_schema(GENERATION_SCHEMA)
"""Bodies from the contract's JSON Schema alone: most break an x-leanrails rule."""


def _expiring_now(body: Any) -> dict[str, Any]:
    return {**body, "expires_at": NOW}


OUT_OF_WINDOW_BODIES = VALID_BODIES.map(_expiring_now)
"""Valid bodies but for the one rule JSON Schema cannot express: the expires_at window."""

BODIES = st.one_of(VALID_BODIES, VALID_BODIES, SCHEMA_BODIES, OUT_OF_WINDOW_BODIES)
"""What both differentials draw: valid bodies twice as often as each other kind."""

SHORT_RUN = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    # No shrinking: every step would regenerate through hypothesis-jsonschema, which is
    # slow; the failure message carries the whole body instead.
    phases=[Phase.explicit, Phase.generate],
)
"""One short, reproducible hypothesis run (seeded by the caller)."""


def differential(examples: int, mutations: int, budget: float | None = None) -> Counter[str]:
    """``examples`` generated bodies, each judged with ``mutations`` mutations of it.

    Run as short hypothesis runs of 10 examples (``examples`` is rounded up to a multiple),
    so a ``budget`` (seconds) can end it between runs without making hypothesis's data
    generation depend on the clock. Run ``n`` is seeded with ``n``: the same bodies every
    time, each run different from the others.
    """
    counts: Counter[str] = Counter()
    deadline = None if budget is None else time.monotonic() + budget

    @SHORT_RUN
    @given(data=st.data())
    def one_body(data: st.DataObject) -> None:
        body = data.draw(BODIES, label="body")
        counts["bodies"] += 1
        judge(body, counts)
        for index in range(mutations):
            judge(data.draw(mutations_of(body), label=f"mutation {index}"), counts)

    run = 0
    while counts["bodies"] < examples and (deadline is None or time.monotonic() < deadline):
        seed(run)(one_body)()
        run += 1
    return counts
