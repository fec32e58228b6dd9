"""Response models: typed as the reference gives them, and lenient.

Fields the reference does not list are kept (``extra="allow"``), so a newer server never
breaks an older kit, and nothing the server said is lost.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from ._types import MaybeAbsent, UriText


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Address(ResponseModel):
    city: str | None = None
    country: str | None = None
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    state: str | None = None


class CustomerDetails(ResponseModel):
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    address: Address | None = None


class TotalDetails(ResponseModel):
    amount_discount: MaybeAbsent[int] = None
    amount_shipping: MaybeAbsent[int] = None
    amount_tax: MaybeAbsent[int] = None


class CheckoutSession(ResponseModel):
    """A Checkout Session, as ``POST /v1/checkout_sessions`` returns it."""

    id: str
    object: Literal["checkout.session"]
    mode: Literal["payment", "setup", "subscription"]
    status: Literal["open", "complete", "expired"]
    payment_status: Literal["unpaid", "paid", "no_payment_required"]
    ui_mode: Literal["hosted", "embedded", "custom"]
    customer_creation: Literal["always", "if_required"]
    billing_address_collection: Literal["auto", "required"]
    expires_at: int
    metadata: dict[str, str]
    livemode: bool
    created: int
    url: UriText | None = None
    client_secret: str | None = None
    success_url: UriText | None = None
    cancel_url: UriText | None = None
    customer: str | None = None
    customer_email: str | None = None
    customer_details: CustomerDetails | None = None
    payment_intent: str | None = None
    currency: str | None = None
    amount_subtotal: int | None = None
    amount_total: int | None = None
    total_details: MaybeAbsent[TotalDetails] = None
    client_reference_id: str | None = None
