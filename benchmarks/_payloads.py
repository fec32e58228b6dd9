"""The request every benchmark sends, and the canned session a fake API answers with."""

from __future__ import annotations

import base64
import json
from typing import Any, Final

from leanrails.sandbox import TEST_API_KEY

TYPICAL_BODY: Final[dict[str, Any]] = {
    "mode": "payment",
    "line_items": [
        {"quantity": 2, "price": "price_test_tshirt"},
        {"quantity": 1, "price": "price_test_mug"},
        {
            "quantity": 3,
            "price_data": {"currency": "usd", "product": "prod_sticker", "unit_amount": 300},
        },
    ],
    "success_url": "https://shop.example.com/done?session={CHECKOUT_SESSION_ID}",
    "cancel_url": "https://shop.example.com/cart",
    "customer_email": "jsmith@example.com",
    "metadata": {"order_id": "6735", "channel": "web"},
}
"""A typical create: three line items (two catalogue prices, one inline), an email, metadata.

The catalogue prices exist in the sandbox's default catalogue, so the same body creates a
real session there.
"""

TYPICAL_JSON: Final = json.dumps(TYPICAL_BODY).encode()

CANNED_SESSION: Final[dict[str, Any]] = {
    "id": "cs_test_a1b2c3d4e5f6a7b8c9d0e1f2",
    "object": "checkout.session",
    "mode": "payment",
    "status": "open",
    "payment_status": "unpaid",
    "ui_mode": "hosted",
    "customer_creation": "if_required",
    "billing_address_collection": "auto",
    "expires_at": 1_800_086_400,
    "metadata": {"order_id": "6735", "channel": "web"},
    "livemode": False,
    "created": 1_800_000_000,
    "url": "https://sandbox.leanrails.test/pay/cs_test_a1b2c3d4e5f6a7b8c9d0e1f2",
    "client_secret": None,
    "success_url": "https://shop.example.com/done?session={CHECKOUT_SESSION_ID}",
    "cancel_url": "https://shop.example.com/cart",
    "customer": None,
    "customer_email": "jsmith@example.com",
    "customer_details": None,
    "payment_intent": "pi_test_0a1b2c3d4e5f6a7b8c9d0e1f",
    "currency": "usd",
    "amount_subtotal": 6100,
    "amount_total": 6100,
    "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
    "client_reference_id": None,
}
"""What the sandbox answers to ``TYPICAL_BODY`` (ids and times fixed)."""

CANNED_SESSION_JSON: Final = (json.dumps(CANNED_SESSION, indent=2) + "\n").encode()
"""In the sandbox's own JSON style (two-space indent), so both servers send the same bytes."""

BASIC_AUTH: Final = "Basic " + base64.b64encode(f"{TEST_API_KEY}:".encode()).decode()


def with_new_customers(count: int = 20_000) -> list[dict[str, Any]]:
    """``count`` copies of ``TYPICAL_BODY``, each with its own customer email.

    The client caches the email syntax check (it is pure and costs tens of µs); a benchmark
    that repeats one request measures that cache. Cycling through these measures a shop
    whose every checkout is a new customer: the cache never hits.
    """
    return [{**TYPICAL_BODY, "customer_email": f"shopper{i}@example.com"} for i in range(count)]


def customers_label(new_customers: bool) -> str:
    """How a row says which bodies it sent: ``with_new_customers`` or one body repeated."""
    return ", a new customer email each call" if new_customers else ", repeated"
