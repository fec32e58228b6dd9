"""The reference's own example request, its placeholders filled with valid values, goes out.

The example sends both ``price`` and ``price_data``, and a recurring ``price_data`` in
payment mode: kit conventions, which a live client warns about and sends, never refuses. A
recording server on 127.0.0.1 stands in for a live LeanRails that allows them.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import leanrails

from _support.sandbox import free_port

NOW = int(time.time())

# /work/shared/reference/create-checkout-session.txt, its "<string>" placeholders filled.
REFERENCE_EXAMPLE: dict[str, Any] = {
    "mode": "payment",
    "line_items": [
        {
            "quantity": 2,
            "price": "price_1MoBy5LkdIwHu7ixZhnattbh",
            "price_data": {
                "currency": "usd",
                "product": "prod_NWjs8kKbJWmuuc",
                "unit_amount": 1,
                "tax_behavior": "inclusive",
                "recurring": {"interval": "day", "interval_count": 1},
            },
        }
    ],
    "success_url": "https://example.com/success",
    "cancel_url": "https://example.com/cancel",
    "customer": "cus_NffrFeUfNV2Hib",
    "customer_email": "jsmith@example.com",
    "customer_creation": "if_required",
    "ui_mode": "hosted",
    "billing_address_collection": "auto",
    "client_reference_id": "order-42",
    "payment_intent_data": {
        "capture_method": "automatic",
        "description": "Order 42",
        "statement_descriptor": "LEANRAILS SHOP",
        "metadata": {},
        "application_fee_amount": 1,
    },
    "currency": "usd",
    "expires_at": NOW + 3600,  # the example's 123 is no time in the window it states
    "metadata": {},
}

ANSWER = {
    "id": "cs_test_reference_example",
    "object": "checkout.session",
    "mode": "payment",
    "status": "open",
    "payment_status": "unpaid",
    "ui_mode": "hosted",
    "customer_creation": "if_required",
    "billing_address_collection": "auto",
    "expires_at": NOW + 3600,
    "metadata": {"n": 1},  # not a string: the response is read leniently all the same
    "livemode": False,
    "created": NOW,
    "payment_intent": "pi_xxx",
}


class _Recorder(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, dict(self.headers), body))
        answer = json.dumps(ANSWER).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[tuple[str, dict[str, str], bytes]]]]:
    received: list[tuple[str, dict[str, str], bytes]] = []
    handler = type("Recorder", (_Recorder,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_the_reference_example_goes_out_from_a_live_client_with_warnings_only(
    recorder: tuple[str, list[tuple[str, dict[str, str], bytes]]],
) -> None:
    url, received = recorder
    with (
        leanrails.LeanRails(api_key="sk_test_reference", base_url=url, max_retries=0) as client,
        pytest.warns(leanrails.ConventionWarning) as warned,
    ):
        session = client.checkout_sessions.create(**REFERENCE_EXAMPLE)

    [(path, headers, body)] = received
    assert path == "/v1/checkout_sessions"
    assert json.loads(body) == REFERENCE_EXAMPLE
    assert headers["Idempotency-Key"]
    # Only conventions were broken, each named: not both price and price_data, and no
    # recurring price in payment mode.
    assert sorted((w.message.param, w.message.rule) for w in warned) == [  # type: ignore[union-attr]
        ("line_items[0]", "price_or_price_data"),
        ("line_items[0].price_data.recurring", "recurring_in_payment_mode"),
    ]
    assert (session.id, session.payment_intent, session.metadata) == (
        "cs_test_reference_example",
        "pi_xxx",
        {"n": 1},
    )


def test_a_strict_client_refuses_the_same_example_before_sending_as_the_sandbox_does(
    recorder: tuple[str, list[tuple[str, dict[str, str], bytes]]],
) -> None:
    url, received = recorder
    with (
        leanrails.LeanRails(api_key="sk_test_reference", base_url=url, strict=True) as client,
        pytest.raises(leanrails.ValidationError) as refused,
    ):
        client.checkout_sessions.create(**REFERENCE_EXAMPLE)

    assert received == []
    assert (refused.value.param, refused.value.code) == ("line_items[0]", "parameter_invalid")
    sandbox = leanrails.LeanRails.sandbox(strict=False)
    with pytest.warns(leanrails.ConventionWarning), pytest.raises(leanrails.APIError) as answered:
        sandbox.checkout_sessions.create(**REFERENCE_EXAMPLE)
    error = answered.value
    assert (getattr(error, "param", None), getattr(error, "code", None)) == (
        refused.value.param,
        refused.value.code,
    )
