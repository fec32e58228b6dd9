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
- a hypothesis sample of valid requests drawn from the request schema, keyword by keyword
  (see :func:`generated_cases`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

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


@cache
def contract() -> dict[str, Any]:
    text = resources.files("leanrails").joinpath("openapi.yaml").read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def schemas() -> dict[str, Any]:
    found: dict[str, Any] = contract()["components"]["schemas"]
    return found


@cache
def resolved(name: str) -> dict[str, Any]:
    """A component schema with every ``$ref`` inlined (the contract has no cycles)."""
    inlined: dict[str, Any] = _inline(schemas()[name])
    return inlined


def _inline(node: Any) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target = _inline(schemas()[node["$ref"].rsplit("/", 1)[-1]])
            return {**target, **{k: _inline(v) for k, v in node.items() if k != "$ref"}}
        return {k: _inline(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v) for v in node]
    return node


def entry_of(param: str | None) -> str:
    """The contract entry of a ``param``: ``line_items[1].price`` -> ``line_items[].price``."""
    if not param:
        return "request"
    return re.sub(r"\[\d+\]", "[]", param)


def is_convention(entry: str) -> bool:
    """Whether the contract marks this entry (or what it belongs to) as a kit convention."""
    node: Any = resolved("CheckoutSessionCreateParams")
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


# -- a minimal valid value of any schema node -------------------------------------------


def _minimal(schema: Mapping[str, Any]) -> Any:
    kind = _type(schema)
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        return {name: _minimal(schema["properties"][name]) for name in schema.get("required", [])}
    if kind == "array":
        return [_minimal(schema["items"])]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "boolean":
        return False
    return _valid_string(schema)


def _valid_string(schema: Mapping[str, Any]) -> str:
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


def _type(schema: Mapping[str, Any]) -> str:
    declared = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(declared, list):
        return str(next(t for t in declared if t != "null"))
    return str(declared)


_WRONG_TYPE: dict[str, Any] = {
    "string": 42,
    "integer": "1",
    "object": "conformance",
    "array": "conformance",
    "boolean": "true",
}


# -- placing a value at a location of the base request ----------------------------------

Loc = tuple[str | int, ...]


def _path(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _with(
    loc: Loc, value: Any, *, containers: Mapping[Loc, Any], delete: bool = False
) -> dict[str, Any]:
    """A copy of :data:`BASE` with ``value`` at ``loc`` (or ``loc`` removed)."""
    body: Any = copy.deepcopy(BASE)
    node = body
    for depth, part in enumerate(loc[:-1]):
        here = loc[: depth + 1]
        try:
            node = node[part]
        except (KeyError, IndexError):
            node[part] = copy.deepcopy(containers[here])
            node = node[part]
    if delete:
        node.pop(loc[-1], None)
    else:
        node[loc[-1]] = value
    result: dict[str, Any] = body
    return result


# -- the cases the schema implies ---------------------------------------------------------


def schema_cases() -> list[Case]:
    """For each rule of the request schema: one request just inside it, one just outside."""
    root = resolved("CheckoutSessionCreateParams")
    containers: dict[Loc, Any] = {}
    return list(_walk(root, (), containers, under_recurring=False))


def _walk(
    schema: Mapping[str, Any], loc: Loc, containers: dict[Loc, Any], *, under_recurring: bool
) -> Iterator[Case]:
    path = _path(loc)
    entry = entry_of(path) if loc else "request"
    convention = is_convention(entry) if loc else False
    # Nothing under recurring can be accepted (payment mode refuses it), and a price id is
    # accepted only if the server's catalogue has it.
    accept_ok = not under_recurring and entry != "line_items[].price"

    def case(name: str, value: Any, expect: Expect, *, param: str | None = None, **kw: Any) -> Case:
        return Case(
            name=f"{entry}: {name}",
            body=_with(loc, value, containers=containers) if loc else value,
            expect=expect,
            entry=entry,
            param=param if param is not None or expect == "accept" else path,
            convention=convention,
            **kw,
        )

    kind = _type(schema)
    if loc and "expires_at" not in loc:
        yield case(f"{_kind_name(kind)} is required", _WRONG_TYPE[kind], "refuse")
    if kind == "object" and "properties" in schema:
        if loc:
            containers[loc] = _minimal(schema)
        if schema.get("additionalProperties") is False:
            inside = {**(_minimal(schema) if loc else BASE), UNKNOWN: "x"}
            yield case(
                "unknown parameters are refused",
                inside,
                "refuse",
                param=_path((*loc, UNKNOWN)),
            )
        for name in schema.get("required", []):
            missing_loc = (*loc, name)
            yield Case(
                name=f"{entry_of(_path(missing_loc))}: required",
                body=_with(missing_loc, None, containers=containers, delete=True),
                expect="refuse",
                entry=entry_of(_path(missing_loc)),
                param=_path(missing_loc),
                convention=is_convention(entry_of(_path(missing_loc))),
            )
        for name, prop in schema["properties"].items():
            if name == "expires_at":
                continue  # relative to the clock: see rule_cases()
            yield from _walk(
                prop,
                (*loc, name),
                containers,
                under_recurring=under_recurring or name == "recurring",
            )
        return
    if kind == "object":  # metadata: a map of strings
        yield from _map_cases(schema, loc, entry, convention, containers, accept_ok)
        return
    if kind == "array":
        if "minItems" in schema:
            yield case(f"at least {schema['minItems']} item(s)", [], "refuse")
        containers[loc] = [_minimal(schema["items"])]
        yield from _walk(schema["items"], (*loc, 0), containers, under_recurring=under_recurring)
        return
    yield from _value_cases(schema, kind, case, accept_ok)


def _kind_name(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _value_cases(
    schema: Mapping[str, Any], kind: str, case: Any, accept_ok: bool
) -> Iterator[Case]:
    if "enum" in schema:
        yield case("a value outside the enumeration", "x_conformance", "refuse")
        if accept_ok:
            for value in schema["enum"]:
                yield case(f"{value!r} is accepted", value, "accept")
        return
    if kind == "integer" and "minimum" in schema:
        low = int(schema["minimum"])
        yield case(f"minimum {low}", low - 1, "refuse")
        if accept_ok:
            yield case(f"{low} (the minimum) is accepted", low, "accept")
    if kind != "string":
        return
    pattern = schema.get("pattern")
    if pattern is not None:
        yield case(f"pattern {pattern}", "x1!", "refuse")
    fmt = schema.get("format")
    if fmt == "uri":
        yield case("an absolute URL is required", "example.com/done", "refuse")
    if fmt == "email":
        yield case("an email address is required", "jsmith@", "refuse")
    shortest, longest = schema.get("minLength"), schema.get("maxLength")
    if pattern is None and fmt is None:
        if shortest:
            yield case(f"at least {shortest} character(s)", "x" * (shortest - 1), "refuse")
            if accept_ok:
                yield case(f"{shortest} character(s) are accepted", "x" * shortest, "accept")
        if longest:
            yield case(f"at most {longest} characters", "x" * (longest + 1), "refuse")
            if accept_ok:
                yield case(f"{longest} characters are accepted", "x" * longest, "accept")
    elif longest and pattern is not None and shortest != longest:
        yield case(f"at most {longest} characters", _valid_string(schema) * longest, "refuse")
    elif longest and shortest == longest:
        yield case(f"exactly {longest} characters", "usdx", "refuse")


def _map_cases(
    schema: Mapping[str, Any],
    loc: Loc,
    entry: str,
    convention: bool,
    containers: Mapping[Loc, Any],
    accept_ok: bool,
) -> Iterator[Case]:
    path = _path(loc)

    def case(name: str, value: Any, expect: Expect, **kw: Any) -> Case:
        return Case(
            name=f"{entry}: {name}",
            body=_with(loc, value, containers=containers),
            expect=expect,
            entry=entry,
            param=path if expect == "refuse" else None,
            convention=convention,
            **kw,
        )

    most = schema.get("maxProperties")
    if most:
        yield case(f"at most {most} keys", {f"k{i}": "v" for i in range(most + 1)}, "refuse")
        if accept_ok:
            yield case(f"{most} keys are accepted", {f"k{i}": "v" for i in range(most)}, "accept")
    names = schema.get("propertyNames", {})
    if names.get("minLength"):
        yield case("keys are not empty", {"": "v"}, "refuse", param_prefix=True)
    if names.get("maxLength"):
        high = names["maxLength"]
        yield case(
            f"keys of at most {high} characters",
            {"k" * (high + 1): "v"},
            "refuse",
            param_prefix=True,
        )
        if accept_ok:
            yield case(f"keys of {high} characters are accepted", {"k" * high: "v"}, "accept")
    values = schema.get("additionalProperties")
    if isinstance(values, dict):
        yield case("values are strings", {"key": 1}, "refuse", param_prefix=True)
        if values.get("maxLength"):
            high = values["maxLength"]
            yield case(
                f"values of at most {high} characters",
                {"key": "v" * (high + 1)},
                "refuse",
                param_prefix=True,
            )
            if accept_ok:
                yield case(
                    f"values of {high} characters are accepted", {"key": "v" * high}, "accept"
                )


# -- the cross-field rules, the examples, and the sandbox's computations -------------------


def rule_cases() -> list[Case]:
    """One refused request per ``x-leanrails-rules`` entry, and its accepted counterpart."""
    item = BASE["line_items"][0]
    price_data = item["price_data"]
    return [
        Case(
            "line_items[]: price and price_data together",
            {**BASE, "line_items": [{**item, "price": "price_conformance"}]},
            "refuse",
            "line_items[]",
            param="line_items[0]",
        ),
        Case(
            "line_items[]: neither price nor price_data",
            {**BASE, "line_items": [{"quantity": 1}]},
            "refuse",
            "line_items[]",
            param="line_items[0]",
        ),
        Case(
            "success_url: required when ui_mode is hosted",
            {k: v for k, v in BASE.items() if k != "success_url"},
            "refuse",
            "success_url",
            param="success_url",
        ),
        Case(
            "success_url: not needed when ui_mode is embedded",
            {**{k: v for k, v in BASE.items() if k != "success_url"}, "ui_mode": "embedded"},
            "accept",
            "success_url",
        ),
        Case(
            "expires_at: 10 minutes ahead is too soon",
            BASE,
            "refuse",
            "expires_at",
            param="expires_at",
            expires_in=600,
        ),
        Case(
            "expires_at: 25 hours ahead is too late",
            BASE,
            "refuse",
            "expires_at",
            param="expires_at",
            expires_in=25 * 3600,
        ),
        Case(
            "expires_at: one hour ahead is accepted", BASE, "accept", "expires_at", expires_in=3600
        ),
        Case(
            "expires_at: 23 hours ahead is accepted",
            BASE,
            "accept",
            "expires_at",
            expires_in=23 * 3600,
        ),
        Case(
            "line_items[].price_data.recurring: refused in payment mode",
            {
                **BASE,
                "line_items": [
                    {**item, "price_data": {**price_data, "recurring": {"interval": "month"}}}
                ],
            },
            "refuse",
            "line_items[].price_data.recurring",
            param="line_items[0].price_data.recurring",
            convention=True,
        ),
        Case(
            "line_items[].price: an unknown price is refused",
            {**BASE, "line_items": [{"quantity": 1, "price": "price_conformance_missing"}]},
            "refuse",
            "line_items[].price",
            param="line_items[0].price",
        ),
    ]


def example_cases() -> list[Case]:
    """The reference's example request, filled in; and requests whose amounts are computed."""
    usd = {"currency": "usd", "product": "conformance", "unit_amount": 1999}
    reference = {
        "mode": "payment",
        "line_items": [{"quantity": 2, "price_data": {**usd, "tax_behavior": "inclusive"}}],
        "success_url": "https://example.com/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://example.com/cancel",
        "customer": "cus_conformance",
        "customer_email": "jsmith@example.com",
        "customer_creation": "if_required",
        "ui_mode": "hosted",
        "billing_address_collection": "auto",
        "client_reference_id": "order-1042",
        "payment_intent_data": {
            "capture_method": "automatic",
            "description": "conformance",
            "statement_descriptor": "LEANRAILS",
            "metadata": {},
            "application_fee_amount": 1,
        },
        "currency": "usd",
        "metadata": {"order": "1042"},
    }
    return [
        Case("the reference's example request", reference, "accept", "request", expires_in=7200),
        Case("the smallest request", BASE, "accept", "request"),
        Case(
            "several line items add up",
            {
                **BASE,
                "line_items": [
                    {"quantity": 3, "price_data": usd},
                    {"quantity": 1, "price_data": {**usd, "unit_amount": 501}},
                ],
            },
            "accept",
            "line_items",
        ),
        Case(
            "nothing to pay",
            {**BASE, "line_items": [{"quantity": 4, "price_data": {**usd, "unit_amount": 0}}]},
            "accept",
            "line_items[].price_data.unit_amount",
        ),
        Case(
            "currency overrides the line items' currency",
            {**BASE, "currency": "EUR"},
            "accept",
            "currency",
        ),
        Case(
            "line items in two currencies",
            {
                **BASE,
                "line_items": [
                    {"quantity": 1, "price_data": usd},
                    {"quantity": 1, "price_data": {**usd, "currency": "eur"}},
                ],
            },
            None,
            "line_items[].price_data.currency",
            convention=True,
        ),
        Case(
            "Authorization: no key is refused",
            BASE,
            "refuse",
            "Authorization",
            authenticate=False,
            status=401,
            error_type="authentication_error",
        ),
    ]


def all_cases() -> list[Case]:
    return [*example_cases(), *rule_cases(), *schema_cases()]


# -- a hypothesis sample of valid requests ------------------------------------------------


def _generation_schema() -> dict[str, Any]:
    """The request schema, narrowed to requests that every rule accepts on any server.

    Line items use ``price_data`` (a price id exists only in one account's catalogue), and
    no ``recurring`` (payment mode refuses it); ``expires_at`` is left to the rule cases
    (it is relative to the server's clock); numbers and maps are kept small; URLs and
    email addresses are simple ones.
    """
    root = copy.deepcopy(resolved("CheckoutSessionCreateParams"))
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
    kind = _type(schema)
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
    currency = body["line_items"][0]["price_data"]["currency"]
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
