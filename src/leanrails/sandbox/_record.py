"""The typed records the store keeps, the state machine changes and the hosted page shows.

TypedDicts, not classes: a record is the very JSON the store writes and the API returns, so
it goes to and from the store and onto the wire with no conversion. The key order of
:class:`Session` is the order of the fields in a response body.
"""

from __future__ import annotations

import os
from typing import Any, Literal, TypedDict

Status = Literal["open", "complete", "expired"]
PaymentStatus = Literal["paid", "unpaid", "no_payment_required"]


class Address(TypedDict):
    city: str | None
    country: str | None
    line1: str | None
    line2: str | None
    postal_code: str | None
    state: str | None


class CustomerDetails(TypedDict):
    email: str | None
    name: str | None
    phone: str | None
    address: Address | None


class TotalDetails(TypedDict):
    amount_discount: int
    amount_shipping: int
    amount_tax: int


class Session(TypedDict):
    """A Checkout Session as ``GET /v1/checkout_sessions/{id}`` returns it.

    Grouped by who sets a field; the key order on the wire is the order ``create`` writes.
    """

    # What it is, and what the request asked for: set at create, never changed.
    id: str
    object: Literal["checkout.session"]
    livemode: bool
    created: int
    expires_at: int
    mode: Literal["payment"]
    ui_mode: Literal["hosted", "embedded", "custom"]
    url: str | None
    client_secret: str | None
    success_url: str | None
    cancel_url: str | None
    customer_creation: Literal["always", "if_required"]
    billing_address_collection: Literal["auto", "required"]
    customer_email: str | None
    client_reference_id: str | None
    metadata: dict[str, str]
    payment_intent: str
    # What pricing made of the line items.
    currency: str
    amount_subtotal: int
    total_details: TotalDetails
    amount_total: int
    # What completion and expiry change.
    status: Status
    payment_status: PaymentStatus
    customer: str | None
    customer_details: CustomerDetails | None


class LineItem(TypedDict):
    """One priced line: what the hosted page lists (the API does not return line items)."""

    product: str
    price: str | None
    quantity: int
    unit_amount: int
    currency: str
    amount: int


class SessionRecord(TypedDict):
    """What the store keeps per session: the public session and what only the sandbox sees.

    ``account`` owns the session: only its keys may read or change it through the API
    (the hosted page, like a real checkout URL, needs no key).
    """

    account: str
    session: Session
    line_items: list[LineItem]
    payment_intent_data: dict[str, Any] | None


def new_id(prefix: str) -> str:
    """A new random id, such as ``cs_test_`` followed by 24 hex digits."""
    return prefix + os.urandom(12).hex()  # secrets.token_hex(12), without its two calls
