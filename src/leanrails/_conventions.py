"""Kit conventions: the rules the kit follows where the reference is silent, after Stripe.

The request models (``_params.py``) hold what the reference states, and refuse it on both
sides of the wire. This module holds the rest, as one walk over a validated request:

- the sandbox refuses the first fault (400, the ``param`` and ``code`` below), as the
  documented behaviour of a stand-in for a Stripe-like server;
- the client warns (:class:`ConventionWarning`) and sends: a live server may allow more;
- a client made with ``strict=True`` (a sandbox client's default) refuses before sending,
  with the sandbox's ``param`` and ``code``.

docs/conventions.md lists each of them; ``openapi.yaml`` marks each keyword ``convention``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ._params import CheckoutSessionCreateParams, ValidationError, error_code
from ._rules import MAX_BODY_BYTES, uri_fault

# Stripe's limits, so that every total fits a signed 64-bit integer:
# 100 line items x 999,999 x 99,999,999 is about 1e16, far below 2**63.
MAX_AMOUNT: Final = 99_999_999
MAX_QUANTITY: Final = 999_999
MAX_LINE_ITEMS: Final = 100
MAX_STRING: Final = 5_000
MAX_INTERVAL_COUNT: Final = 1_095  # three years of days, Stripe's longest interval
MAX_STATEMENT_DESCRIPTOR: Final = 22
MAX_METADATA_KEYS: Final = 50
MAX_METADATA_KEY: Final = 40
MAX_METADATA_VALUE: Final = 500

# An address a mail system delivers to today (RFC 5321 section 4.5.3.1's sizes; the
# special-use names of RFC 6761 and 6762, .test kept for sandboxes and test suites).
_MAX_LOCAL_PART: Final = 64
_MAX_ADDRESS: Final = 254
_UNDELIVERABLE_TLDS: Final = frozenset({"invalid", "localhost", "local", "onion", "arpa"})


@dataclass(frozen=True, slots=True)
class Fault:
    """A request that breaks a convention: where, which rule, and why it is only the kit's."""

    param: str | None
    rule: str
    message: str
    value: Any = None
    why: str = "Stripe's limit"

    @property
    def code(self) -> str:
        """The API's ``error.code`` for it, as for a refusal of the models."""
        return error_code(self.rule)


class ConventionWarning(UserWarning):
    """The request breaks a kit convention: a rule the reference does not state.

    The client sends the request anyway (a live server may allow it); the sandbox, and a
    client made with ``strict=True``, refuse it with this ``param`` and ``code``. Silence it
    with ``warnings.filterwarnings("ignore", category=leanrails.ConventionWarning)``.
    """

    def __init__(self, fault: Fault) -> None:
        self.param = fault.param
        self.rule = fault.rule
        self.code = fault.code
        self.why = fault.why
        where = fault.param or "the request"
        super().__init__(
            f"{where}: {fault.message} ({fault.why}). Sent anyway: a kit convention, not a "
            f"rule of the reference; the sandbox answers 400 {fault.code}, and a client made "
            "with strict=True refuses it before sending"
        )


# Each check is a condition in faults(), which costs a few comparisons when nothing is
# wrong; the Fault that explains a broken one is built only then.


def _bounds(param: str, value: int, low: int, high: int, why: str = "Stripe's limit") -> Fault:
    if value < low:
        return Fault(
            param, "greater_than_equal", f"must be at least {low:,}, got {value:,}", value, why
        )
    return Fault(param, "less_than_equal", f"must be at most {high:,}, got {value:,}", value, why)


def _length(param: str, value: str, high: int = MAX_STRING) -> Fault:
    if not value:
        return Fault(param, "string_too_short", "must not be empty", value, "Stripe's rule")
    message = f"must be at most {high:,} characters, got {len(value):,}"
    return Fault(param, "string_too_long", message, value)


def _url(found: list[Fault], param: str, value: str | None) -> None:
    if value is None:
        return
    if not 0 < len(value) <= MAX_STRING:
        found.append(_length(param, value))
    if uri_fault(value) == "unsafe_scheme":
        found.append(
            Fault(
                param,
                "uri_scheme",
                "must not be a javascript:, data:, file:, intent:, ms-... or other URI that "
                "runs script, opens local files or starts a program",
                value,
                "the hosted page sends the customer there",
            )
        )


def _metadata(found: list[Fault], param: str, metadata: Mapping[str, str] | None) -> None:
    if metadata is None:
        return
    if len(metadata) > MAX_METADATA_KEYS:
        message = f"must have at most {MAX_METADATA_KEYS} keys, got {len(metadata)}"
        found.append(Fault(param, "too_long", message, len(metadata)))
    for key, value in metadata.items():
        if not 0 < len(key) <= MAX_METADATA_KEY:
            message = f"a key must be 1 to {MAX_METADATA_KEY} characters, got {len(key)}"
            found.append(Fault(f"{param}[{key}]", "metadata_key", message, key))
        if len(value) > MAX_METADATA_VALUE:
            message = f"a value must be at most {MAX_METADATA_VALUE} characters, got {len(value)}"
            found.append(Fault(f"{param}[{key}]", "string_too_long", message, value))


def email_fault(value: str) -> str | None:
    """Why an address that ``format: email`` allows is not one mail is delivered to today
    (a quoted local part, an address literal, a special-use or dotless domain, over RFC
    5321's sizes), or None. Cheap: a few string operations."""
    if len(value) > _MAX_ADDRESS:
        return f"is {len(value)} characters, more than the {_MAX_ADDRESS} a mailbox can have"
    if value[0] == '"' or value[-1] == "]":
        return "has a quoted local part or an address literal, which mail services refuse"
    local, _, domain = value.rpartition("@")
    if len(local) > _MAX_LOCAL_PART or (
        not local.isascii() and len(local.encode()) > _MAX_LOCAL_PART
    ):
        return f"has a local part over {_MAX_LOCAL_PART} bytes"
    _, dot, tld = domain.rpartition(".")
    if not dot or tld.isdigit() or tld.lower() in _UNDELIVERABLE_TLDS:
        return f"has a domain ({domain}) that mail is not delivered to"
    return None


