"""The cases written by hand: one refused request per cross-field rule
(``x-leanrails-rules``) with its accepted counterpart, the reference's example request, and
requests that make the sandbox compute something."""

from __future__ import annotations

from ._contract import BASE, Case
from ._schema_cases import schema_cases


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
            "currency names the line items' currency, in any case",
            {**BASE, "currency": "USD"},
            "accept",
            "currency",
        ),
        Case(
            "currency other than the line items' is refused",
            {**BASE, "currency": "EUR"},
            "refuse",
            "line_items[].price_data.currency",
            param="line_items[0].price_data.currency",
            convention=True,
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
            "refuse",
            "line_items[].price_data.currency",
            param="line_items[1].price_data.currency",
            convention=True,
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
            "success_url: a javascript: URI is refused",
            {**BASE, "success_url": "javascript:alert(1)"},
            "refuse",
            "success_url",
            param="success_url",
            convention=True,
        ),
        Case(
            "a null optional parameter is not sent",
            {**BASE, "cancel_url": None, "metadata": None},
            "accept",
            "request",
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
