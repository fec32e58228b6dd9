"""Response models: typed as the reference gives them, and lenient.

Fields the reference does not list are kept (``extra="allow"``), and so is an enumeration
value the kit does not know yet (``Open``, logged as a warning): a newer server never breaks
an older kit after it has acted, and nothing the server said is lost. The type checker still
sees the known values, as openai-python's and stripe-python's do.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal, Self, TypeAlias, TypeVar, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from ._types import MaybeAbsent, UriText

logger = logging.getLogger("leanrails")

T = TypeVar("T")


class _KeepUnknown:
    """The values the reference lists, else any string, kept as it is (``CheckoutSession``
    logs it): a union pydantic-core decides, with no Python call per field."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        known = handler(source)
        return core_schema.union_schema([known, core_schema.str_schema()], mode="left_to_right")

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(schema["choices"][0])


Open: TypeAlias = Annotated[T, _KeepUnknown()]


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

    @model_validator(mode="after")
    def _log_unknown_values(self) -> Self:
        for name, known in _KNOWN_VALUES.items():
            value = getattr(self, name)
            if value not in known:
                logger.warning(
                    "response field %s is %r, a value this kit does not know yet; kept as it is",
                    name,
                    value,
                )
        return self

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """In Jupyter, a table of its fields, and its JSON as text (``_display`` loads then)."""
        from ._display import bundle

        return bundle(self)


_KNOWN_VALUES = {
    name: frozenset(get_args(field.annotation))
    for name, field in CheckoutSession.model_fields.items()
    if any(isinstance(marker, _KeepUnknown) for marker in field.metadata)
}
"""The values the reference lists, of each ``Open`` field."""
