"""The requests of the contract part, made from ``openapi.yaml``, and what each must get.

Every request is a :class:`Case`: a body, what the contract says must happen to it (accepted,
or refused with ``invalid_request_error`` at a ``param``), the contract entry it tests, named
as the field reference and the guide's headings name it (``line_items[].price_data.currency``,
``response.amount_total``), and the source of the rule it tests, read from the contract's
marker (``_contract.source_of``): the reference, inferred from the reference's example, or a kit
convention. A convention case expects nothing of its own (the reference is silent): only the
comparison with the sandbox judges it, and a server that differs there *differs from the
kit's convention*; it has not drifted from the reference.

The cases come from four places:

- the reference's example request, filled in, and a few requests that make the sandbox
  compute something (several line items, a zero amount, a currency override);
- the schema, walked keyword by keyword: for each rule one request just inside it (which
  must be accepted) and one just outside (which must be refused, naming the field);
- ``x-leanrails-rules`` (the cross-field rules), one refused request each;
- a seeded sample of valid requests drawn from the request schema (:func:`generated_cases`:
  plain :mod:`random`, so one seed always sends the same requests).
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .._contract import Source, component, source_of

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

    ``expect`` None: the contract is silent (a kit convention); only the comparison with the
    sandbox judges the answer. ``expires_in`` sets ``expires_at`` that many seconds after the
    moment the request is sent.
    """

    name: str
    body: Mapping[str, Any]
    expect: Expect | None
    entry: str
    param: str | None = None
    param_prefix: bool = False
    source: Source = "reference"
    expires_in: int | None = None
    authenticate: bool = True
    status: int = 400
    error_type: str = "invalid_request_error"

    @property
    def convention(self) -> bool:
        return self.source == "convention"

    def wire(self, now: int) -> bytes:
        body = dict(self.body)
        if self.expires_in is not None:
            body["expires_at"] = now + self.expires_in
        return json.dumps(body).encode()


def entry_of(param: object) -> str:
    """The contract entry of a ``param``: ``line_items[1].price`` -> ``line_items[].price``;
    ``metadata[key]`` -> ``metadata``; ``request`` when there is no param (or not a string)."""
    if not isinstance(param, str) or not param:
        return "request"
    return re.sub(r"\[[^\]]+\]$", "", re.sub(r"\[\d+\]", "[]", param)) or "request"


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


_STRENGTH: dict[Source, int] = {"reference": 0, "inferred": 1, "convention": 2}


def strongest(*sources: Source) -> Source:
    """The source of a rule made of several keywords: a convention if any part is one."""
    return max(sources, key=_STRENGTH.__getitem__)


def all_cases(samples: int, seed: int) -> list[Case]:
    """Every request of the contract part, in the order they are sent."""
    return [*example_cases(), *rule_cases(), *schema_cases(), *generated_cases(samples, seed)]


# -- written by hand: the reference's example, computed amounts, the cross-field rules -----


