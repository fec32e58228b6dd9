"""The hosted page's test cards and its card-field checks.

**Kit convention**, modelled on Stripe's test cards (the reference defines no card
numbers): each documented number has one outcome, whatever the expiry date and CVC, as
long as those are valid. Any other number that passes the Luhn check is refused as "not a
test card", so no real card number is ever taken. Spaces and dashes in a number are
ignored; the expiry date is ``MM / YY`` (or ``MM/YYYY``) and not in the past by the
sandbox's clock; the CVC is 3 or 4 digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

Outcome = Literal["pays", "declined", "confirm"]


@dataclass(frozen=True, slots=True)
class Card:
    """One documented card number and what paying with it does."""

    number: str
    brand: str
    outcome: Outcome
    does: str
    """What paying with it does, as the page's list of test cards says."""
    reason: str = ""
    """For a decline, the reason the page shows the customer."""

    @property
    def spaced(self) -> str:
        """The number as printed on a card: ``4242 4242 4242 4242``."""
        return " ".join(self.number[i : i + 4] for i in range(0, len(self.number), 4))


TEST_CARDS: Final = (
    Card("4242424242424242", "Visa", "pays", "pays"),
    Card("5555555555554444", "Mastercard", "pays", "pays"),
    Card("4000000000000002", "Visa", "declined", "is declined", "Your card was declined."),
    Card(
        "4000000000009995",
        "Visa",
        "declined",
        "is declined for insufficient funds",
        "Your card has insufficient funds.",
    ),
    Card("4000002500003155", "Visa", "confirm", "asks you to confirm (3D Secure), then pays"),
)
_BY_NUMBER: Final = {card.number: card for card in TEST_CARDS}
_EXPIRY: Final = re.compile(r"(\d{1,2})\s*/?\s*(\d{2}|\d{4})")
_MAX_YEARS_AHEAD: Final = 20

MESSAGES: Final = {
    "card_number": "Enter your card number.",
    "card_expiry": "Enter your card's expiry date.",
    "card_cvc": "Enter your card's security code (CVC).",
}
_INVALID_NUMBER: Final = "Your card number is incomplete or invalid."
_NOT_A_TEST_CARD: Final = (
    "This sandbox takes test cards only, such as 4242 4242 4242 4242: no real card is charged."
)
_INVALID_EXPIRY: Final = "Enter the expiry date as MM / YY, such as 12 / 34."
_PAST_EXPIRY: Final = "Your card's expiry date is in the past."
_FAR_EXPIRY: Final = "Your card's expiry year is invalid."
_INVALID_CVC: Final = "Your card's security code (CVC) is 3 or 4 digits."


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every card number carries (catches a mistyped digit)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _well_formed(digits: str) -> bool:
    return digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19 and luhn_valid(digits)


def check_card(
    number: str, expiry: str, cvc: str, now: float
) -> tuple[dict[str, str], Card | None]:
    """An error message per card field at fault, and the test card when all three are valid."""
    errors: dict[str, str] = {}
    card = None
    digits = re.sub(r"[\s-]", "", number)
    if not digits:
        errors["card_number"] = MESSAGES["card_number"]
    elif not _well_formed(digits):
        errors["card_number"] = _INVALID_NUMBER
    elif digits not in _BY_NUMBER:
        errors["card_number"] = _NOT_A_TEST_CARD
    else:
        card = _BY_NUMBER[digits]
    expiry_error = _expiry_error(expiry.strip(), now)
    if expiry_error:
        errors["card_expiry"] = expiry_error
    cvc = cvc.strip()
    if not cvc:
        errors["card_cvc"] = MESSAGES["card_cvc"]
    elif not (cvc.isascii() and cvc.isdigit() and len(cvc) in (3, 4)):
        errors["card_cvc"] = _INVALID_CVC
    return errors, (card if not errors else None)


def _expiry_error(expiry: str, now: float) -> str | None:
    if not expiry:
        return MESSAGES["card_expiry"]
    match = _EXPIRY.fullmatch(expiry)
    if match is None or not expiry.isascii():
        return _INVALID_EXPIRY
    month, year = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        return _INVALID_EXPIRY
    today = datetime.fromtimestamp(now, UTC)
    if year < 100:
        year += today.year // 100 * 100
    if (year, month) < (today.year, today.month):
        return _PAST_EXPIRY
    if year > today.year + _MAX_YEARS_AHEAD:
        return _FAR_EXPIRY
    return None
