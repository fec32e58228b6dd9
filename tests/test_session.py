"""Responses parse into typed models, and nothing the server says is dropped."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from leanrails import Address, CheckoutSession, CustomerDetails, TotalDetails

# The reference's response example, its placeholders filled with realistic values.
REFERENCE_EXAMPLE: dict[str, Any] = {
    "id": "cs_xxx",
    "object": "checkout.session",
    "mode": "payment",
    "status": "open",
    "payment_status": "unpaid",
    "ui_mode": "hosted",
    "customer_creation": "always",
    "billing_address_collection": "auto",
    "expires_at": 123,
    "metadata": {},
    "livemode": False,
    "created": 1234567890,
    "url": "https://checkout.leanrails.com/pay/cs_xxx",
    "client_secret": "cs_xxx_secret_abc",
    "success_url": "https://example.com/success",
    "cancel_url": "https://example.com/cancel",
    "customer": "cus_xxx",
    "customer_email": "jsmith@example.com",
    "customer_details": {
        "email": "jsmith@example.com",
        "name": "Jane Smith",
        "phone": "+15555550100",
        "address": {
            "city": "Springfield",
            "country": "US",
            "line1": "1 Main St",
            "line2": "Apt 2",
            "postal_code": "12345",
            "state": "IL",
        },
    },
    "payment_intent": "pi_xxx",
    "currency": "usd",
    "amount_subtotal": 123,
    "amount_total": 123,
    "total_details": {"amount_discount": 123, "amount_shipping": 123, "amount_tax": 123},
    "client_reference_id": "order-42",
}


def test_the_reference_example_parses_with_every_field_typed() -> None:
    session = CheckoutSession.model_validate(REFERENCE_EXAMPLE)
    assert session.model_dump(mode="json") == REFERENCE_EXAMPLE
    assert isinstance(session.customer_details, CustomerDetails)
    assert isinstance(session.customer_details.address, Address)
    assert isinstance(session.total_details, TotalDetails)


def test_a_minimal_open_session_parses_with_nullable_fields_null() -> None:
    required = {k: REFERENCE_EXAMPLE[k] for k in CheckoutSession.model_json_schema()["required"]}
    nulls = dict.fromkeys(["url", "client_secret", "customer", "customer_details", "currency"])
    session = CheckoutSession.model_validate({**required, **nulls})
    assert (session.url, session.customer_details, session.total_details) == (None, None, None)


def test_fields_the_reference_does_not_list_are_kept() -> None:
    session = CheckoutSession.model_validate({**REFERENCE_EXAMPLE, "locale": "fr"})
    assert session.model_extra == {"locale": "fr"}
    assert session.model_dump()["locale"] == "fr"


def test_nested_unknown_fields_are_kept() -> None:
    body = copy.deepcopy(REFERENCE_EXAMPLE)
    body["customer_details"]["tax_exempt"] = "none"
    session = CheckoutSession.model_validate(body)
    assert session.customer_details is not None
    assert session.customer_details.model_extra == {"tax_exempt": "none"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("status", 3, id="status-not-a-string"),
        pytest.param("object", "payment_intent", id="object-not-checkout-session"),
        pytest.param("livemode", "maybe", id="livemode-not-boolean"),
    ],
)
def test_a_body_that_breaks_the_contract_is_an_error(field: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=field):
        CheckoutSession.model_validate({**REFERENCE_EXAMPLE, field: value})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("status", "processing", id="status"),
        pytest.param("payment_status", "partially_paid", id="payment-status"),
        pytest.param("mode", "subscription_schedule", id="mode"),
        pytest.param("ui_mode", "elements", id="ui-mode"),
        pytest.param("customer_creation", "never", id="customer-creation"),
        pytest.param("billing_address_collection", "shipping", id="billing-address-collection"),
    ],
)
def test_an_enumeration_value_from_a_newer_server_is_kept_with_a_warning(
    field: str, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    session = CheckoutSession.model_validate({**REFERENCE_EXAMPLE, field: value})
    assert getattr(session, field) == value
    assert caplog.messages == [
        f"response field {field} is {value!r}, a value this kit does not know yet; kept as it is"
    ]


def test_a_missing_required_field_is_an_error() -> None:
    body = {k: v for k, v in REFERENCE_EXAMPLE.items() if k != "created"}
    with pytest.raises(ValidationError, match="created"):
        CheckoutSession.model_validate(body)
