"""The body of ``create`` as TypedDicts, so type checkers and editors know every key.

``create(line_items=[{...}])`` is checked key by key against these (a misspelled key, a
wrong type or a value outside an enumeration is a type error), and a dict written ahead
of the call type-checks when annotated with one of them: ``body: CheckoutSessionCreateBody
= {...}; create(**body)``. At run time they are plain dicts, validated by the pydantic
models of ``_params.py`` (which also accept a nested model where its dict goes; typed as
dicts only, a mistake gets the checkers' precise message: which key, which type).
Each key's docstring is the contract's description: ``tests/test_typed_calls.py`` keeps
the keys, their types and their descriptions in step with the models and openapi.yaml.
No ``from __future__ import annotations`` here: with it, ``Required`` would be a string
that ``__required_keys__`` (and pydantic, for one) cannot see at run time.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Literal, Required, TypeAlias, TypedDict

Mode: TypeAlias = Literal["payment"]
Interval: TypeAlias = Literal["day", "week", "month", "year"]
TaxBehavior: TypeAlias = Literal["inclusive", "exclusive", "unspecified"]
CaptureMethod: TypeAlias = Literal["automatic", "automatic_async", "manual"]
CustomerCreation: TypeAlias = Literal["always", "if_required"]
UiMode: TypeAlias = Literal["hosted", "embedded", "custom"]
BillingAddressCollection: TypeAlias = Literal["auto", "required"]


class RecurringParam(TypedDict, total=False):
    """``line_items[].price_data.recurring``: how often an inline price recurs."""

    interval: Required[Interval]
    """How often the price recurs. Inferred enumeration: the reference shows only the example
    "day"."""
    interval_count: int
    """The number of intervals between charges. Kit convention (Stripe's limit): at most 1,095
    (three years)."""


class PriceDataParam(TypedDict, total=False):
    """``line_items[].price_data``: an inline price, instead of a ``price`` id."""

    currency: Required[str]
    """Three-letter ISO currency code."""
    product: Required[str]
    """ID of the product this price belongs to. Kit convention (Stripe's limits): not empty, at
    most 5,000 characters."""
    unit_amount: Required[int]
    """The unit amount, in the smallest currency unit. Kit convention (Stripe's limit): at most
    99,999,999, so that every total fits a signed 64-bit integer."""
    tax_behavior: TaxBehavior
    """Whether the unit amount includes tax. Inferred enumeration: the reference shows only the
    example "inclusive"."""
    recurring: RecurringParam
    """How an inline price recurs. In the reference (its example request); a payment-mode
    session cannot buy it in Stripe (kit convention, x-leanrails-rules)."""


class LineItemParam(TypedDict, total=False):
    """``line_items[]``: one thing bought, with exactly one of ``price`` and ``price_data``."""

    quantity: Required[int]
    """The quantity of the line item being purchased. Kit convention (Stripe's limits): at least
    1, at most 999,999."""
    price: str
    """The ID of an existing price. Kit convention (Stripe's limits): not empty, at most 5,000
    characters."""
    price_data: PriceDataParam
    """An inline price. The reference's example shows currency, product and unit_amount; the kit
    requires them (a price needs its currency and amount), as Stripe does."""


class PaymentIntentDataParam(TypedDict, total=False):
    """``payment_intent_data``: data to pass to the underlying PaymentIntent."""

    capture_method: CaptureMethod
    """When to capture the funds. Inferred enumeration: the reference shows only the example
    "automatic"."""
    description: str
    """An arbitrary string attached to the PaymentIntent. Kit convention (Stripe's limits): not
    empty, at most 5,000 characters."""
    statement_descriptor: str
    """Text on the customer's statement. Kit convention (Stripe's limits): not empty, at most 22
    characters."""
    metadata: dict[str, str]
    """Set of key-value pairs for storing additional information. Kit convention (Stripe's
    limits): at most 50 keys, keys of 1 to 40 characters, string values of at most 500
    characters."""
    application_fee_amount: int
    """The fee, in the smallest currency unit, for the platform. Kit convention (Stripe's
    limit): at most 99,999,999."""


class CheckoutSessionCreateBody(TypedDict, total=False):
    """The body of ``POST /v1/checkout_sessions`` as a dict: ``create(**body)`` type-checks.

    Each key is a keyword parameter of ``create``, described there.
    """

    mode: Required[Mode]
    line_items: Required[Iterable[LineItemParam]]
    success_url: str
    cancel_url: str
    customer: str
    customer_email: str
    customer_creation: CustomerCreation
    ui_mode: UiMode
    billing_address_collection: BillingAddressCollection
    client_reference_id: str
    payment_intent_data: PaymentIntentDataParam
    currency: str
    expires_at: int | datetime
    metadata: dict[str, str]
