"""The contract, read from ``openapi.yaml``: its entries, its schemas, and the requests that
test it.

Every request the contract part sends is a :class:`Case`: a body, what the contract says
must happen to it (accepted, or refused with ``invalid_request_error`` at a ``param``), and
the contract entry it tests, named as the field reference and the guide's headings name it
(``line_items[].price_data.currency``, ``response.amount_total``, ``error.code``).

The cases come from three places:

- the reference's example request, filled in, and a few requests that make the sandbox
  compute something (several line items, a zero amount, a currency override);
- the schema, walked keyword by keyword: for each rule one request just inside it (which
  must be accepted) and one just outside (which must be refused, naming the field);
- ``x-leanrails-rules`` (the cross-field rules), one refused request each;
- a hypothesis sample of valid requests drawn from the request schema, keyword by keyword.

This module reads the contract and defines :class:`Case`; the cases themselves are made in
:mod:`._schema_cases`, :mod:`._rule_cases` and :mod:`._generated_cases`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .._contract import component

Expect = Literal["accept", "refuse"]

UNKNOWN = "x_conformance_unknown"
SUCCESS_URL = "https://example.com/conformance/success"
BASE: dict[str, Any] = {
    "mode": "payment",
    "line_items": [
        {
            "quantity": 2,
            "price_data": {"currency": "usd", "product": "conformance", "unit_amount": 1500},
        }
    ],
    "success_url": SUCCESS_URL,
}
"""The smallest valid request; every schema case changes one thing in it."""


@dataclass(frozen=True)
class Case:
    """One request of the contract part, and what the contract says of it.

    ``expect`` None: the contract is silent (a kit convention of the sandbox); only the
    differential part judges the answer. ``expires_in`` sets ``expires_at`` that many
    seconds after the moment the request is sent.
    """

    name: str
    body: Mapping[str, Any]
    expect: Expect | None
    entry: str
    param: str | None = None
    param_prefix: bool = False
    convention: bool = False
    expires_in: int | None = None
    authenticate: bool = True
    status: int = 400
    error_type: str = "invalid_request_error"

    def wire(self, now: int) -> bytes:
        body = dict(self.body)
        if self.expires_in is not None:
            body["expires_at"] = now + self.expires_in
        return json.dumps(body).encode()


def entry_of(param: str | None) -> str:
    """The contract entry of a ``param``: ``line_items[1].price`` -> ``line_items[].price``."""
    if not param:
        return "request"
    return re.sub(r"\[\d+\]", "[]", param)


def is_convention(entry: str) -> bool:
    """Whether the contract marks this entry (or what it belongs to) as a kit convention."""
    node: Any = component("CheckoutSessionCreateParams")
    if node.get("x-leanrails-convention"):
        return True
    for part in entry.replace("[]", "").split("."):
        props = node.get("properties", {})
        if part not in props:
            return False
        node = props[part]
        if node.get("x-leanrails-convention") or node.get("x-leanrails-inferred"):
            return True
        if "items" in node:
            node = node["items"]
    return False


def valid_string(schema: Mapping[str, Any]) -> str:
    """A string that every rule of the string schema ``schema`` accepts."""
    if schema.get("format") == "uri":
        return "https://example.com/conformance"
    if schema.get("format") == "email":
        return "conformance@example.com"
    pattern = schema.get("pattern")
    if pattern == "^cus_":
        return "cus_conformance"
    if pattern == "^[A-Za-z]{3}$":
        return "usd"
    return "conformance"[: int(schema.get("maxLength", 11))]


def json_type(schema: Mapping[str, Any]) -> str:
    """The JSON type of a schema node (the non-null one of a nullable type)."""
    declared = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(declared, list):
        return str(next(t for t in declared if t != "null"))
    return str(declared)
