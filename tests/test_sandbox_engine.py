"""The sandbox's API, request by request, in both modes (in-process transport and HTTP).

Every test here takes the ``api`` fixture, which runs it once per mode against a fresh
sandbox with a fixed clock, using raw httpx2 requests.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from leanrails import CheckoutSession
from leanrails.sandbox import MAX_BODY_BYTES, TEST_API_KEY

from _support.sandbox import BASIC, START, SUCCESS, Api, assert_error, basic, body, price_data

pytestmark = pytest.mark.every_store  # the same tests on memory, SQLite and PostgreSQL

# -- create: the computed response ---------------------------------------------------------


def test_create_computes_the_session_from_the_request_and_the_catalogue(api: Api) -> None:
    response = api.create(BASIC)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    session = response.json()
    assert session["id"].startswith("cs_test_")
    assert session["payment_intent"].startswith("pi_test_")
    assert session == {
        "id": session["id"],
        "object": "checkout.session",
        "mode": "payment",
        "status": "open",
        "payment_status": "unpaid",
        "ui_mode": "hosted",
        "customer_creation": "if_required",
        "billing_address_collection": "auto",
        "expires_at": START + 24 * 3600,
        "metadata": {},
        "livemode": False,
        "created": START,
        "url": f"{api.base_url}/pay/{session['id']}",
        "client_secret": None,
        "success_url": SUCCESS,
        "cancel_url": None,
        "customer": None,
        "customer_email": None,
        "customer_details": None,
        "payment_intent": session["payment_intent"],
        "currency": "usd",
        "amount_subtotal": 2 * 2000 + 1200,
        "amount_total": 2 * 2000 + 1200,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "client_reference_id": None,
    }
    CheckoutSession.model_validate(session)


def test_create_echoes_every_optional_field_as_requested(api: Api) -> None:
    request = body(
        cancel_url="https://shop.example.com/cart",
        customer="cus_123",
        customer_email="jsmith@example.com",
        customer_creation="always",
        billing_address_collection="required",
        client_reference_id="order-42",
        payment_intent_data={"capture_method": "manual", "description": "Order 42"},
        expires_at=START + 3600,
        metadata={"order": "42"},
    )
    session = api.create(request).json()

    assert session["cancel_url"] == "https://shop.example.com/cart"
    assert session["customer"] == "cus_123"
    assert session["customer_email"] == "jsmith@example.com"
    assert session["customer_creation"] == "always"
    assert session["billing_address_collection"] == "required"
    assert session["client_reference_id"] == "order-42"
    assert session["expires_at"] == START + 3600
    assert session["metadata"] == {"order": "42"}


@pytest.mark.parametrize("ui_mode", ["embedded", "custom"])
def test_embedded_and_custom_sessions_get_a_client_secret_and_no_url(
    api: Api, ui_mode: str
) -> None:
    request = {"mode": "payment", "line_items": BASIC["line_items"], "ui_mode": ui_mode}
    session = api.create(request).json()

    assert session["ui_mode"] == ui_mode
    assert session["url"] is None
    assert session["client_secret"].startswith(f"{session['id']}_secret_")


def test_price_data_amounts_are_summed_and_the_currency_is_lowercased(api: Api) -> None:
    request = body(
        line_items=[
            {"quantity": 3, "price_data": price_data("USD", 250)},
            {"quantity": 1, "price": "price_test_mug"},
        ]
    )
    session = api.create(request).json()

    assert session["currency"] == "usd"
    assert session["amount_subtotal"] == session["amount_total"] == 3 * 250 + 1200


def test_currency_names_the_line_items_currency_in_any_case(api: Api) -> None:
    request = body(line_items=[{"quantity": 1, "price": "price_test_poster_eur"}], currency="EUR")
    session = api.create(request).json()

    assert session["currency"] == "eur"
    assert session["amount_total"] == 1500


def test_a_currency_override_the_line_items_are_not_in_is_refused_at_currency(api: Api) -> None:
    # The reference lets currency override; the sandbox converts nothing (its convention).
    request = body(line_items=[{"quantity": 1, "price": "price_test_poster_eur"}], currency="GBP")
    error = assert_error(
        api.create(request), 400, "invalid_request_error", "parameter_invalid", "currency"
    )
    assert "gbp" in error["message"]
    assert "kit convention" in error["message"]


def test_each_create_makes_a_new_session_with_a_new_id(api: Api) -> None:
    first, second = api.create(BASIC).json(), api.create(BASIC).json()

    assert first["id"] != second["id"]
    assert first["payment_intent"] != second["payment_intent"]
    assert api.sandbox.session_count == 2


# -- headers on every response ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "send_key"),
    [
        pytest.param("POST", "/v1/checkout_sessions", True, id="create"),
        pytest.param("POST", "/v1/checkout_sessions", False, id="create-without-key"),
        pytest.param("GET", "/v1/checkout_sessions/cs_test_missing", False, id="missing-session"),
        pytest.param("GET", "/v1/nowhere", False, id="unknown-route"),
        pytest.param("GET", "/openapi.yaml", False, id="contract"),
    ],
)
def test_every_response_carries_a_request_id(
    api: Api, method: str, path: str, send_key: bool
) -> None:
    headers = {"Idempotency-Key": api.key()} if send_key else {}
    response = api.client.request(method, path, json=BASIC, headers=headers)

    assert response.headers["request-id"].startswith("req_")


def test_request_ids_differ_between_requests(api: Api) -> None:
    ids = {api.create(BASIC).headers["request-id"] for _ in range(3)}

    assert len(ids) == 3


def test_the_api_version_header_is_echoed(api: Api) -> None:
    response = api.create(BASIC, headers={"X-API-Version": "2026-11-01"})
    error = api.get("/v1/checkout_sessions/cs_test_x", headers={"X-API-Version": "2026-11-01"})

    assert response.headers["x-api-version"] == "2026-11-01"
    assert error.headers["x-api-version"] == "2026-11-01"
    assert "x-api-version" not in api.create(BASIC).headers


# -- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-header"),
        pytest.param("", id="empty-header"),
        pytest.param(f"Bearer {TEST_API_KEY}", id="bearer-scheme"),
        pytest.param(basic("sk_live_abc"), id="live-key"),
        pytest.param(basic("pk_test_abc"), id="publishable-key"),
        pytest.param(basic("sk_test_"), id="prefix-only"),
        pytest.param(basic(TEST_API_KEY, "secret"), id="non-empty-password"),
        pytest.param("Basic !!!not-base64!!!", id="malformed-base64"),
        pytest.param("Basic " + base64.b64encode(b"no-colon").decode(), id="no-colon"),
        pytest.param("Basic " + base64.b64encode(b"\xff\xfe:").decode(), id="not-utf8"),
    ],
)
def test_requests_without_a_test_key_get_401(api: Api, authorization: str | None) -> None:
    headers = {"Idempotency-Key": api.key()}
    if authorization is not None:
        headers["Authorization"] = authorization
    with api.anonymous() as client:
        response = client.post("/v1/checkout_sessions", json=BASIC, headers=headers)

    error = assert_error(response, 401, "authentication_error")
    assert "sk_test_" in error["message"]
    assert api.sandbox.session_count == 0


def test_any_key_with_the_test_prefix_is_accepted(api: Api) -> None:
    response = api.create(BASIC, auth=("sk_test_my_own_key", ""))

    assert response.status_code == 200


def test_auth_is_checked_before_routing_under_v1(api: Api) -> None:
    with api.anonymous() as client:
        response = client.get("/v1/nowhere", headers={"Authorization": basic("nope")})

    assert_error(response, 401, "authentication_error")


# -- bodies that are not a JSON object -------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type", "code"),
    [
        pytest.param(b'{"mode": "payment",', "application/json", "json_invalid", id="truncated"),
        pytest.param(
            b"{'mode': 'payment'}", "application/json", "json_invalid", id="single-quotes"
        ),
        pytest.param(b"\xff\xfe{}", "application/json", "json_invalid", id="not-utf8"),
        pytest.param(b"[" * 100_000, "application/json", "json_invalid", id="deeply-nested"),
        pytest.param(b"", "application/json", "body_missing", id="empty"),
        pytest.param(b"[]", "application/json", "body_not_object", id="array"),
        pytest.param(b'"payment"', "application/json", "body_not_object", id="string"),
        pytest.param(b"null", "application/json", "body_not_object", id="null"),
        pytest.param(b"42", "application/json", "body_not_object", id="number"),
        pytest.param(
            b"mode=payment",
            "application/x-www-form-urlencoded",
            "content_type_invalid",
            id="form-encoded",
        ),
        pytest.param(b"{}", "text/plain", "content_type_invalid", id="text-plain"),
        pytest.param(b"{}", None, "content_type_invalid", id="no-content-type"),
    ],
)
def test_a_body_that_is_not_a_json_object_gets_400_never_500(
    api: Api, content: bytes, content_type: str | None, code: str
) -> None:
    headers = {"Idempotency-Key": api.key()}
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = api.client.post("/v1/checkout_sessions", content=content, headers=headers)

    assert_error(response, 400, "invalid_request_error", code)


def test_content_type_parameters_such_as_charset_are_accepted(api: Api) -> None:
    response = api.client.post(
        "/v1/checkout_sessions",
        content=json.dumps(BASIC).encode(),
        headers={"Idempotency-Key": api.key(), "Content-Type": "Application/JSON; charset=utf-8"},
    )

    assert response.status_code == 200, response.text


def test_a_body_over_1_mib_gets_400(api: Api) -> None:
    big = body(metadata={"note": "x" * 400})
    padding = b" " * (MAX_BODY_BYTES + 1 - len(json.dumps(big)))
    content = json.dumps(big).encode() + padding
    assert len(content) == MAX_BODY_BYTES + 1

    response = api.client.post(
        "/v1/checkout_sessions",
        content=content,
        headers={"Idempotency-Key": api.key(), "Content-Type": "application/json"},
    )

    assert_error(response, 400, "invalid_request_error", "body_too_large")


def test_a_body_of_exactly_1_mib_is_read(api: Api) -> None:
    content = json.dumps(BASIC).encode()
    content += b" " * (MAX_BODY_BYTES - len(content))

    response = api.client.post(
        "/v1/checkout_sessions",
        content=content,
        headers={"Idempotency-Key": api.key(), "Content-Type": "application/json"},
    )

    assert response.status_code == 200, response.text


# -- the request models' rules, as API errors ------------------------------------------------


@pytest.mark.parametrize(
    ("request_body", "code", "param"),
    [
        pytest.param(
            {"line_items": BASIC["line_items"], "success_url": SUCCESS},
            "parameter_missing",
            "mode",
            id="mode-missing",
        ),
        pytest.param(
            body(mode="subscription"), "parameter_invalid", "mode", id="mode-subscription"
        ),
        pytest.param(body(line_items=[]), "parameter_invalid", "line_items", id="no-line-items"),
        pytest.param(
            body(line_items=[{"quantity": "2", "price": "price_test_mug"}]),
            "parameter_invalid",
            "line_items[0].quantity",
            id="quantity-as-string",
        ),
        pytest.param(
            body(line_items=[{"quantity": 0, "price": "price_test_mug"}]),
            "parameter_invalid",
            "line_items[0].quantity",
            id="quantity-zero",
        ),
        pytest.param(
            body(line_items=[{"quantity": 1}]),
            "parameter_invalid",
            "line_items[0]",
            id="neither-price-nor-price-data",
        ),
        pytest.param(
            body(line_items=[{"quantity": 1, "price_data": price_data("usdd")}]),
            "parameter_invalid",
            "line_items[0].price_data.currency",
            id="currency-of-4-letters",
        ),
        pytest.param(
            body(line_items=[{"quantity": 1, "price_data": price_data(unit_amount=-1)}]),
            "parameter_invalid",
            "line_items[0].price_data.unit_amount",
            id="negative-unit-amount",
        ),
        pytest.param(
            body(line_items=[{"quantity": 1, "price_data": price_data(colour="red")}]),
            "parameter_unknown",
            "line_items[0].price_data.colour",
            id="unknown-nested-field",
        ),
        pytest.param(
            body(
                line_items=[
                    {"quantity": 1, "price_data": price_data(recurring={"interval": "month"})}
                ]
            ),
            "parameter_invalid",
            "line_items[0].price_data.recurring",
            id="recurring-price-data",
        ),
        pytest.param(body(colour="red"), "parameter_unknown", "colour", id="unknown-field"),
        pytest.param(
            {"mode": "payment", "line_items": BASIC["line_items"]},
            "parameter_missing",
            "success_url",
            id="hosted-without-success-url",
        ),
        pytest.param(
            body(success_url="/relative"),
            "parameter_invalid",
            "success_url",
            id="relative-success-url",
        ),
        pytest.param(
            body(customer="usr_1"), "parameter_invalid", "customer", id="customer-pattern"
        ),
        pytest.param(
            body(customer_email="not-an-email"),
            "parameter_invalid",
            "customer_email",
            id="bad-email",
        ),
        pytest.param(
            body(client_reference_id="x" * 201),
            "parameter_invalid",
            "client_reference_id",
            id="reference-too-long",
        ),
        pytest.param(body(ui_mode="popup"), "parameter_invalid", "ui_mode", id="unknown-ui-mode"),
        pytest.param(
            body(metadata={"k": 1}), "parameter_invalid", "metadata[k]", id="metadata-number"
        ),
        pytest.param(
            body(expires_at=START + 29 * 60),
            "parameter_invalid",
            "expires_at",
            id="expires-in-29-minutes",
        ),
        pytest.param(
            body(expires_at=START + 24 * 3600 + 1),
            "parameter_invalid",
            "expires_at",
            id="expires-after-24-hours",
        ),
    ],
)
def test_a_body_that_breaks_a_model_rule_gets_400_naming_the_param(
    api: Api, request_body: dict[str, Any], code: str, param: str
) -> None:
    response = api.create(request_body)

    assert_error(response, 400, "invalid_request_error", code, param)
    assert api.sandbox.session_count == 0


def test_the_expires_at_window_follows_the_sandbox_clock(api: Api) -> None:
    api.clock.advance(1000)

    ok = api.create(body(expires_at=START + 1000 + 30 * 60))
    late = api.create(body(expires_at=START + 30 * 60))

    assert ok.status_code == 200, ok.text
    assert_error(late, 400, "invalid_request_error", "parameter_invalid", "expires_at")


# -- server-side rules -----------------------------------------------------------------------


def test_an_unknown_price_gets_400_resource_missing(api: Api) -> None:
    request = body(
        line_items=[
            {"quantity": 1, "price": "price_test_mug"},
            {"quantity": 1, "price": "price_nope"},
        ]
    )

    error = assert_error(
        api.create(request), 400, "invalid_request_error", "resource_missing", "line_items[1].price"
    )
    assert "price_nope" in error["message"]
    assert "price_test_tshirt" in error["message"]


def test_a_recurring_catalogue_price_is_rejected_in_payment_mode_with_the_reason(api: Api) -> None:
    request = body(line_items=[{"quantity": 1, "price": "price_test_monthly"}])

    error = assert_error(
        api.create(request),
        400,
        "invalid_request_error",
        "parameter_invalid",
        "line_items[0].price",
    )
    assert "recurring" in error["message"]
    assert "payment" in error["message"]


@pytest.mark.parametrize(
    ("items", "param"),
    [
        pytest.param(
            [
                {"quantity": 1, "price": "price_test_tshirt"},
                {"quantity": 1, "price": "price_test_poster_eur"},
            ],
            "line_items[1].price",
            id="catalogue-prices",
        ),
        pytest.param(
            [
                {"quantity": 1, "price": "price_test_tshirt"},
                {"quantity": 1, "price_data": price_data("eur")},
            ],
            "line_items[1].price_data.currency",
            id="price-data",
        ),
    ],
)
@pytest.mark.parametrize("currency", [None, "usd"], ids=["without-currency", "with-currency"])
def test_line_items_in_two_currencies_get_400_with_or_without_currency(
    api: Api, items: list[dict[str, Any]], param: str, currency: str | None
) -> None:
    request = body(line_items=items, **({} if currency is None else {"currency": currency}))
    at = param if currency is None else "currency"  # an override is what the items are not in
    error = assert_error(api.create(request), 400, "invalid_request_error", "parameter_invalid", at)
    assert "usd" in error["message"]
    assert "eur" in error["message"]


# -- retrieve, expire, complete ----------------------------------------------------------------


def test_a_created_session_can_be_retrieved(api: Api) -> None:
    created = api.create(BASIC).json()

    response = api.get(f"/v1/checkout_sessions/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/v1/checkout_sessions/cs_test_nope", id="retrieve"),
        pytest.param("POST", "/v1/checkout_sessions/cs_test_nope/expire", id="expire"),
        pytest.param(
            "POST", "/v1/test_helpers/checkout_sessions/cs_test_nope/complete", id="complete"
        ),
    ],
)
def test_an_unknown_session_gets_404_resource_missing(api: Api, method: str, path: str) -> None:
    response = api.client.request(method, path, json={}, headers={"Idempotency-Key": api.key()})

    error = assert_error(response, 404, "invalid_request_error", "resource_missing", "id")
    assert "cs_test_nope" in error["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/v1/checkout_sessions", id="list-is-not-served"),
        pytest.param("DELETE", "/v1/checkout_sessions/cs_test_x", id="delete"),
        pytest.param("GET", "/v1/customers", id="other-resource"),
        pytest.param("GET", "/nowhere", id="outside-v1"),
    ],
)
def test_an_unknown_route_gets_404_in_the_error_shape(api: Api, method: str, path: str) -> None:
    response = api.client.request(method, path)

    assert_error(response, 404, "invalid_request_error", "resource_missing")


def test_a_session_past_expires_at_reads_as_expired_and_cannot_be_completed(api: Api) -> None:
    session = api.create(body(expires_at=START + 3600)).json()
    api.clock.advance(3600)

    read = api.get(f"/v1/checkout_sessions/{session['id']}").json()
    complete = api.post(f"/v1/test_helpers/checkout_sessions/{session['id']}/complete", {})

    assert read["status"] == "expired"
    assert read["payment_status"] == "unpaid"
    error = assert_error(complete, 400, "invalid_request_error", "checkout_session_not_open")
    assert "expired" in error["message"]


def test_expire_ends_an_open_session_once(api: Api) -> None:
    session_id = api.create(BASIC).json()["id"]

    expired = api.post(f"/v1/checkout_sessions/{session_id}/expire", {})
    again = api.post(f"/v1/checkout_sessions/{session_id}/expire", {})

    assert expired.status_code == 200
    assert expired.json()["status"] == "expired"
    assert api.get(f"/v1/checkout_sessions/{session_id}").json()["status"] == "expired"
    assert_error(again, 400, "invalid_request_error", "checkout_session_not_open")


def test_expire_accepts_an_empty_body(api: Api) -> None:
    session_id = api.create(BASIC).json()["id"]

    response = api.post(f"/v1/checkout_sessions/{session_id}/expire")

    assert response.status_code == 200


def test_complete_pays_the_session_and_fills_customer_details(api: Api) -> None:
    session_id = api.create(body(customer_email="jsmith@example.com")).json()["id"]
    details: dict[str, Any] = {
        "email": "jane@example.com",
        "name": "Jane Smith",
        "phone": "+1 555 0100",
        "address": {
            "line1": "1 Main St",
            "city": "Springfield",
            "country": "US",
            "postal_code": "12345",
        },
    }

    response = api.post(
        f"/v1/test_helpers/checkout_sessions/{session_id}/complete", {"customer_details": details}
    )

    assert response.status_code == 200, response.text
    session = response.json()
    assert session["status"] == "complete"
    assert session["payment_status"] == "paid"
    assert session["customer_details"] == {
        **details,
        "address": {**details["address"], "line2": None, "state": None},
    }
    assert session["customer"] is None
    assert api.get(f"/v1/checkout_sessions/{session_id}").json() == session


def test_a_session_with_nothing_to_pay_needs_no_payment_before_and_after_completion(
    api: Api,
) -> None:
    free = body(line_items=[{"quantity": 1, "price_data": price_data(unit_amount=0)}])
    created = api.create(free).json()
    assert (created["amount_total"], created["payment_status"]) == (0, "no_payment_required")

    path = f"/v1/test_helpers/checkout_sessions/{created['id']}/complete"
    completed = api.post(path, {}).json()

    assert (completed["status"], completed["payment_status"]) == ("complete", "no_payment_required")


def test_complete_takes_the_country_as_the_hosted_page_does(api: Api) -> None:
    session_id = api.create(body()).json()["id"]
    path = f"/v1/test_helpers/checkout_sessions/{session_id}/complete"

    refused = api.post(path, {"customer_details": {"address": {"country": "USA"}}})
    completed = api.post(path, {"customer_details": {"address": {"country": "us"}}})

    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "customer_details.address.country"
    assert completed.json()["customer_details"]["address"]["country"] == "US"


def test_complete_without_details_uses_the_test_customer_and_customer_email(api: Api) -> None:
    session_id = api.create(body(customer_email="jsmith@example.com")).json()["id"]

    session = api.post(f"/v1/test_helpers/checkout_sessions/{session_id}/complete", {}).json()

    assert session["customer_details"]["email"] == "jsmith@example.com"
    assert session["customer_details"]["name"] == "Test Customer"
    assert session["customer_details"]["address"] is None


@pytest.mark.parametrize(
    ("changes", "customer"),
    [
        pytest.param({"customer_creation": "always"}, "new", id="always-creates-a-customer"),
        pytest.param({"customer_creation": "if_required"}, None, id="if-required-creates-none"),
        pytest.param(
            {"customer_creation": "always", "customer": "cus_known"},
            "cus_known",
            id="a-given-customer-is-kept",
        ),
    ],
)
def test_completion_creates_a_customer_only_when_customer_creation_is_always(
    api: Api, changes: dict[str, Any], customer: str | None
) -> None:
    session_id = api.create(body(**changes)).json()["id"]

    session = api.post(f"/v1/test_helpers/checkout_sessions/{session_id}/complete", {}).json()

    if customer == "new":
        assert session["customer"].startswith("cus_test_")
    else:
        assert session["customer"] == customer


def test_completing_a_session_that_requires_an_address_needs_one(api: Api) -> None:
    session_id = api.create(body(billing_address_collection="required")).json()["id"]
    path = f"/v1/test_helpers/checkout_sessions/{session_id}/complete"

    missing = api.post(path, {"customer_details": {"email": "a@example.com"}})
    defaulted = api.post(path, {})

    assert_error(
        missing, 400, "invalid_request_error", "parameter_missing", "customer_details.address"
    )
    assert defaulted.json()["customer_details"]["address"]["country"] == "US"


@pytest.mark.parametrize(
    ("details", "code", "param"),
    [
        pytest.param(
            {"colour": "red"}, "parameter_unknown", "customer_details.colour", id="unknown-field"
        ),
        pytest.param(
            {"email": "nope"}, "parameter_invalid", "customer_details.email", id="bad-email"
        ),
        pytest.param(
            {"address": {"city": 5}},
            "parameter_invalid",
            "customer_details.address.city",
            id="number-for-city",
        ),
    ],
)
def test_complete_validates_customer_details(
    api: Api, details: dict[str, Any], code: str, param: str
) -> None:
    session_id = api.create(BASIC).json()["id"]

    response = api.post(
        f"/v1/test_helpers/checkout_sessions/{session_id}/complete", {"customer_details": details}
    )

    assert_error(response, 400, "invalid_request_error", code, param)
    assert api.get(f"/v1/checkout_sessions/{session_id}").json()["status"] == "open"


def test_a_complete_session_cannot_be_completed_or_expired_again(api: Api) -> None:
    session_id = api.create(BASIC).json()["id"]
    api.post(f"/v1/test_helpers/checkout_sessions/{session_id}/complete", {})

    complete = api.post(f"/v1/test_helpers/checkout_sessions/{session_id}/complete", {})
    expire = api.post(f"/v1/checkout_sessions/{session_id}/expire", {})

    assert_error(complete, 400, "invalid_request_error", "checkout_session_not_open")
    assert_error(expire, 400, "invalid_request_error", "checkout_session_not_open")


def test_a_complete_session_stays_complete_after_expires_at(api: Api) -> None:
    session_id = api.create(body(expires_at=START + 3600)).json()["id"]
    api.sandbox.complete(session_id)
    api.clock.advance(7200)

    assert api.get(f"/v1/checkout_sessions/{session_id}").json()["status"] == "complete"


# -- the contract ----------------------------------------------------------------------------


def test_the_contract_is_served_at_openapi_yaml_without_a_key(api: Api) -> None:
    from importlib import resources

    with api.anonymous() as client:
        response = client.get("/openapi.yaml")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    assert response.content == resources.files("leanrails").joinpath("openapi.yaml").read_bytes()