def rule_cases() -> list[Case]:
    """One refused request per ``x-leanrails-rules`` entry, and its accepted counterpart."""
    item = BASE["line_items"][0]
    price_data = item["price_data"]
    windows: list[tuple[str, int, Expect]] = [
        ("10 minutes ahead is too soon", 600, "refuse"),
        ("25 hours ahead is too late", 25 * 3600, "refuse"),
        ("one hour ahead is accepted", 3600, "accept"),
        ("23 hours ahead is accepted", 23 * 3600, "accept"),
    ]
    return [
        Case(
            "line_items[]: price and price_data together",
            {**BASE, "line_items": [{**item, "price": "price_conformance"}]},
            None,
            "line_items[]",
            source="convention",
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
        *(
            Case(
                f"expires_at: {name}",
                BASE,
                expect,
                "expires_at",
                param="expires_at" if expect == "refuse" else None,
                expires_in=seconds,
            )
            for name, seconds, expect in windows
        ),
        Case(
            "line_items[].price_data.recurring: refused in payment mode",
            {
                **BASE,
                "line_items": [
                    {**item, "price_data": {**price_data, "recurring": {"interval": "month"}}}
                ],
            },
            None,
            "line_items[].price_data.recurring",
            source="convention",
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
    two_items = [
        {"quantity": 3, "price_data": usd},
        {"quantity": 1, "price_data": {**usd, "unit_amount": 501}},
    ]
    free = [{"quantity": 4, "price_data": {**usd, "unit_amount": 0}}]
    two_currencies = [
        {"quantity": 1, "price_data": usd},
        {"quantity": 1, "price_data": {**usd, "currency": "eur"}},
    ]
    return [
        Case("the reference's example request", reference, "accept", "request", expires_in=7200),
        Case("the smallest request", BASE, "accept", "request"),
        Case(
            "several line items add up", {**BASE, "line_items": two_items}, "accept", "line_items"
        ),
        Case(
            "nothing to pay",
            {**BASE, "line_items": free},
            "accept",
            "line_items[].price_data.unit_amount",
        ),
        Case(
            "currency names the line items' currency, in any case",
            {**BASE, "currency": "USD"},
            "accept",
            "currency",
        ),
        Case(
            "currency other than the line items'",
            {**BASE, "currency": "EUR"},
            None,
            "currency",
            source="convention",
        ),
        Case(
            "line items in two currencies",
            {**BASE, "line_items": two_currencies},
            None,
            "line_items[].price_data.currency",
            source="convention",
        ),
        Case(
            "success_url: an app's deep link is a URI",
            {**BASE, "success_url": "myapp://checkout/done?id={CHECKOUT_SESSION_ID}"},
            "accept",
            "success_url",
        ),
        Case(
            "success_url: spaces are not a URI",
            {**BASE, "success_url": "https://exa mple.com/a b"},
            "refuse",
            "success_url",
            param="success_url",
        ),
        Case(
            "success_url: a javascript: URI",
            {**BASE, "success_url": "javascript:alert(1)"},
            None,
            "success_url",
            source="convention",
        ),
        Case(
            "a null optional parameter is not sent",
            {**BASE, "cancel_url": None, "metadata": None},
            None,
            "request",
            source="convention",
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


# -- the schema, keyword by keyword -------------------------------------------------------


def _minimal(schema: Mapping[str, Any]) -> Any:
    kind = json_type(schema)
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
    return valid_string(schema)


_WRONG_TYPE: dict[str, Any] = {
    "string": 42,
    "integer": "1",
    "object": "conformance",
    "array": "conformance",
    "boolean": "true",
}

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


def schema_cases() -> list[Case]:
    """For each rule of the request schema: one request just inside it, one just outside."""
    root = component("CheckoutSessionCreateParams")
    containers: dict[Loc, Any] = {}
    return list(_walk(root, (), containers, under_recurring=False))


def _walk(
    schema: Mapping[str, Any], loc: Loc, containers: dict[Loc, Any], *, under_recurring: bool
) -> Iterator[Case]:
    path = _path(loc)
    entry = entry_of(path) if loc else "request"
    # Nothing under recurring can be accepted (payment mode refuses it), and a price id is
    # accepted only if the server's catalogue has it.
    accept_ok = not under_recurring and entry != "line_items[].price"

    def case(
        name: str,
        value: Any,
        expect: Expect,
        keyword: str,
        inner: tuple[Mapping[str, Any], str] | None = None,
        **kw: Any,
    ) -> Case:
        """``keyword`` of this schema; ``inner``: a keyword of a schema inside it too."""
        rule = strongest(source_of(schema, keyword), *([source_of(*inner)] if inner else []))
        param = kw.pop("param", path if expect == "refuse" else None)
        return Case(
            name=f"{entry}: {name}",
            body=_with(loc, value, containers=containers) if loc else value,
            expect=None if rule == "convention" else expect,
            entry=entry,
            param=param,
            source=rule,
            **kw,
        )

    kind = json_type(schema)
    if loc and "expires_at" not in loc:
        yield case(f"{_kind_name(kind)} is required", _WRONG_TYPE[kind], "refuse", "type")
    if kind == "object" and "properties" in schema:
        if loc:
            containers[loc] = _minimal(schema)
        if schema.get("additionalProperties") is False:
            inside = {**(_minimal(schema) if loc else BASE), UNKNOWN: "x"}
            yield case(
                "unknown parameters are refused",
                inside,
                "refuse",
                "additionalProperties",
                param=_path((*loc, UNKNOWN)),
            )
        for name in schema.get("required", []):
            missing = (*loc, name)
            rule = source_of(schema, "required")
            yield Case(
                name=f"{entry_of(_path(missing))}: required",
                body=_with(missing, None, containers=containers, delete=True),
                expect=None if rule == "convention" else "refuse",
                entry=entry_of(_path(missing)),
                param=_path(missing),
                source=rule,
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
        yield from _map_cases(schema, case, accept_ok)
        return
    if kind == "array":
        if "minItems" in schema:
            yield case(f"at least {schema['minItems']} item(s)", [], "refuse", "minItems")
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
        yield case("a value outside the enumeration", "x_conformance", "refuse", "enum")
        if accept_ok:
            for value in schema["enum"]:
                yield case(f"{value!r} is accepted", value, "accept", "enum")
        return
    if kind == "integer" and "minimum" in schema:
        low = int(schema["minimum"])
        yield case(f"minimum {low}", low - 1, "refuse", "minimum")
        if accept_ok:
            yield case(f"{low} (the minimum) is accepted", low, "accept", "minimum")
    if kind != "string":
        return
    pattern = schema.get("pattern")
    if pattern is not None:
        yield case(f"pattern {pattern}", "x1!", "refuse", "pattern")
    fmt = schema.get("format")
    if fmt == "uri":
        yield case("an absolute URL is required", "example.com/done", "refuse", "format")
    if fmt == "email":
        yield case("an email address is required", "jsmith@", "refuse", "format")
    shortest, longest = schema.get("minLength"), schema.get("maxLength")
    if pattern is None and fmt is None:
        if shortest:
            yield case(
                f"at least {shortest} character(s)", "x" * (shortest - 1), "refuse", "minLength"
            )
            if accept_ok:
                text = "x" * shortest
                yield case(f"{shortest} character(s) are accepted", text, "accept", "minLength")
        if longest:
            yield case(f"at most {longest} characters", "x" * (longest + 1), "refuse", "maxLength")
            if accept_ok:
                text = "x" * longest
                yield case(f"{longest} characters are accepted", text, "accept", "maxLength")
    elif longest and pattern is not None and shortest != longest:
        too_long = valid_string(schema) * longest
        yield case(f"at most {longest} characters", too_long, "refuse", "maxLength")
    elif longest and shortest == longest:
        yield case(f"exactly {longest} characters", "usdx", "refuse", "maxLength")


def _map_cases(schema: Mapping[str, Any], case: Any, accept_ok: bool) -> Iterator[Case]:
    most = schema.get("maxProperties")
    if most:
        too_many = {f"k{i}": "v" for i in range(most + 1)}
        yield case(f"at most {most} keys", too_many, "refuse", "maxProperties")
        if accept_ok:
            full = {f"k{i}": "v" for i in range(most)}
            yield case(f"{most} keys are accepted", full, "accept", "maxProperties")
    names = schema.get("propertyNames", {})
    if names.get("minLength"):
        yield case(
            "keys are not empty",
            {"": "v"},
            "refuse",
            "propertyNames",
            (names, "minLength"),
            param_prefix=True,
        )
    if names.get("maxLength"):
        yield from _longest_cases(
            case, "keys", "propertyNames", names, lambda n: {"k" * n: "v"}, accept_ok
        )
    values = schema.get("additionalProperties")
    if isinstance(values, dict):
        yield case(
            "values are strings",
            {"key": 1},
            "refuse",
            "additionalProperties",
            (values, "type"),
            param_prefix=True,
        )
        if values.get("maxLength"):
            yield from _longest_cases(
                case,
                "values",
                "additionalProperties",
                values,
                lambda n: {"key": "v" * n},
                accept_ok,
            )


def _longest_cases(
    case: Any,
    what: str,
    keyword: str,
    inner: Mapping[str, Any],
    sample: Callable[[int], dict[str, str]],
    accept_ok: bool,
) -> Iterator[Case]:
    """A map's keys or values (``what``, under ``keyword``) one character over ``inner``'s
    maxLength are refused, and at it accepted; ``sample`` makes the map for a length."""
    high = inner["maxLength"]
    rule = (inner, "maxLength")
    over = sample(high + 1)
    yield case(
        f"{what} of at most {high} characters", over, "refuse", keyword, rule, param_prefix=True
    )
    if accept_ok:
        yield case(
            f"{what} of {high} characters are accepted", sample(high), "accept", keyword, rule
        )


# -- a seeded sample of valid requests ----------------------------------------------------

_WORD = "abcdefghijklmnopqrstuvwxyz0123456789"
_TEXT = _WORD + " -_.,:;!?'éüßøñ中文ü€"


def _word(rng: random.Random, low: int = 1, high: int = 12) -> str:
    return "".join(rng.choice(_WORD) for _ in range(rng.randint(low, high)))


def _value(schema: Mapping[str, Any], rng: random.Random) -> Any:
    """A value ``schema`` allows, drawn keyword by keyword (the keywords the contract uses)."""
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = json_type(schema)
    if kind == "object" and "properties" in schema:
        required = set(schema.get("required", []))
        return {
            name: _value(sub, rng)
            for name, sub in schema["properties"].items()
            if name in required or rng.random() < 0.5
        }
    if kind == "object":
        names = schema.get("propertyNames", {})
        low, high = max(names.get("minLength", 1), 1), min(names.get("maxLength", 12), 12)
        values = schema.get("additionalProperties", {"type": "string"})
        count = rng.randint(0, min(schema.get("maxProperties", 3), 3))
        return {_word(rng, low, high): _value(values, rng) for _ in range(count)}
    if kind == "array":
        low = schema.get("minItems", 0)
        return [_value(schema["items"], rng) for _ in range(rng.randint(low, max(low, 3)))]
    if kind == "integer":
        low = int(schema.get("minimum", 0))
        return rng.randint(low, min(int(schema.get("maximum", low + 100_000)), low + 100_000))
    if kind == "boolean":
        return rng.random() < 0.5
    if schema.get("format") == "uri":
        return f"https://example.com/{_word(rng)}"
    if schema.get("format") == "email":
        return f"{_word(rng)}@example.com"
    if "pattern" in schema:
        return valid_string(schema)
    low, high = schema.get("minLength", 0), min(schema.get("maxLength", 30), 30)
    return "".join(rng.choice(_TEXT) for _ in range(rng.randint(low, high)))


def _generation_schema() -> dict[str, Any]:
    """The request schema, narrowed to requests that every rule accepts on any server.

    Line items use ``price_data`` (a price id exists only in one account's catalogue), and
    no ``recurring`` (payment mode refuses it); ``expires_at`` is left to the rule cases
    (it is relative to the server's clock).
    """
    root = copy.deepcopy(component("CheckoutSessionCreateParams"))
    props = root["properties"]
    del props["expires_at"]
    item = props["line_items"]["items"]
    del item["properties"]["price"]
    item["required"] = ["quantity", "price_data"]
    del item["properties"]["price_data"]["properties"]["recurring"]
    return root


def _fit_rules(body: dict[str, Any]) -> dict[str, Any]:
    """Make a schema-valid body keep the cross-field rules too."""
    if body.get("ui_mode", "hosted") == "hosted" and "success_url" not in body:
        body["success_url"] = SUCCESS_URL
    currency = body.get("currency", body["line_items"][0]["price_data"]["currency"])
    for item in body["line_items"]:
        item["price_data"]["currency"] = currency
    return body


def generated_cases(count: int, seed: int) -> list[Case]:
    """``count`` valid requests drawn from the request schema with ``random.Random(seed)``."""
    rng = random.Random(seed)
    schema = _generation_schema()
    return [
        Case(
            f"generated request {n} (seed {seed})",
            _fit_rules(_value(schema, rng)),
            "accept",
            "request",
        )
        for n in range(1, count + 1)
    ]
