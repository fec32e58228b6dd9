"""Reusable constrained types, so each rule of the reference is written once."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, TypeAlias, TypeVar

from pydantic import (
    AfterValidator,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from ._rules import CURRENCY_CODE, uri_fault

T = TypeVar("T")


class _NullHidden:
    """Drops ``null`` from a nullable field's JSON Schema: the contract documents leaving a
    field out, and reads a ``null`` as that (kit convention)."""

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        options = [o for o in json_schema.get("anyOf", []) if o != {"type": "null"}]
        if len(options) == 1:
            rest = {k: v for k, v in json_schema.items() if k != "anyOf"}
            return {**options[0], **rest}
        return json_schema


Omittable: TypeAlias = Annotated[T | None, _NullHidden()]
"""A field that may be left out: ``None`` (JSON ``null`` on the wire) means "not sent"."""

MaybeAbsent: TypeAlias = Annotated[T | None, _NullHidden()]
"""A response field the contract never makes null, read leniently: absent or null is None."""

Currency = Annotated[
    str,
    StringConstraints(min_length=3, max_length=3, pattern=f"^{CURRENCY_CODE}$"),
]
"""A three-letter ISO currency code, such as ``usd``."""

# Kit conventions (Stripe's limits), so that every total fits a signed 64-bit integer:
# 100 line items x 999,999 x 99,999,999 is about 1e16, far below 2**63.
MAX_AMOUNT = 99_999_999
MAX_QUANTITY = 999_999
MAX_LINE_ITEMS = 100
MAX_STRING = 5_000
MAX_INTERVAL_COUNT = 1_095  # three years of days, Stripe's longest interval

Amount = Annotated[int, Field(ge=0, le=MAX_AMOUNT)]
"""An amount in the smallest currency unit (cents for ``usd``), at most 99,999,999."""

Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
IntervalCount = Annotated[int, Field(ge=1, le=MAX_INTERVAL_COUNT)]

CustomerId = Annotated[str, StringConstraints(max_length=MAX_STRING, pattern=r"^cus_")]
"""The id of an existing customer."""

NonEmptyStr = Annotated[str, StringConstraints(min_length=1, max_length=MAX_STRING)]
ClientReferenceId = Annotated[str, StringConstraints(min_length=1, max_length=200)]
StatementDescriptor = Annotated[str, StringConstraints(min_length=1, max_length=22)]


def _uri(value: str) -> str:
    # Checked, not parsed into a URL object: the caller's string is sent unchanged, so
    # templates such as {CHECKOUT_SESSION_ID} survive.
    fault = uri_fault(value)
    if fault == "syntax":
        raise PydanticCustomError(
            "uri",
            "must be an absolute URI (RFC 3986), such as https://example.com/done or "
            "myapp://checkout/done: a scheme, and no spaces or other characters to escape",
        )
    if fault == "unsafe_scheme":
        raise PydanticCustomError(
            "uri_scheme",
            "must not be a javascript:, data:, file:, intent:, ms-... or other URI that runs "
            "script, opens local files or starts a program: the customer is sent there "
            "(kit convention)",
        )
    return value


AbsoluteUri = Annotated[
    str,
    StringConstraints(max_length=MAX_STRING),
    AfterValidator(_uri),
    WithJsonSchema({"type": "string", "format": "uri", "maxLength": MAX_STRING}),
]
"""An absolute URI (RFC 3986; ``{CHECKOUT_SESSION_ID}`` allowed), kept exactly as given."""


@lru_cache(maxsize=4096)
def _check_email(value: str) -> None:
    # A pure function of the string that costs ~40 µs: the addresses a shop sends repeat.
    # test_environment: addresses at the special-use .test domain (RFC 6761) are what a
    # sandbox and a test suite use, and a live server decides deliverability anyway.
    # email_validator loads on the first address checked, not on import leanrails.
    from email_validator import validate_email

    validate_email(value, check_deliverability=False, test_environment=True)


def _email(value: str) -> str:
    # Validated but not normalized: what the caller wrote is what is sent.
    from email_validator import EmailNotValidError

    try:
        _check_email(value)
    except EmailNotValidError as exc:
        raise PydanticCustomError(
            "email",
            "must be an email address, such as jsmith@example.com ({reason})",
            {"reason": str(exc)},
        ) from None
    return value


UriText = Annotated[str, WithJsonSchema({"type": "string", "format": "uri"})]
"""A URL in a response: documented as one, not re-validated (responses are lenient)."""

Email = Annotated[
    str, AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email"})
]
"""An email address, kept exactly as given."""

MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=40)]
MetadataValue = Annotated[str, StringConstraints(max_length=500)]
Metadata = Annotated[dict[MetadataKey, MetadataValue], Field(max_length=50)]
"""Stripe's limits (kit convention): 50 keys, keys of 1-40 characters, values up to 500."""
