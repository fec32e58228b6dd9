"""Pricing: a create's line items priced from the catalogue or inline, and the totals.

Sandbox conventions: the sandbox models no discounts, shipping or tax: ``total_details``
is all zeros and ``amount_total`` equals ``amount_subtotal``. ``currency`` overrides the
line items' currency (the reference), but the sandbox converts nothing, so every line item
must be in it: another is a 400 at ``currency``. Without ``currency``, all line items share
the first one's (kit convention: ``_conventions.py`` checks inline prices, this module the
catalogue's). A recurring catalogue price is refused (payment mode takes one-time prices
only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from .._params import CheckoutSessionCreateParams
from ._catalog import Price
from ._errors import SandboxError, invalid
from ._record import LineItem, TotalDetails


class Priced(NamedTuple):
    """A create's priced lines, its currency and its amounts."""

    line_items: list[LineItem]
    currency: str
    amount_subtotal: int
    total_details: TotalDetails
    amount_total: int


def price(params: CheckoutSessionCreateParams, prices: Mapping[str, Price]) -> Priced:
    """Price ``params.line_items``, or raise the 400 that names the line at fault."""
    lines: list[LineItem] = []
    subtotal = 0
    override = None if params.currency is None else params.currency.lower()
    for index, item in enumerate(params.line_items):
        if item.price is not None:
            found = _catalogue_price(item.price, index, prices)
            currency, unit_amount, product = found.currency, found.unit_amount, found.product
        else:
            assert item.price_data is not None  # the model guarantees one of the two
            data = item.price_data
            currency, unit_amount, product = data.currency, data.unit_amount, data.product
        currency = currency.lower()
        expected = override or (lines[0]["currency"] if lines else currency)
        if currency != expected:
            # Inline prices are _conventions.py's to check (the client warns of them too); a
            # catalogue price's currency only the sandbox knows.
            if override is not None:
                param, where = "currency", "the currency override"
            elif item.price is not None:
                param, where = f"line_items[{index}].price", "line_items[0]"
            else:
                param, where = f"line_items[{index}].price_data.currency", "line_items[0]"
            raise invalid(
                f"Invalid {param}: line_items[{index}] is in {currency} but {where} "
                f"is in {expected}. A session's line items share one currency and the sandbox "
                "converts nothing (kit convention).",
                param=param,
                code="parameter_invalid",
            )
        amount = item.quantity * unit_amount
        subtotal += amount
        lines.append(
            {
                "product": product,
                "price": item.price,
                "quantity": item.quantity,
                "unit_amount": unit_amount,
                "currency": currency,
                "amount": amount,
            }
        )
    details: TotalDetails = {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
    total = (
        subtotal - details["amount_discount"] + details["amount_shipping"] + details["amount_tax"]
    )
    return Priced(lines, override or lines[0]["currency"], subtotal, details, total)


def _catalogue_price(price_id: str, index: int, prices: Mapping[str, Price]) -> Price:
    found = prices.get(price_id)
    if found is not None and found.recurring_interval is None:
        return found
    param = f"line_items[{index}].price"
    if found is None:
        known = ", ".join(sorted(prices)) or "(none)"
        raise SandboxError(
            400,
            "invalid_request_error",
            "resource_missing",
            f"No such price: {price_id!r} (at {param}). The sandbox's catalogue has: {known}.",
            param,
        )
    raise invalid(
        f"Invalid {param}: {found.id} is a recurring price (billed every "
        f"{found.recurring_interval}), and a payment-mode Checkout Session "
        "takes one-time prices only. Use a one-time price.",
        param=param,
    )
