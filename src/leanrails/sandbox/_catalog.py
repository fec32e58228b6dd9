"""The sandbox's catalogue of test prices, referenced by id from ``line_items[].price``.

The default catalogue (``DEFAULT_PRICES``) is documented in the guide and stable:

=========================  ========  ===========  ======================================
id                         currency  unit_amount  what it is for
=========================  ========  ===========  ======================================
``price_test_tshirt``      usd       2000         a one-time price
``price_test_mug``         usd       1200         a second one-time price, same currency
``price_test_poster_eur``  eur       1500         mixing currencies (rejected)
``price_test_monthly``     usd       900          a recurring price (rejected in payment
                                                  mode)
=========================  ========  ===========  ======================================

Pass ``Sandbox(prices=[Price(...), ...])`` to use your own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .._rules import is_currency


@dataclass(frozen=True, slots=True)
class Price:
    """A price in the sandbox's catalogue."""

    id: str
    currency: str
    unit_amount: int
    product: str
    recurring_interval: Literal["day", "week", "month", "year"] | None = None
    """Set for a recurring price, which payment mode rejects."""

    def __post_init__(self) -> None:
        if not is_currency(self.currency):
            raise ValueError(f"{self.id}: currency must be a 3-letter code, not {self.currency!r}")
        if self.unit_amount < 0:
            raise ValueError(f"{self.id}: unit_amount must be >= 0")


DEFAULT_PRICES: tuple[Price, ...] = (
    Price("price_test_tshirt", "usd", 2000, "LeanRails T-shirt"),
    Price("price_test_mug", "usd", 1200, "LeanRails mug"),
    Price("price_test_poster_eur", "eur", 1500, "LeanRails poster (EUR)"),
    Price("price_test_monthly", "usd", 900, "LeanRails monthly membership", "month"),
)
"""The documented default catalogue."""
