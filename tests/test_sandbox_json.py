"""The sandbox parses a body once (jiter, which catches a repeated key) and the create model
validates the Python objects it reads: each verdict, a model or a 400 with its message, is
the one the json module's checks and pydantic's own JSON validation give the same bytes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pydantic
import pytest

from leanrails._params import CheckoutSessionCreateParams
from leanrails.sandbox._checks import json_object, read_params
from leanrails.sandbox._customer import CompleteParams
from leanrails.sandbox._errors import SandboxError, from_validation_error
from leanrails.sandbox._faults import FaultParams

from _support.sandbox import BASIC, START

CONTEXT = {"now": START}
RAW = "<raw>"  # where a body's JSON text is spliced in as written
RAW_JSON = json.dumps(RAW).encode()


def _create(**changes: Any) -> bytes:
    return json.dumps({**BASIC, **changes}).encode()


def _item(**item: Any) -> bytes:
    return _create(line_items=[item])


BODIES = {
    "typical": _create(metadata={"order": "6735"}, customer_email="jsmith@example.com"),
    "quantity-1.0": _item(price="price_test_tshirt", quantity=1.0),
    "quantity-true": _item(price="price_test_tshirt", quantity=True),
    "quantity-string": _item(price="price_test_tshirt", quantity="2"),
    "quantity-2**70": _item(price="price_test_tshirt", quantity=2**70),
    "amount-1e400": _item(
        quantity=1, price_data={"currency": "usd", "product": "p", "unit_amount": RAW}
    ).replace(RAW_JSON, b"1e400"),
    "amount-negative": _item(
        quantity=1, price_data={"currency": "usd", "product": "p", "unit_amount": -1}
    ),
    "exponent-int": _item(price="price_test_tshirt", quantity=RAW).replace(RAW_JSON, b"1E0"),
    "top-level-nulls": _create(ui_mode=None, customer_creation=None, metadata=None),
    "nested-null-required": _item(price="price_test_tshirt", quantity=None),
    "metadata-int-value": _create(metadata={"n": 1}),
    "escaped-strings": _create(metadata={"\\u00e9": "caf\u00e9", "tab": "a\tb"}),
    "expires-at-float": _create(expires_at=START + 3600.0),
    "expires-at-int": _create(expires_at=START + 3600),
    "unknown-field": _create(colour="blue"),
    "bool-for-string": _create(client_reference_id=True),
    "list-for-object": _create(metadata=["a"]),
    "empty-line-items": _create(line_items=[]),
    "embedded-without-success-url": json.dumps(
        {"mode": "payment", "ui_mode": "embedded", "line_items": BASIC["line_items"]}
    ).encode(),
    "hosted-without-success-url": json.dumps(
        {"mode": "payment", "line_items": BASIC["line_items"]}
    ).encode(),
}
OTHER: dict[str, tuple[type[pydantic.BaseModel], bytes]] = {
    "faults-int-seconds": (FaultParams, b'{"delay": {"seconds": 1}}'),
    "faults-bool-count": (FaultParams, b'{"fail_next": {"count": true}}'),
    "faults-float-count": (FaultParams, b'{"drop_after_commit": 1.0}'),
    "complete-country": (CompleteParams, b'{"customer_details": {"address": {"country": "fr"}}}'),
    "complete-null": (CompleteParams, b'{"customer_details": null}'),
    # Found by an outside attack: in Python mode these read with other messages.
    "faults-number-for-object": (FaultParams, b'{"delay": 1}'),
    "faults-string-for-object": (FaultParams, b'{"fail_next": "x"}'),
    "complete-string-for-object": (CompleteParams, b'{"customer_details": "x"}'),
    "complete-number-for-address": (
        CompleteParams,
        b'{"customer_details": {"address": 1}}',
    ),
    "faults-seconds-past-a-double": (FaultParams, b'{"delay": {"seconds": 2' + b"0" * 308 + b"}}"),
    "faults-seconds-below-minus-a-double": (
        FaultParams,
        b'{"delay": {"seconds": -2' + b"0" * 308 + b"}}",
    ),
}
CASES = {name: (CheckoutSessionCreateParams, body) for name, body in BODIES.items()} | OTHER


def _verdict(read: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    try:
        return "read", read(*args)
    except SandboxError as exc:
        return "refused", exc.body()


def _read(model: type[pydantic.BaseModel], body: bytes) -> Any:
    """The sandbox's reading: one parse, then the model."""
    return read_params(model, body, required=True, context=CONTEXT)


def _pydantic_json(model: type[pydantic.BaseModel], body: bytes) -> Any:
    """The reading before the one parse: json module's checks, then pydantic's JSON mode."""
    json_object(body)
    try:
        return model.model_validate_json(body, context=CONTEXT)
    except pydantic.ValidationError as exc:
        raise from_validation_error(exc) from None


@pytest.mark.parametrize(("model", "body"), CASES.values(), ids=CASES.keys())
def test_a_body_reads_as_pydantic_reads_its_json(
    model: type[pydantic.BaseModel], body: bytes
) -> None:
    read = _verdict(_read, model, body)

    assert read == _verdict(_pydantic_json, model, body)


def test_the_cases_cover_both_verdicts() -> None:
    verdicts = {_verdict(_pydantic_json, model, body)[0] for model, body in CASES.values()}

    assert verdicts == {"read", "refused"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param(b'{"a": "\\ud800"}', "json_invalid", id="lone-surrogate"),
        pytest.param(b'{"a": ' + b"1" * 5000 + b"}", "json_invalid", id="5000-digit-integer"),
        pytest.param(b"\xef\xbb\xbf{}", "json_invalid", id="byte-order-mark"),
        pytest.param(b'{"a": 1, "a": 2}', "duplicate_key", id="repeated-key"),
        pytest.param(b'{"a": NaN}', "json_invalid", id="nan"),
    ],
)
def test_what_the_one_parse_refuses_keeps_the_long_ways_answer(body: bytes, code: str) -> None:
    kind, answer = _verdict(_read, CheckoutSessionCreateParams, body)

    assert (kind, answer["error"]["code"]) == ("refused", code)
    assert (kind, answer) == _verdict(_pydantic_json, CheckoutSessionCreateParams, body)
