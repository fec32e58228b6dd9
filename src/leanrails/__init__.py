"""LeanRails Checkout kit: validate, preview and send Create-a-Checkout-Session requests."""

from ._params import (
    CheckoutSessionCreateParams,
    LineItem,
    PaymentIntentData,
    PriceData,
    Recurring,
)
from ._session import Address, CheckoutSession, CustomerDetails, TotalDetails
from ._version import __version__

__all__ = [
    "Address",
    "CheckoutSession",
    "CheckoutSessionCreateParams",
    "CustomerDetails",
    "LineItem",
    "PaymentIntentData",
    "PriceData",
    "Recurring",
    "TotalDetails",
    "__version__",
]
