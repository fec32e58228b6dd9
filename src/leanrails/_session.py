"""Response models: typed as the reference gives them, and lenient.

Fields the reference does not list are kept (``extra="allow"``), and so is an enumeration
value the kit does not know yet (``Open``, logged as a warning): a newer server never breaks
an older kit after it has acted, and nothing the server said is lost. The type checker still
sees the known values, as openai-python's and stripe-python's do.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal, TypeAlias, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from ._types import MaybeAbsent, UriText

logger = logging.getLogger("leanrails")

T = TypeVar("T")


def _keep_unknown(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    try:
        return handler(value)
    except ValidationError:
        if not isinstance(value, str):
            raise
        logger.warning(
            "response field %s is %r, a value this kit does not know yet; kept as it is",
            info.field_name,
            value,
        )
        return value


Open: TypeAlias = Annotated[T, WrapValidator(_keep_unknown)]


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
    mode: Open[Literal["payment", "setup", "subscription"]]
    status: Open[Literal["open", "complete", "expired"]]
    payment_status: Open[Literal["unpaid", "paid", "no_payment_required"]]
    ui_mode: Open[Literal["hosted", "embedded", "custom"]]
    customer_creation: Open[Literal["always", "if_required"]]
    billing_address_collection: Open[Literal["auto", "required"]]
    expires_at: int
    metadata: dict[str, Any]
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

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """In Jupyter, a table of its fields, and its JSON as text (``_display`` loads then)."""
        from ._display import bundle

        return bundle(self)
