"""The contract (openapi.yaml) is valid, and it and the pydantic models agree field by field."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

import leanrails
from leanrails._contract import load_contract, resolve, source_of

KEYWORDS = (
    "enum",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "maxProperties",
)

MODELS: list[type[BaseModel]] = [
    leanrails.CheckoutSessionCreateParams,
    leanrails.LineItem,
    leanrails.PriceData,
    leanrails.Recurring,
    leanrails.PaymentIntentData,
    leanrails.CheckoutSession,
    leanrails.CustomerDetails,
    leanrails.Address,
    leanrails.TotalDetails,
]


def canonical(node: Mapping[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Reduce a JSON Schema node to what both sides must agree on, refs resolved.

    A keyword the contract marks ``convention`` is no rule of the models (``_conventions.py``
    holds it), so it is left out; the models carry none of them.
    """
    node = resolve({"components": {"schemas": defs}}, node)
    types: set[str] = set()
    out: dict[str, Any] = {}
    for option in node.get("anyOf", []):
        sub = canonical(option, defs)
        types |= set(sub.pop("types"))
        out.update(sub)
    declared = node.get("type", [])
    types |= {declared} if isinstance(declared, str) else set(declared)
    if "const" in node:
        out["enum"] = [node["const"]]
    for keyword in KEYWORDS:
        if keyword in node and source_of(node, keyword) != "convention":
            out[keyword] = sorted(node[keyword]) if keyword == "enum" else node[keyword]
    if node.get("default") is not None:
        out["default"] = node["default"]
    if "properties" in node:
        out["properties"] = {k: canonical(v, defs) for k, v in node["properties"].items()}
        out["required"] = sorted(node.get("required", []))
    if "items" in node:
        out["items"] = canonical(node["items"], defs)
    if "propertyNames" in node and source_of(node, "propertyNames") != "convention":
        out["propertyNames"] = canonical(node["propertyNames"], defs)
    extra = node.get("additionalProperties", True)
    if "object" in types:
        out["additionalProperties"] = (
            canonical(extra, defs) if isinstance(extra, dict) else bool(extra)
        )
    out["types"] = sorted(types)
    return out


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    return canonical(schema, schema.get("$defs", {}))


def contract_schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    defs = document["components"]["schemas"]
    return canonical(defs[name], defs)


def differences(left: Any, right: Any, path: str = "") -> list[str]:
    if isinstance(left, dict) and isinstance(right, dict):
        found = []
        for key in sorted(set(left) | set(right)):
            where = f"{path}.{key}" if path else key
            if key not in left:
                found.append(f"{where}: only in the models ({right[key]!r})")
            elif key not in right:
                found.append(f"{where}: only in openapi.yaml ({left[key]!r})")
            else:
                found += differences(left[key], right[key], where)
        return found
    return [] if left == right else [f"{path}: openapi.yaml {left!r} != models {right!r}"]


def test_contract_is_a_valid_openapi_3_1_document() -> None:
    validate(load_contract())


@pytest.mark.parametrize("model", [pytest.param(m, id=m.__name__) for m in MODELS])
def test_model_and_contract_agree_on_every_property_and_constraint(
    model: type[BaseModel],
) -> None:
    document = load_contract()
    assert differences(contract_schema(document, model.__name__), model_schema(model)) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(
            lambda s: s["CheckoutSessionCreateParams"]["properties"].pop("client_reference_id"),
            "client_reference_id: only in the models",
            id="field-removed-from-contract",
        ),
        pytest.param(
            lambda s: s["PriceData"]["properties"]["tax_behavior"]["enum"].remove("unspecified"),
            "tax_behavior.enum",
            id="enum-value-dropped",
        ),
        pytest.param(
            lambda s: s["CheckoutSessionCreateParams"]["properties"]["currency"].update(
                maxLength=4
            ),
            "currency.maxLength",
            id="constraint-changed",
        ),
        pytest.param(
            lambda s: s["CheckoutSession"]["required"].remove("livemode"),
            "required",
            id="required-list-changed",
        ),
        pytest.param(
            lambda s: s["CheckoutSession"]["properties"]["url"].update(type="string"),
            "url.types",
            id="nullability-changed",
        ),
    ],
)
def test_conformance_check_catches_a_drifted_contract(mutate: Any, expected: str) -> None:
    document = copy.deepcopy(load_contract())
    mutate(document["components"]["schemas"])
    found = "\n".join(
        line
        for m in MODELS
        for line in differences(contract_schema(document, m.__name__), model_schema(m))
    )
    assert expected in found


def test_conformance_check_catches_a_field_missing_from_the_models() -> None:
    class Drifted(leanrails.TotalDetails):
        pass

    schema = model_schema(Drifted)
    del schema["properties"]["amount_tax"]
    found = differences(contract_schema(load_contract(), "TotalDetails"), schema)
    assert found == ["properties.amount_tax: only in openapi.yaml ({'types': ['integer']})"]


def test_header_parameters_match_the_reference() -> None:
    parameters = load_contract()["components"]["parameters"]
    key = parameters["IdempotencyKey"]
    assert (key["name"], key["in"], key["required"]) == ("Idempotency-Key", "header", True)
    assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 255)
    version = parameters["ApiVersion"]
    assert (version["name"], version["required"]) == ("X-API-Version", False)


def test_security_is_http_basic() -> None:
    document = load_contract()
    assert document["security"] == [{"basicAuth": []}]
    assert document["components"]["securitySchemes"]["basicAuth"] == {
        "type": "http",
        "scheme": "basic",
        "description": "Use your secret API key as the username with an empty password.",
    }


def test_every_error_status_has_the_error_body() -> None:
    responses = load_contract()["paths"]["/v1/checkout_sessions"]["post"]["responses"]
    for status in ("400", "401", "404", "409", "429", "5XX"):
        assert responses[status] == {"$ref": "#/components/responses/Error"}
    error = load_contract()["components"]["schemas"]["ErrorObject"]
    assert set(error["properties"]) == {"type", "code", "message", "param"}


def test_cross_field_rules_are_stated_in_the_contract() -> None:
    schema = load_contract()["components"]["schemas"]["CheckoutSessionCreateParams"]
    rules = {rule["id"]: rule["source"] for rule in schema["x-leanrails-rules"]}
    assert rules == {
        "line_item_price_or_price_data": "reference",
        "line_item_not_both_price_and_price_data": "convention",
        "success_url_required_for_hosted": "reference",
        "expires_at_window": "reference",
        "no_recurring_in_payment_mode": "convention",
        "one_currency": "convention",
        "no_script_success_url": "convention",
        "no_script_cancel_url": "convention",
        "deliverable_customer_email": "convention",
    }


def test_inferred_enumerations_are_marked_as_inferred() -> None:
    schemas = load_contract()["components"]["schemas"]
    inferred = {
        "tax_behavior": schemas["PriceData"]["properties"]["tax_behavior"],
        "interval": schemas["Recurring"]["properties"]["interval"],
        "capture_method": schemas["PaymentIntentData"]["properties"]["capture_method"],
    }
    assert {name: s["enum"] for name, s in inferred.items()} == {
        "tax_behavior": ["inclusive", "exclusive", "unspecified"],
        "interval": ["day", "week", "month", "year"],
        "capture_method": ["automatic", "automatic_async", "manual"],
    }
    assert {source_of(s) for s in inferred.values()} == {"inferred"}
    assert {source_of(s, "enum") for s in inferred.values()} == {"inferred"}
