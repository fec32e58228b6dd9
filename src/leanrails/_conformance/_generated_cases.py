"""A hypothesis sample of valid requests, drawn from the request schema keyword by keyword."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .._contract import component
from ._contract import SUCCESS_URL, Case, json_type


def _generation_schema() -> dict[str, Any]:
    """The request schema, narrowed to requests that every rule accepts on any server.

    Line items use ``price_data`` (a price id exists only in one account's catalogue), and
    no ``recurring`` (payment mode refuses it); ``expires_at`` is left to the rule cases
    (it is relative to the server's clock); numbers and maps are kept small; URLs and
    email addresses are simple ones.
    """
    root = copy.deepcopy(component("CheckoutSessionCreateParams"))
    props = root["properties"]
    del props["expires_at"]
    props["line_items"]["maxItems"] = 3
    item = props["line_items"]["items"]
    del item["properties"]["price"]
    item["required"] = ["quantity", "price_data"]
    item["properties"]["quantity"]["maximum"] = 100
    price_data = item["properties"]["price_data"]
    del price_data["properties"]["recurring"]
    price_data["properties"]["unit_amount"]["maximum"] = 100_000
    intent = props["payment_intent_data"]["properties"]
    intent["application_fee_amount"]["maximum"] = 10_000
    for holder in (props, intent):
        holder["metadata"]["maxProperties"] = 3
    return root


def _strategy(schema: Mapping[str, Any]) -> Any:
    """A hypothesis strategy for the values ``schema`` allows (the keywords it uses)."""
    from hypothesis import strategies as st

    words = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = json_type(schema)
    if kind == "object" and "properties" in schema:
        required = set(schema.get("required", []))
        props = {name: _strategy(sub) for name, sub in schema["properties"].items()}
        return st.fixed_dictionaries(
            {k: v for k, v in props.items() if k in required},
            optional={k: v for k, v in props.items() if k not in required},
        )
    if kind == "object":
        names = schema.get("propertyNames", {})
        return st.dictionaries(
            st.text(min_size=names.get("minLength", 0), max_size=names.get("maxLength")),
            _strategy(schema.get("additionalProperties", {"type": "string"})),
            max_size=schema.get("maxProperties"),
        )
    if kind == "array":
        return st.lists(
            _strategy(schema["items"]),
            min_size=schema.get("minItems", 0),
            max_size=schema.get("maxItems"),
        )
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if schema.get("format") == "uri":
        return st.builds("https://example.com/{}".format, words)
    if schema.get("format") == "email":
        return st.builds("{}@example.com".format, words)
    if "pattern" in schema:
        low, high = schema.get("minLength", 0), schema.get("maxLength", 30)
        return st.from_regex(schema["pattern"]).filter(lambda s: low <= len(s) <= high)
    return st.text(
        st.characters(exclude_categories=("Cs", "Cc")),
        min_size=schema.get("minLength", 0),
        max_size=schema.get("maxLength"),
    )


def _fit_rules(body: dict[str, Any]) -> dict[str, Any]:
    """Make a schema-valid body keep the cross-field rules too."""
    if body.get("ui_mode", "hosted") == "hosted" and "success_url" not in body:
        body["success_url"] = SUCCESS_URL
    currency = body.get("currency", body["line_items"][0]["price_data"]["currency"])
    for item in body["line_items"]:
        item["price_data"]["currency"] = currency
    return body


def generated_cases(count: int, seed: int) -> list[Case]:
    """``count`` valid requests drawn by hypothesis from the request schema (seeded)."""
    if count <= 0:
        return []
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as seeded

    bodies = _strategy(_generation_schema())
    drawn: list[dict[str, Any]] = []

    @seeded(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(bodies)
    def collect(body: dict[str, Any]) -> None:
        drawn.append(body)

    collect()
    return [
        Case(f"generated request {n} (seed {seed})", _fit_rules(body), "accept", "request")
        for n, body in enumerate(drawn[:count], 1)
    ]
