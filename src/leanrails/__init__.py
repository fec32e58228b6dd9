"""LeanRails Checkout kit: validate, preview and send Create-a-Checkout-Session requests."""

from typing import Any, is_typeddict

from pydantic import BaseModel

from ._client import AsyncLeanRails, LeanRails
from ._conventions import ConventionWarning
from ._curl import to_curl
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseTooLargeError,
    APIResponseValidationError,
    APIServerError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    IdempotencyError,
    InvalidRequestError,
    LeanRailsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UsageError,
)
from ._explore import explore
from ._logs import setup_logging as _setup_logging
from ._params import (
    CheckoutSessionCreateParams,
    LineItem,
    PaymentIntentData,
    PriceData,
    Recurring,
    ValidationError,
)
from ._response import APIResponse
from ._session import Address, CheckoutSession, CustomerDetails, TotalDetails
from ._typeddicts import (
    CheckoutSessionCreateBody,
    LineItemParam,
    PaymentIntentDataParam,
    PriceDataParam,
    RecurringParam,
)
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseTooLargeError",
    "APIResponseValidationError",
    "APIServerError",
    "APIStatusError",
    "APITimeoutError",
    "Address",
    "AsyncLeanRails",
    "AuthenticationError",
    "CheckoutSession",
    "CheckoutSessionCreateBody",
    "CheckoutSessionCreateParams",
    "ConfigurationError",
    "ConventionWarning",
    "CustomerDetails",
    "IdempotencyError",
    "InvalidRequestError",
    "LeanRails",
    "LeanRailsError",
    "LineItem",
    "LineItemParam",
    "NotFoundError",
    "PaymentIntentData",
    "PaymentIntentDataParam",
    "PermissionDeniedError",
    "PriceData",
    "PriceDataParam",
    "RateLimitError",
    "Recurring",
    "RecurringParam",
    "TotalDetails",
    "UsageError",
    "ValidationError",
    "__version__",
    "explore",
    "to_curl",
]

# Tracebacks, reprs and pickles name the public home (leanrails.NotFoundError), not the
# private module; the pydantic models and TypedDicts keep theirs, where their annotations
# resolve.
for _name in __all__:
    _public = globals()[_name]
    if isinstance(_public, type) and not (issubclass(_public, BaseModel) or is_typeddict(_public)):
        _public.__module__ = __name__

_setup_logging()


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext leanrails``: built requests as tables, uncaught kit errors as the kit's table
    with the traceback collapsed. ``import leanrails`` alone changes nothing in IPython."""
    from ._jupyter import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext leanrails``: IPython's own display and tracebacks again."""
    from ._jupyter import unload

    unload(ipython)