def _line_items(found: list[Fault], params: CheckoutSessionCreateParams) -> None:
    items = params.line_items
    if len(items) > MAX_LINE_ITEMS:
        message = f"must have at most {MAX_LINE_ITEMS} line items, got {len(items)}"
        found.append(Fault("line_items", "too_long", message, len(items)))
    # One currency: a total adds amounts of one currency, and nothing is converted, so the
    # inline prices share the first one's currency, or the override's.
    override = params.currency
    expected = override.lower() if override is not None else None
    first = ""
    for index, item in enumerate(items):
        if not 1 <= item.quantity <= MAX_QUANTITY:
            found.append(_bounds(f"line_items[{index}].quantity", item.quantity, 1, MAX_QUANTITY))
        price, data = item.price, item.price_data
        if price is not None:
            if not 0 < len(price) <= MAX_STRING:
                found.append(_length(f"line_items[{index}].price", price))
            if data is not None:
                found.append(
                    Fault(
                        f"line_items[{index}]",
                        "price_or_price_data",
                        "has both price and price_data; send one of the two",
                        None,
                        "Stripe's rule",
                    )
                )
        if data is None:
            continue
        at = f"line_items[{index}].price_data"
        if not 0 < len(data.product) <= MAX_STRING:
            found.append(_length(f"{at}.product", data.product))
        if not 0 <= data.unit_amount <= MAX_AMOUNT:
            found.append(_bounds(f"{at}.unit_amount", data.unit_amount, 0, MAX_AMOUNT))
        recurring = data.recurring
        if recurring is not None:
            count = recurring.interval_count
            if count is not None and not 1 <= count <= MAX_INTERVAL_COUNT:
                why = "Stripe's limit: three years"
                found.append(
                    _bounds(f"{at}.recurring.interval_count", count, 1, MAX_INTERVAL_COUNT, why)
                )
            found.append(
                Fault(
                    f"{at}.recurring",
                    "recurring_in_payment_mode",
                    "is a recurring price, which a payment-mode session cannot buy; remove "
                    "recurring or use a one-time price",
                    recurring.model_dump(exclude_none=True),
                    "Stripe's rule; payment is the only mode there is",
                )
            )
        currency = data.currency.lower()
        if expected is None:
            expected, first = currency, f"line_items[{index}]"
        elif currency != expected and expected != "":
            where = "the currency override" if override else first
            found.append(
                Fault(
                    "currency" if override else f"{at}.currency",
                    "one_currency",
                    f"line_items[{index}] is in {currency} but {where} is in {expected}",
                    override if override else data.currency,
                    "a session's line items share one currency; the sandbox converts nothing",
                )
            )
            expected = ""  # reported once


def faults(params: CheckoutSessionCreateParams) -> list[Fault]:
    """Every convention ``params`` breaks, in the body's order (the sandbox answers the first)."""
    found: list[Fault] = []
    _line_items(found, params)
    _url(found, "success_url", params.success_url)
    _url(found, "cancel_url", params.cancel_url)
    customer = params.customer
    if customer is not None and len(customer) > MAX_STRING:
        found.append(_length("customer", customer))
    email = params.customer_email
    why_not = None if email is None else email_fault(email)
    if why_not is not None:
        found.append(
            Fault("customer_email", "email", f"{email!r} {why_not}", email, "Stripe's rule")
        )
    if params.client_reference_id == "":
        found.append(_length("client_reference_id", ""))
    intent = params.payment_intent_data
    if intent is not None:
        text = intent.description
        if text is not None and not 0 < len(text) <= MAX_STRING:
            found.append(_length("payment_intent_data.description", text))
        text = intent.statement_descriptor
        if text is not None and not 0 < len(text) <= MAX_STATEMENT_DESCRIPTOR:
            param = "payment_intent_data.statement_descriptor"
            found.append(_length(param, text, MAX_STATEMENT_DESCRIPTOR))
        _metadata(found, "payment_intent_data.metadata", intent.metadata)
        fee = intent.application_fee_amount
        if fee is not None and not 0 <= fee <= MAX_AMOUNT:
            found.append(_bounds("payment_intent_data.application_fee_amount", fee, 0, MAX_AMOUNT))
    _metadata(found, "metadata", params.metadata)
    return found


def body_size_fault(size: int) -> Fault | None:
    """The 1 MiB body limit (a kit convention the sandbox answers before reading a body)."""
    if size <= MAX_BODY_BYTES:
        return None
    return Fault(
        None,
        "body_too_large",
        f"the request body is {size:,} bytes, more than {MAX_BODY_BYTES:,} bytes (1 MiB)",
        size,
        "the sandbox's limit",
    )


def refusal(fault: Fault, title: str = "CheckoutSessionCreateParams") -> ValidationError:
    """``fault`` as the ``ValidationError`` the sandbox answers (and a strict client raises)."""
    message = f"{fault.message} (kit convention: {fault.why})"
    return ValidationError.one(title, fault.param, fault.rule, message, fault.value)


def apply(found: list[Fault], strict: bool, *, stacklevel: int) -> None:
    """Refuse the first fault (``strict``), or warn of each, from the caller's line."""
    if not found:
        return
    if strict:
        raise refusal(found[0])
    for fault in found:
        warnings.warn(ConventionWarning(fault), stacklevel=stacklevel + 1)
