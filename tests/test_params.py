"""Every rule of the reference is enforced before sending, with the field named in API path form."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

import leanrails
from leanrails import CheckoutSessionCreateParams, LineItem, PaymentIntentData, PriceData, Recurring
from leanrails._conventions import faults, refusal
from leanrails._params import RequestModel

from _support.sandbox import Api

NOW = 1_800_000_000


def valid(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "mode": "payment",
        "line_items": [{"quantity": 2, "price": "price_test_tshirt"}],
        "success_url": "https://example.com/success",
    }
    body.update(overrides)
    return body


def price_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"currency": "usd", "product": "prod_tshirt", "unit_amount": 2000}
    data.update(overrides)
    return data


def errors_of(body: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        CheckoutSessionCreateParams.model_validate(body, context={"now": NOW})
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in caught.value.errors()]


def only_error(body: dict[str, Any]) -> tuple[str, str]:
    found = errors_of(body)
    assert len(found) == 1, found
    return found[0]


REJECTED = [
    pytest.param(valid(mode=None), "mode", "Field required", id="mode-null"),
    pytest.param(
        {k: v for k, v in valid().items() if k != "mode"},
        "mode",
        "Field required",
        id="mode-missing",
    ),
    pytest.param(valid(mode="subscription"), "mode", "'payment'", id="mode-only-payment"),
    pytest.param(valid(line_items=[]), "line_items", "at least 1 item", id="line-items-empty"),
    pytest.param(
        {k: v for k, v in valid().items() if k != "line_items"},
        "line_items",
        "Field required",
        id="line-items-missing",
    ),
    pytest.param(
        valid(line_items=[{"quantity": 1}]),
        "line_items[0]",
        "either price or price_data",
        id="line-item-neither-price",
    ),
    pytest.param(
        valid(line_items=[{"quantity": "2", "price": "price_x"}]),
        "line_items[0].quantity",
        "valid integer",
        id="quantity-string-is-not-coerced",
    ),
    pytest.param(
        valid(line_items=[{"quantity": 2.0, "price": "price_x"}]),
        "line_items[0].quantity",
        "valid integer",
        id="quantity-float-is-not-coerced",
    ),
    pytest.param(
        valid(line_items=[{"quantity": True, "price": "price_x"}]),
        "line_items[0].quantity",
        "valid integer",
        id="quantity-bool-is-not-an-integer",
    ),
    pytest.param(
        valid(line_items=[{"price": "price_x"}]),
        "line_items[0].quantity",
        "Field required",
        id="quantity-missing",
    ),
    pytest.param(
        valid(line_items=[{"quantity": 1, "price_data": price_data(currency="usdd")}]),
        "line_items[0].price_data.currency",
        "at most 3 characters",
        id="price-data-currency-too-long",
    ),
    pytest.param(
        valid(line_items=[{"quantity": 1, "price_data": price_data(currency="us1")}]),
        "line_items[0].price_data.currency",
        "match pattern",
        id="price-data-currency-not-letters",
    ),
    pytest.param(
        valid(line_items=[{"quantity": 1, "price_data": price_data(unit_amount=-1)}]),
        "line_items[0].price_data.unit_amount",
        "greater than or equal to 0",
        id="unit-amount-negative",
    ),
    pytest.param(
        valid(line_items=[{"quantity": 1, "price_data": price_data(unit_amount=19.99)}]),
        "line_items[0].price_data.unit_amount",
        "valid integer",
        id="unit-amount-decimal-is-not-smallest-unit",
    ),
    pytest.param(
        valid(line_items=[{"quantity": 1, "price_data": price_data(tax_behavior="included")}]),
        "line_items[0].price_data.tax_behavior",
        "'inclusive', 'exclusive' or 'unspecified'",
        id="tax-behavior-unknown",
    ),
    pytest.param(
        valid(
            line_items=[
                {"quantity": 1, "price_data": price_data(recurring={"interval": "fortnight"})}
            ]
        ),
        "line_items[0].price_data.recurring.interval",
        "'day', 'week', 'month' or 'year'",
        id="recurring-interval-unknown",
    ),
    pytest.param(
        valid(
            line_items=[
                {
                    "quantity": 1,
                    "price_data": price_data(recurring={"interval": "day", "interval_count": 0}),
                }
            ]
        ),
        "line_items[0].price_data.recurring.interval_count",
        "greater than or equal to 1",
        id="recurring-interval-count-zero",
    ),
    pytest.param(
        {k: v for k, v in valid().items() if k != "success_url"},
        "success_url",
        "required when ui_mode is hosted",
        id="success-url-required-for-hosted-default",
    ),
    pytest.param(
        valid(success_url="/success"),
        "success_url",
        "absolute URI (RFC 3986)",
        id="success-url-relative",
    ),
    pytest.param(
        valid(cancel_url="https://exa mple.com/a b"),
        "cancel_url",
        "absolute URI (RFC 3986)",
        id="cancel-url-with-spaces",
    ),
    pytest.param(valid(customer="cust_123"), "customer", "'^cus_'", id="customer-pattern"),
    pytest.param(valid(customer=""), "customer", "'^cus_'", id="customer-empty"),
    pytest.param(
        valid(customer_email="jsmith@"), "customer_email", "email address", id="email-invalid"
    ),
    pytest.param(
        valid(customer_creation="never"),
        "customer_creation",
        "'always' or 'if_required'",
        id="customer-creation-unknown",
    ),
    pytest.param(
        valid(ui_mode="popup"), "ui_mode", "'hosted', 'embedded' or 'custom'", id="ui-mode-unknown"
    ),
    pytest.param(
        valid(billing_address_collection="optional"),
        "billing_address_collection",
        "'auto' or 'required'",
        id="billing-address-collection-unknown",
    ),
    pytest.param(
        valid(client_reference_id="x" * 201),
        "client_reference_id",
        "at most 200 characters",
        id="client-reference-id-too-long",
    ),
    pytest.param(valid(currency="us"), "currency", "at least 3 characters", id="currency-short"),
    pytest.param(valid(currency="dollars"), "currency", "at most 3", id="currency-long"),
    pytest.param(
        valid(expires_at=NOW + 29 * 60),
        "expires_at",
        "between 30 minutes and 24 hours from now",
        id="expires-at-too-soon",
    ),
    pytest.param(
        valid(expires_at=NOW + 24 * 3600 + 1),
        "expires_at",
        "between 30 minutes and 24 hours from now",
        id="expires-at-too-late",
    ),
    pytest.param(
        valid(expires_at="1800003600"),
        "expires_at",
        "valid integer",
        id="expires-at-string",
    ),
    pytest.param(
        valid(metadata={"order": 42}),
        "metadata[order]",
        "valid string",
        id="metadata-value-not-string",
    ),
    pytest.param(
        valid(payment_intent_data={"metadata": {"order": 42}}),
        "payment_intent_data.metadata[order]",
        "valid string",
        id="payment-intent-metadata-value-not-string",
    ),
    pytest.param(
        valid(payment_intent_data={"capture_method": "later"}),
        "payment_intent_data.capture_method",
        "'automatic', 'automatic_async' or 'manual'",
        id="capture-method-unknown",
    ),
    pytest.param(
        valid(payment_intent_data={"application_fee_amount": -5}),
        "payment_intent_data.application_fee_amount",
        "greater than or equal to 0",
        id="application-fee-negative",
    ),
    pytest.param(valid(coupon="SAVE10"), "coupon", "Extra inputs", id="unknown-top-level-field"),
    pytest.param(
        valid(line_items=[{"quantity": 1, "price": "price_x", "amount": 5}]),
        "line_items[0].amount",
        "Extra inputs",
        id="unknown-line-item-field",
    ),
    pytest.param(
        valid(payment_intent_data={"setup_future_usage": "off_session"}),
        "payment_intent_data.setup_future_usage",
        "Extra inputs",
        id="unknown-nested-field",
    ),
    pytest.param(
        valid(line_items={"quantity": 1, "price": "price_x"}),
        "line_items",
        "valid list",
        id="line-items-not-a-list",
    ),
]

CONVENTIONS = [
    pytest.param(
        valid(line_items=[{"quantity": 1, "price": "price_x", "price_data": price_data()}]),
        "line_items[0]",
        "both price and price_data",
        id="line-item-both-prices",
    ),
    pytest.param(
        valid(line_items=[{"quantity": 0, "price": "price_x"}]),
        "line_items[0].quantity",
        "at least 1",
        id="quantity-zero",
    ),
    pytest.param(
        valid(line_items=[{"quantity": 1, "price": ""}]),
        "line_items[0].price",
        "must not be empty",
        id="price-empty",
    ),
    pytest.param(
        valid(line_items=[{"quantity": 1, "price_data": price_data(product="")}]),
        "line_items[0].price_data.product",
        "must not be empty",
        id="product-empty",
    ),
    pytest.param(
        valid(
            line_items=[{"quantity": 1, "price_data": price_data(recurring={"interval": "day"})}]
        ),
        "line_items[0].price_data.recurring",
        "recurring price",
        id="recurring-in-payment-mode",
    ),
    pytest.param(
        valid(cancel_url="javascript:alert(1)"),
        "cancel_url",
        "must not be a javascript:, data:, file:",
        id="cancel-url-javascript",
    ),
    pytest.param(
        valid(client_reference_id=""),
        "client_reference_id",
        "must not be empty",
        id="client-reference-id-empty",
    ),
    pytest.param(
        valid(metadata={"k" * 41: "v"}),
        "metadata[" + "k" * 41 + "]",
        "1 to 40 characters",
        id="metadata-key-too-long",
    ),
    pytest.param(
        valid(metadata={str(i): "v" for i in range(51)}),
        "metadata",
        "at most 50 keys",
        id="metadata-too-many-keys",
    ),
    pytest.param(
        valid(payment_intent_data={"statement_descriptor": "X" * 23}),
        "payment_intent_data.statement_descriptor",
        "at most 22 characters",
        id="statement-descriptor-too-long",
    ),
    pytest.param(
        valid(payment_intent_data={"description": ""}),
        "payment_intent_data.description",
        "must not be empty",
        id="payment-intent-description-empty",
    ),
]


@pytest.mark.parametrize(("body", "path", "message"), REJECTED)
def test_invalid_request_is_rejected_naming_the_field(
    body: dict[str, Any], path: str, message: str
) -> None:
    found_path, found_message = only_error(body)
    assert (found_path, message in found_message) == (path, True), found_message


@pytest.mark.parametrize(("body", "path", "message"), CONVENTIONS)
def test_a_convention_is_no_rule_of_the_models_and_is_named_by_the_conventions(
    body: dict[str, Any], path: str, message: str
) -> None:
    params = CheckoutSessionCreateParams.model_validate(body, context={"now": NOW})
    found = faults(params)
    assert [(f.param, message in f.message) for f in found] == [(path, True)], found


@pytest.mark.parametrize(("body", "path", "message"), CONVENTIONS)
def test_a_convention_is_a_warning_for_a_live_client_and_the_sandboxs_refusal_when_strict(
    body: dict[str, Any], path: str, message: str, api: Api
) -> None:
    live = leanrails.LeanRails(api_key="sk_test_x", base_url="http://127.0.0.1:9")
    with pytest.warns(leanrails.ConventionWarning, match=re.escape(message)) as warned:
        live.checkout_sessions.build(**body)
    assert [(w.message.param, w.filename) for w in warned] == [(path, __file__)]  # type: ignore[union-attr]
    strict = leanrails.LeanRails.sandbox()
    with pytest.raises(leanrails.ValidationError) as refused:
        strict.checkout_sessions.create(**body)
    answer = api.create(body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (
        (refused.value.param, refused.value.code)
        == (error["param"], error["code"])
        == (
            path,
            "parameter_invalid",
        )
    )


def test_error_text_names_the_field_in_api_path_form() -> None:
    body = valid(line_items=[{"quantity": 1, "price_data": price_data(currency="dollars")}])
    with pytest.raises(ValidationError) as caught:
        CheckoutSessionCreateParams(**body)
    assert "line_items[0].price_data.currency" in str(caught.value)
    assert "String should have at most 3 characters" in str(caught.value)


def test_every_error_is_reported_at_once() -> None:
    body = valid(customer="nope", currency="x", client_reference_id="x" * 201)
    assert [path for path, _ in errors_of(body)] == ["customer", "client_reference_id", "currency"]


def test_nested_models_built_alone_name_the_param_in_api_path_form() -> None:
    # Only the body's model rewrites locations (once per request); a nested model built alone
    # keeps pydantic's, and leanrails.ValidationError names the param all the same.
    with pytest.raises(ValidationError) as caught:
        LineItem(quantity=1, price_data={"currency": "usd", "product": "p", "unit_amount": -1})  # type: ignore[arg-type]
    assert leanrails.ValidationError.of(caught.value).param == "price_data.unit_amount"


def test_a_null_for_a_required_nested_parameter_is_that_parameter_missing() -> None:
    body = valid(line_items=[{"quantity": None, "price": "p"}, {"quantity": 1, "price": None}])
    assert errors_of(body) == [
        ("line_items[0].quantity", "Field required"),
        ("line_items[1]", "each line item must have either price or price_data"),
    ]
    assert CheckoutSessionCreateParams.model_validate(
        valid(line_items=[{"quantity": 1, "price": "p", "price_data": None}])
    ).to_api() == valid(line_items=[{"quantity": 1, "price": "p"}])


def test_a_10_mb_metadata_value_is_a_convention_refusal_with_a_short_message() -> None:
    huge = "x" * (10 * 1024 * 1024)
    params = CheckoutSessionCreateParams.model_validate(valid(metadata={"note": huge}))
    [fault] = faults(params)
    assert fault.param == "metadata[note]"
    assert len(str(refusal(fault))) < 1000
    assert len(str(leanrails.ConventionWarning(fault))) < 1000


def test_a_10_mb_body_parsed_from_json_is_a_validation_error() -> None:
    raw = json.dumps(valid(client_reference_id="x" * (10 * 1024 * 1024)))
    with pytest.raises(ValidationError) as caught:
        CheckoutSessionCreateParams.model_validate_json(raw)
    assert caught.value.errors()[0]["loc"] == ("client_reference_id",)


def test_a_failed_validation_loses_nothing_the_caller_passed() -> None:
    body = valid(customer="bad", metadata={"order": "A-1"})
    snapshot = json.loads(json.dumps(body))
    with pytest.raises(ValidationError) as caught:
        CheckoutSessionCreateParams.model_validate(body)
    assert body == snapshot
    assert caught.value.errors()[0]["input"] == "bad"


@pytest.mark.parametrize(
    "expires_in",
    [
        pytest.param(30 * 60, id="exactly-30-minutes"),
        pytest.param(24 * 3600, id="exactly-24-hours"),
    ],
)
def test_expires_at_window_is_inclusive(expires_in: int) -> None:
    params = CheckoutSessionCreateParams.model_validate(
        valid(expires_at=NOW + expires_in), context={"now": NOW}
    )
    assert params.expires_at == NOW + expires_in


@pytest.mark.parametrize(
    "ui_mode", [pytest.param("embedded", id="embedded"), pytest.param("custom", id="custom")]
)
def test_success_url_is_optional_outside_hosted_mode(ui_mode: str) -> None:
    body = {k: v for k, v in valid(ui_mode=ui_mode).items() if k != "success_url"}
    assert CheckoutSessionCreateParams.model_validate(body).ui_mode == ui_mode


def test_serialization_sends_only_what_the_caller_set() -> None:
    params = CheckoutSessionCreateParams(
        mode="payment",
        line_items=[{"quantity": 1, "price_data": price_data(tax_behavior="exclusive")}],  # type: ignore[list-item]
        success_url="https://example.com/done?session={CHECKOUT_SESSION_ID}",
        customer_email="J.Smith@Example.com",
        cancel_url=None,
    )
    assert params.to_api() == {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "usd",
                    "product": "prod_tshirt",
                    "unit_amount": 2000,
                    "tax_behavior": "exclusive",
                },
            }
        ],
        "success_url": "https://example.com/done?session={CHECKOUT_SESSION_ID}",
        "customer_email": "J.Smith@Example.com",
    }


def test_defaults_are_applied_but_not_sent() -> None:
    params = CheckoutSessionCreateParams.model_validate(valid())
    assert (params.customer_creation, params.ui_mode, params.billing_address_collection) == (
        "if_required",
        "hosted",
        "auto",
    )
    assert "ui_mode" not in params.to_api()


def test_every_documented_parameter_round_trips() -> None:
    body = valid(
        line_items=[
            {"quantity": 2, "price": "price_test_tshirt"},
            {
                "quantity": 1,
                "price_data": price_data(tax_behavior="inclusive", unit_amount=0),
            },
        ],
        cancel_url="https://example.com/cancel",
        customer="cus_123",
        customer_email="jsmith@example.com",
        customer_creation="always",
        ui_mode="hosted",
        billing_address_collection="required",
        client_reference_id="order-42",
        payment_intent_data={
            "capture_method": "manual",
            "description": "Order 42",
            "statement_descriptor": "LEANRAILS SHOP",
            "metadata": {"order": "42"},
            "application_fee_amount": 100,
        },
        currency="USD",
        expires_at=NOW + 3600,
        metadata={"order": "42"},
    )
    params = CheckoutSessionCreateParams.model_validate(body, context={"now": NOW})
    assert params.to_api() == body


def test_models_are_immutable_so_a_validated_request_stays_valid() -> None:
    params = PriceData(currency="usd", product="p", unit_amount=1)
    with pytest.raises(ValidationError, match="frozen"):
        params.unit_amount = -1  # type: ignore[misc]


def test_python_none_and_json_null_both_mean_not_sent() -> None:
    body = valid(customer=None, ui_mode=None)
    from_python = CheckoutSessionCreateParams.model_validate(body)
    from_json = CheckoutSessionCreateParams.model_validate_json(json.dumps(body))

    assert from_python.to_api() == from_json.to_api() == valid()
    assert from_json.ui_mode == "hosted"


def test_json_null_for_a_required_parameter_is_that_parameter_missing() -> None:
    with pytest.raises(ValidationError) as caught:
        CheckoutSessionCreateParams.model_validate_json(json.dumps(valid(line_items=None)))
    assert caught.value.errors()[0]["loc"] == ("line_items",)
    assert caught.value.errors()[0]["type"] == "missing"


def test_wire_bytes_are_the_compact_json_of_what_the_caller_set() -> None:
    params = CheckoutSessionCreateParams.model_validate(valid(metadata={"note": "café"}))
    assert params.to_json() == json.dumps(
        params.to_api(), separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def test_only_the_body_has_defaults_other_than_none_so_wire_bytes_leave_out_what_was_not_set() -> (
    None
):
    # to_json leaves out the unset defaults by name at the top level and relies on
    # exclude_none below it: a nested default other than None would be sent unasked.
    nested: list[type[RequestModel]] = [LineItem, PriceData, Recurring, PaymentIntentData]
    assert [model._defaulted for model in nested] == [frozenset()] * len(nested)
    assert CheckoutSessionCreateParams._defaulted == {
        "customer_creation",
        "ui_mode",
        "billing_address_collection",
    }
    bodies = [
        valid(),
        valid(ui_mode="hosted", customer_creation="if_required"),
        valid(billing_address_collection="required", cancel_url=None),
        valid(
            line_items=[
                {"quantity": 1, "price": "price_test_tshirt", "price_data": None},
                {"quantity": 2, "price_data": price_data(tax_behavior=None)},
            ],
            payment_intent_data={"description": None, "metadata": {"a": "b"}},
        ),
    ]
    for body in bodies:
        params = CheckoutSessionCreateParams.model_validate(body)
        unset = params.__pydantic_serializer__.to_json(
            params, exclude_unset=True, exclude_none=True
        )
        assert params.to_json() == unset
        for item in params.line_items:
            assert item.to_json() == item.__pydantic_serializer__.to_json(
                item, exclude_unset=True, exclude_none=True
            )


@pytest.mark.parametrize(
    ("body", "param", "hint"),
    [
        pytest.param(
            {**valid(), "succes_url": "https://example.com/done"},
            "succes_url",
            "did you mean success_url?",
            id="top-level",
        ),
        pytest.param(
            valid(line_items=[{"quantity": 1, "pricee": "price_test_tshirt"}]),
            "line_items[0].pricee",
            "did you mean price?",
            id="in-a-line-item",
        ),
        pytest.param(
            valid(payment_intent_data={"capture": "manual"}),
            "payment_intent_data.capture",
            "did you mean capture_method?",
            id="in-payment-intent-data",
        ),
        pytest.param(valid(coupon="SAVE10"), "coupon", None, id="nothing-close"),
    ],
)
def test_a_misspelled_parameter_is_refused_with_the_closest_name(
    body: dict[str, Any], param: str, hint: str | None
) -> None:
    with pytest.raises(ValidationError) as raised:
        CheckoutSessionCreateParams.model_validate(body, context={"now": NOW})
    [error] = [e for e in raised.value.errors() if e["loc"] == (param,)]
    assert error["type"] == "extra_forbidden"
    if hint is None:
        assert "did you mean" not in error["msg"]
    else:
        assert error["msg"] == f"Extra inputs are not permitted; {hint}"


def test_the_sandbox_gives_the_same_hint_for_a_misspelled_parameter(api: Api) -> None:
    response = api.create({**valid(), "succes_url": "https://example.com/done"})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "type": "invalid_request_error",
        "code": "parameter_unknown",
        "param": "succes_url",
        "message": "Received unknown parameter: succes_url. Did you mean success_url?",
    }


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param(datetime.fromtimestamp(NOW + 3600, UTC), id="utc"),
        pytest.param(
            datetime.fromtimestamp(NOW + 3600, timezone(timedelta(hours=-5))), id="utc-minus-5"
        ),
    ],
)
def test_expires_at_takes_a_timezone_aware_datetime_and_sends_its_timestamp(
    moment: datetime,
) -> None:
    params = CheckoutSessionCreateParams.model_validate(
        valid(expires_at=moment), context={"now": NOW}
    )
    assert params.expires_at == NOW + 3600
    assert json.loads(params.to_json())["expires_at"] == NOW + 3600


def test_a_naive_datetime_for_expires_at_is_refused_before_sending() -> None:
    naive = datetime.fromtimestamp(NOW + 3600, UTC).replace(tzinfo=None)
    with pytest.raises(ValidationError, match="timezone-aware datetime") as raised:
        CheckoutSessionCreateParams.model_validate(valid(expires_at=naive), context={"now": NOW})
    assert raised.value.errors()[0]["loc"] == ("expires_at",)


def test_an_email_at_the_special_use_test_domain_is_accepted_by_client_and_sandbox(
    api: Api,
) -> None:
    body = valid(customer_email="qa@shop.test")
    assert CheckoutSessionCreateParams.model_validate(body, context={"now": NOW}).customer_email
    response = api.create(body)
    assert response.status_code == 200, response.text
    assert response.json()["customer_email"] == "qa@shop.test"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        pytest.param(
            valid(line_items=[{"quantity": 1, "price": "price_test_tshirt"}] * 101),
            "line_items",
            id="101-line-items",
        ),
        pytest.param(
            valid(line_items=[{"quantity": 10**6, "price": "p"}]),
            "line_items[0].quantity",
            id="quantity-over-999999",
        ),
        pytest.param(
            valid(line_items=[{"quantity": 10**4299, "price": "p"}]),
            "line_items[0].quantity",
            id="quantity-of-4300-digits",
        ),
        pytest.param(
            valid(line_items=[{"quantity": 1, "price_data": price_data(unit_amount=10**8)}]),
            "line_items[0].price_data.unit_amount",
            id="unit-amount-over-99999999",
        ),
        pytest.param(
            valid(payment_intent_data={"application_fee_amount": 10**8}),
            "payment_intent_data.application_fee_amount",
            id="fee-over-99999999",
        ),
        pytest.param(
            valid(line_items=[{"quantity": 1, "price_data": price_data(product="p" * 5001)}]),
            "line_items[0].price_data.product",
            id="product-over-5000-chars",
        ),
        pytest.param(
            valid(success_url="https://example.com/" + "a" * 5000),
            "success_url",
            id="success-url-over-5000-chars",
        ),
    ],
)
def test_bounds_keep_every_total_in_a_signed_64_bit_integer(
    body: dict[str, Any], param: str, api: Api
) -> None:
    # Stripe's limits are kit conventions: the models take the body, the conventions name it.
    params = CheckoutSessionCreateParams.model_validate(body, context={"now": NOW})
    assert [f.param for f in faults(params)] == [param]
    response = api.create(body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_the_largest_allowed_order_totals_within_a_signed_64_bit_integer(api: Api) -> None:
    item = {"quantity": 999_999, "price_data": price_data(unit_amount=99_999_999)}
    response = api.create(valid(line_items=[item] * 100))
    assert response.status_code == 200, response.text
    assert response.json()["amount_total"] == 100 * 999_999 * 99_999_999 < 2**63
