# pyright: strict
"""``checkout.py`` with four mistakes, each on a line marked ``# mistake``.

mypy --strict and pyright strict report an error on each marked line, and nowhere else;
``tests/test_typed_calls.py`` checks that, and that nothing else differs between the two.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import assert_type

import httpx2

from leanrails import (
    AsyncLeanRails,
    CheckoutSession,
    CheckoutSessionCreateBody,
    CheckoutSessionCreateParams,
    LeanRails,
    LineItem,
    LineItemParam,
)

DONE = "https://example.com/success"
TSHIRT: LineItemParam = {"quantity": 1, "price": "price_test_tshirt"}
client = LeanRails.sandbox()
sessions = client.checkout_sessions

session = sessions.create(
    mode="payment",
    line_items=[{"quantity": 2, "price": "price_test_tshirt"}],
    success_url=DONE,
)
assert_type(session, CheckoutSession)

sessions.create(mode="payment", line_itemz=[TSHIRT], success_url=DONE)  # mistake
sessions.create(
    mode="payment",
    line_items=[
        {
            "quantity": "2",  # mistake
            "price_data": {"currency": "usd", "product": "prod_mug", "unit_amount": 1200},
        }
    ],
    ui_mode="embedded",
)
sessions.create(
    mode="payment",
    line_items=[{"quantity": 1, "pricee": "price_test_tshirt"}],  # mistake
    success_url=DONE,
    payment_intent_data={"capture_method": "manuel"},  # mistake
    metadata={"order": "6735"},
    expires_at=datetime.now(UTC) + timedelta(hours=1),
)

items: list[LineItemParam] = [
    {"quantity": 1, "price_data": {"currency": "usd", "product": "prod_mug", "unit_amount": 1}}
]
body: CheckoutSessionCreateBody = {"mode": "payment", "line_items": items, "success_url": DONE}
sessions.create(**body, idempotency_key="order-6735")

request = sessions.build(**body, extra_body={"locale": "fr"})
assert_type(request, httpx2.Request)

params = CheckoutSessionCreateParams(
    mode="payment",
    line_items=[LineItem(quantity=1, price="price_test_tshirt")],
    success_url=DONE,
)
client.with_options(max_retries=0).checkout_sessions.create(params, timeout=5.0)


async def main() -> CheckoutSession:
    async with AsyncLeanRails.sandbox(default_headers={"X-Shop": "lean"}) as async_client:
        return await async_client.checkout_sessions.create(**body)
