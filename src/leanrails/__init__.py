"""LeanRails Checkout kit: validate, preview and send Create-a-Checkout-Session requests."""

from importlib import import_module
from typing import TYPE_CHECKING, Any, is_typeddict

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
from ._logs import setup_logging as _setup_logging
from ._typeddicts import (
    CheckoutSessionCreateBody,
    LineItemParam,
    PaymentIntentDataParam,
    PriceDataParam,
    RecurringParam,
)
from ._version import __version__

if TYPE_CHECKING:
    # Loaded on first use (PEP 562, ``__getattr__`` below): the clients and the models build
    # pydantic's machinery, which ``import leanrails`` alone does not pay for.
    from ._client import AsyncLeanRails, LeanRails
    from ._conventions import ConventionWarning
    from ._curl import to_curl
    from ._explore import explore
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

# The home of each name loaded on first use: the imports above, which tests/test_init.py
# keeps in step with this.
_DEFERRED = {
    "AsyncLeanRails": "_client",
    "LeanRails": "_client",
    "ConventionWarning": "_conventions",
    "to_curl": "_curl",
    "explore": "_explore",
    "CheckoutSessionCreateParams": "_params",
    "LineItem": "_params",
    "PaymentIntentData": "_params",
    "PriceData": "_params",
    "Recurring": "_params",
    "ValidationError": "_params",
    "APIResponse": "_response",
    "Address": "_session",
    "CheckoutSession": "_session",
    "CustomerDetails": "_session",
    "TotalDetails": "_session",
}


def _homed(value: Any) -> Any:
    """Tracebacks, reprs and pickles name the public home (leanrails.NotFoundError), not the
    private module; the pydantic models and TypedDicts keep theirs, where their annotations
    resolve."""
    private = isinstance(value, type) and value.__module__.startswith(f"{__name__}._")
    if private and not (hasattr(value, "__pydantic_fields__") or is_typeddict(value)):
        value.__module__ = __name__
    return value


if not TYPE_CHECKING:  # a checker sees the imports above, and no catch-all attribute

    def __getattr__(name: str) -> Any:
        # The first use of any of them loads them all (they are one client: the client raises
        # ValidationError, returns CheckoutSession), so each is homed before it is first seen.
        if name not in _DEFERRED:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        for public, home in _DEFERRED.items():
            globals()[public] = _homed(getattr(import_module(f".{home}", __name__), public))
        return globals()[name]

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})


for _name in __all__:
    if _name not in _DEFERRED:
        _homed(globals()[_name])

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
