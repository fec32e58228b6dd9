"""Reusable constrained types, so each rule of the reference is written once."""

from __future__ import annotations

import ipaddress
import re
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

# `format: email` is RFC 5321's Mailbox (section 4.1.2), with RFC 6531's UTF-8 where it
# allows it: a dot-atom or a quoted local part, and a domain or an address literal.
_U8 = "\x80-\U0010ffff"
_ATOM = rf"[A-Za-z0-9!#$%&'*+\-/=?^_`{{|}}~{_U8}]+"
_QUOTED = rf'"(?:[\x20\x21\x23-\x5b\x5d-\x7e{_U8}]|\\[\x20-\x7e])*"'
_LABEL = rf"[A-Za-z0-9{_U8}](?:[A-Za-z0-9\-{_U8}]*[A-Za-z0-9{_U8}])?"
_MAILBOX = re.compile(
    rf"(?:{_ATOM}(?:\.{_ATOM})*|{_QUOTED})@(?:{_LABEL}(?:\.{_LABEL})*|\[(?P<literal>[^\[\]\\]+)\])"
)
_GENERAL_LITERAL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?:[\x21-\x5a\x5e-\x7e]+")


def _is_address_literal(text: str) -> bool:
    """An RFC 5321 address literal's inside: IPv4, ``IPv6:...`` or a tagged general one."""
    if text[:5].lower() == "ipv6:":
        try:
            ipaddress.IPv6Address(text[5:])
        except ValueError:
            return False
        return True
    parts = text.split(".")
    if len(parts) == 4 and all(p.isdigit() and p.isascii() and len(p) <= 3 for p in parts):
        return all(int(p) <= 255 for p in parts)
    return _GENERAL_LITERAL.fullmatch(text) is not None


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

# Only what the reference states or shows: Stripe's limits on these are kit conventions,
# checked by _conventions.py (the sandbox refuses them, the client warns).
Amount = Annotated[int, Field(ge=0)]
"""An amount in the smallest currency unit (cents for ``usd``), never negative."""

IntervalCount = Annotated[int, Field(ge=1)]

CustomerId = Annotated[str, StringConstraints(pattern=r"^cus_")]
"""The id of an existing customer."""

ClientReferenceId = Annotated[str, StringConstraints(max_length=200)]


def _uri(value: str) -> str:
    # Checked, not parsed into a URL object: the caller's string is sent unchanged, so
    # templates such as {CHECKOUT_SESSION_ID} survive.
    if uri_fault(value) == "syntax":
        raise PydanticCustomError(
            "uri",
            "must be an absolute URI (RFC 3986), such as https://example.com/done or "
            "myapp://checkout/done: a scheme, and no spaces or other characters to escape",
        )
    return value


AbsoluteUri = Annotated[
    str, AfterValidator(_uri), WithJsonSchema({"type": "string", "format": "uri"})
]
"""An absolute URI (RFC 3986; ``{CHECKOUT_SESSION_ID}`` allowed), kept exactly as given."""


def _email(value: str) -> str:
    # Validated but not normalized: what the caller wrote is what is sent. One pattern, so a
    # new address costs what a repeated one does; only an address literal is parsed further.
    match = _MAILBOX.fullmatch(value)
    literal = match and match["literal"]
    if match is None or (literal is not None and not _is_address_literal(literal)):
        raise PydanticCustomError(
            "email",
            "must be an email address (RFC 5321), such as jsmith@example.com",
        )
    return value


UriText = Annotated[str, WithJsonSchema({"type": "string", "format": "uri"})]
"""A URL in a response: documented as one, not re-validated (responses are lenient)."""

Email = Annotated[
    str, AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email"})
]
"""An email address, kept exactly as given."""

Metadata = dict[str, str]
"""Key-value pairs of strings (Stripe's limits on them are kit conventions)."""
