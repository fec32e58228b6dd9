"""Customer details at completion: one set of rules for the complete helper and the page.

The ``complete`` test helper's body (:class:`CompleteParams`) and the hosted page's form
both validate the details with :class:`CustomerDetailsParams`, so both accept exactly the same
details: strings of at most 200 characters, a valid email, a two-letter country code
(stored upper-case).

Sandbox conventions: completion fills ``customer_details``. Left out, a documented test
customer is used (``customer@example.com`` or the session's ``customer_email``, with a
test address when the session requires one); an email left out is the session's
``customer_email``. A session with ``billing_address_collection=required`` needs an
address.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from .._conventions import email_fault
from .._rules import COUNTRY_CODE, MAX_CUSTOMER_FIELD_LENGTH
from .._types import Email
from ._checks import Strict
from ._errors import invalid
from ._record import Address, CustomerDetails, Session

_Text = Annotated[str, StringConstraints(max_length=MAX_CUSTOMER_FIELD_LENGTH)]


def _deliverable(value: str) -> str:
    # The page is the sandbox's own: its email field takes what the create's convention takes.
    fault = email_fault(value)
    if fault is not None:
        raise PydanticCustomError("email", "{value} {fault}", {"value": value, "fault": fault})
    return value


_Email = Annotated[Email, AfterValidator(_deliverable)]
_Country = Annotated[str, StringConstraints(pattern=f"^{COUNTRY_CODE}$", to_upper=True)]


class AddressParams(Strict):
    city: _Text | None = None
    country: _Country | None = None
    line1: _Text | None = None
    line2: _Text | None = None
    postal_code: _Text | None = None
    state: _Text | None = None


class CustomerDetailsParams(Strict):
    email: Annotated[_Email, Field(max_length=MAX_CUSTOMER_FIELD_LENGTH)] | None = None
    name: _Text | None = None
    phone: _Text | None = None
    address: AddressParams | None = None


class CompleteParams(Strict):
    """``POST /v1/test_helpers/checkout_sessions/{id}/complete``."""

    customer_details: CustomerDetailsParams | None = None


DEFAULT_TEST_CUSTOMER: Final[CustomerDetails] = {
    "email": "customer@example.com",
    "name": "Test Customer",
    "phone": None,
    "address": None,
}
DEFAULT_TEST_ADDRESS: Final[Address] = {
    "city": "Springfield",
    "country": "US",
    "line1": "1 Test Street",
    "line2": None,
    "postal_code": "12345",
    "state": "IL",
}


def fill(session: Session, details: CustomerDetailsParams | None) -> CustomerDetails:
    """The ``customer_details`` that completing ``session`` with ``details`` stores."""
    address_required = session["billing_address_collection"] == "required"
    if details is None:
        filled = DEFAULT_TEST_CUSTOMER.copy()
        filled["email"] = session["customer_email"] or filled["email"]
        if address_required:
            filled["address"] = DEFAULT_TEST_ADDRESS.copy()
        return filled
    address = details.address
    if address_required and address is None:
        raise invalid(
            "Missing required param: customer_details.address (this session has "
            "billing_address_collection=required).",
            param="customer_details.address",
            code="parameter_missing",
        )
    return {
        "email": session["customer_email"] if details.email is None else details.email,
        "name": details.name,
        "phone": details.phone,
        "address": None
        if address is None
        else {
            "city": address.city,
            "country": address.country,
            "line1": address.line1,
            "line2": address.line2,
            "postal_code": address.postal_code,
            "state": address.state,
        },
    }
