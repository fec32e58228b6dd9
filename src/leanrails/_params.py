"""Request models: every rule of the reference, checked before anything is sent.

The models are strict: ``"2"`` is not a quantity and ``2.0`` is not an amount, because a
payments API should never guess what a caller meant. Unknown fields are errors, at every
depth. A violation raises pydantic's ``ValidationError`` whose locations are in the API's
own path form (``line_items[0].price_data.currency``), the same string the API returns as
``error.param``; the client raises it as :class:`ValidationError`, which also carries the
``param`` and ``code`` the API would answer with.

Kit convention: JSON ``null`` means "not sent", as ``None`` does in Python. A null for an
optional parameter is the same as leaving it out; a null for a required one is that
parameter missing.
"""

from __future__ import annotations

import difflib
import functools
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, Self, get_args

import pydantic
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from ._errors import LeanRailsError
from ._types import (
    AbsoluteUri,
    Amount,
    ClientReferenceId,
    Currency,
    CustomerId,
    Email,
    IntervalCount,
    Metadata,
    Omittable,
)

EXPIRES_AT_MIN_SECONDS = 30 * 60
EXPIRES_AT_MAX_SECONDS = 24 * 60 * 60


def _timestamp(value: Any) -> Any:
    # A datetime is a moment only with its time zone: a naive one could be hours off.
    if not isinstance(value, datetime):
        return value
    if value.utcoffset() is None:
        raise PydanticCustomError(
            "timezone_aware",
            "must be a Unix timestamp or a timezone-aware datetime, such as "
            "datetime.now(timezone.utc) + timedelta(hours=1)",
        )
    return int(value.timestamp())


Timestamp = Annotated[int, WithJsonSchema({"type": "integer"})]


_CODES: dict[str, str] = {
    "missing": "parameter_missing",
    "extra_forbidden": "parameter_unknown",
    "body_too_large": "body_too_large",
}


def error_code(error_type: str) -> str:
    """The API's ``error.code`` for a problem of this pydantic error type, on either side."""
    return _CODES.get(error_type, "parameter_invalid")


class ValidationError(pydantic.ValidationError, LeanRailsError):
    """pydantic's ``ValidationError``, raised by the client before anything is sent; a
    ``LeanRailsError`` too, so ``except leanrails.LeanRailsError`` catches it.

    ``param`` and ``code`` are what the API answers for the same request (its first
    problem's API path, such as ``line_items[0].price_data.currency``, and code, such as
    ``parameter_missing``), so a caller reads ``error.param`` whichever side refused.
    """

    @property
    def param(self) -> str | None:
        errors = self.errors()
        return api_path(errors[0]["loc"]) or None if errors else None

    @property
    def code(self) -> str | None:
        errors = self.errors()
        return error_code(errors[0]["type"]) if errors else None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """In Jupyter, a table of (API path, message, input) (``_display`` loads then)."""
        from ._display import bundle

        return bundle(self)

    @classmethod
    def of(cls, exc: pydantic.ValidationError) -> ValidationError:
        """``exc`` as this class (the same title and problems)."""
        if isinstance(exc, cls):
            return exc
        return cls.from_exception_data(exc.title, [_init_details(e) for e in exc.errors()])

    @classmethod
    def one(cls, title: str, param: str | None, error_type: str, message: str, value: Any) -> Self:
        """A refusal with one problem, at ``param`` (None: the request as a whole)."""
        loc = () if param is None else (param,)
        custom = PydanticCustomError(error_type, message)
        return cls.from_exception_data(title, [{"type": custom, "loc": loc, "input": value}])


def _init_details(error: ErrorDetails) -> InitErrorDetails:
    return {
        "type": PydanticCustomError(error["type"], error["msg"]),
        "loc": error["loc"],
        "input": error["input"],
    }


def api_path(loc: Sequence[int | str]) -> str:
    """``("line_items", 0, "price")`` -> ``"line_items[0].price"``; a metadata key is
    bracketed, as Stripe writes it: ``("metadata", "order")`` -> ``"metadata[order]"``."""
    path = ""
    previous: int | str = ""
    for part in loc:
        if isinstance(part, int) or previous == "metadata":
            path += f"[{part}]"
        elif part != "[key]":
            path += f".{part}" if path else part
        previous = part
    return path


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The request model a field's annotation holds (``list[LineItem]`` -> LineItem)."""
    if isinstance(annotation, type) and issubclass(annotation, RequestModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


@functools.cache
def _field_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    field = model.model_fields.get(name)
    return None if field is None else _model_in(field.annotation)


def _model_at(model: type[BaseModel] | None, loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model that holds the field at ``loc`` (list indexes skipped), or None."""
    for part in loc:
        if model is None:
            return None
        if isinstance(part, str):
            model = _field_model(model, part)
    return model


def _with_api_paths(
    model: type[BaseModel], exc: pydantic.ValidationError
) -> pydantic.ValidationError:
    """``exc`` with each location in the API's path form, a null for a required nested
    parameter read as missing (null = not sent), and a misspelled parameter's closest name."""
    details: list[InitErrorDetails] = []
    for error in exc.errors():
        loc, kind, message = error["loc"], error["type"], error["msg"]
        context: dict[str, str] = {}
        name = loc[-1] if loc else None
        if isinstance(name, str) and (kind == "extra_forbidden" or error["input"] is None):
            owner = _model_at(model, loc[:-1])
            if owner is not None and kind == "extra_forbidden":
                close = difflib.get_close_matches(name, owner.model_fields, n=1)
                if close:
                    context = {"suggestion": close[0]}
                    message += "; did you mean {suggestion}?"
            elif owner is not None and kind != "missing" and name in owner.model_fields:
                kind, message = "missing", "Field required"
        path = api_path(loc)
        details.append(
            {
                "type": PydanticCustomError(kind, message, context or None),
                "loc": (path,) if path else (),
                "input": error["input"],
            }
        )
    return pydantic.ValidationError.from_exception_data(exc.title, details)


def _rule_broken(
    model: BaseModel, path: str, rule: str, message: str, value: Any
) -> pydantic.ValidationError:
    """A cross-field rule's error, located at the field it names rather than the model."""
    return pydantic.ValidationError.from_exception_data(
        type(model).__name__,
        [{"type": PydanticCustomError(rule, message), "loc": (path,), "input": value}],
    )


class RequestModel(BaseModel):
    """Strict and closed. A null is "not sent" (kit convention): a nested optional field
    takes it as None, which is never sent; the body's model reports errors at the API's
    parameter paths, a null for a required nested field as that field missing."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    _defaulted: ClassVar[frozenset[str]] = frozenset()
    """The optional fields whose default is not None: sent only when the caller sets them."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._defaulted = frozenset(
            name
            for name, field in cls.model_fields.items()
            if not field.is_required() and field.default is not None
        )

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; with ``update``, validated as the constructor validates.

        pydantic's own ``model_copy`` trusts ``update``: an unknown field would vanish from
        the request and a wrong type be sent. Here both raise ``ValidationError``; send a
        parameter the kit does not know with ``extra_body``.
        """
        if not update:
            return super().model_copy(deep=deep)
        fields = {name: getattr(self, name) for name in self.model_fields_set}
        try:
            return self.model_validate({**fields, **update})
        except pydantic.ValidationError as exc:
            raise ValidationError.of(exc) from None

    def to_api(self) -> dict[str, Any]:
        """The JSON body the API expects: the fields the caller set, and no invented nulls."""
        return self.model_dump(mode="json", exclude_unset=True, exclude_none=True)

    def to_json(self) -> bytes:
        """:meth:`to_api` as the bytes sent on the wire, serialized in one pass.

        The defaults the caller did not set are left out by name, and what is None by
        ``exclude_none``: the bytes of ``exclude_unset`` too, since a nested model's optional
        fields all default to None (a test keeps them so), at two thirds of its cost.
        """
        # A set, not a frozenset: pydantic-core reads a frozenset's exclude the slow way.
        unset = set(self._defaulted) - self.__pydantic_fields_set__
        return self.__pydantic_serializer__.to_json(self, exclude=unset or None, exclude_none=True)


class Recurring(RequestModel):
    interval: Literal["day", "week", "month", "year"]
    interval_count: Omittable[IntervalCount] = None


class PriceData(RequestModel):
    currency: Currency
    product: str
    unit_amount: Amount
    tax_behavior: Omittable[Literal["inclusive", "exclusive", "unspecified"]] = None
    recurring: Omittable[Recurring] = None


class LineItem(RequestModel):
    quantity: int
    price: Omittable[str] = None
    price_data: Omittable[PriceData] = None

    @model_validator(mode="after")
    def _price_or_price_data(self) -> Self:
        # "Not both" is a kit convention (_conventions.py); "one of them" is the reference's.
        if self.price is None and self.price_data is None:
            raise PydanticCustomError(
                "price_or_price_data", "each line item must have either price or price_data"
            )
        return self


class PaymentIntentData(RequestModel):
    capture_method: Omittable[Literal["automatic", "automatic_async", "manual"]] = None
    description: Omittable[str] = None
    statement_descriptor: Omittable[str] = None
    metadata: Omittable[Metadata] = None
    application_fee_amount: Omittable[Amount] = None


class CheckoutSessionCreateParams(RequestModel):
    """The body of ``POST /v1/checkout_sessions``.

    ``expires_at`` is checked against ``context={"now": unix_seconds}`` when given (the
    sandbox's clock, or a test's), else against the real clock.
    """

    @model_validator(mode="wrap")
    @classmethod
    def _report_api_paths(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        # Only the body's model wraps: once per request, not once per nested object. A top
        # level null is dropped, so a parameter with a default takes it.
        if isinstance(data, dict) and None in data.values():
            fields = cls.model_fields
            data = {k: v for k, v in data.items() if v is not None or k not in fields}
        try:
            params = handler(data)
        except pydantic.ValidationError as exc:
            raise _with_api_paths(cls, exc) from None
        # A cross-field rule, checked here rather than in an after validator of its own: one
        # Python call per request fewer.
        if params.ui_mode == "hosted" and params.success_url is None:
            raise _rule_broken(
                params,
                "success_url",
                "missing",
                "success_url is required when ui_mode is hosted (the default)",
                None,
            )
        return params

    mode: Literal["payment"]
    line_items: list[LineItem] = Field(min_length=1)
    success_url: Omittable[AbsoluteUri] = None
    cancel_url: Omittable[AbsoluteUri] = None
    customer: Omittable[CustomerId] = None
    customer_email: Omittable[Email] = None
    customer_creation: Literal["always", "if_required"] = "if_required"
    ui_mode: Literal["hosted", "embedded", "custom"] = "hosted"
    billing_address_collection: Literal["auto", "required"] = "auto"
    client_reference_id: Omittable[ClientReferenceId] = None
    payment_intent_data: Omittable[PaymentIntentData] = None
    currency: Omittable[Currency] = None
    expires_at: Omittable[Timestamp] = None
    metadata: Omittable[Metadata] = None

    @field_validator("expires_at", mode="before")
    @classmethod
    def _expires_at_from_datetime(cls, value: Any) -> Any:
        return _timestamp(value)

    @field_validator("expires_at")
    @classmethod
    def _expires_at_window(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None:
            return value
        now = int((info.context or {}).get("now", time.time()))
        low, high = now + EXPIRES_AT_MIN_SECONDS, now + EXPIRES_AT_MAX_SECONDS
        if not low <= value <= high:
            raise PydanticCustomError(
                "expires_at_window",
                "must be a Unix timestamp between 30 minutes and 24 hours from now "
                "({low} to {high}; now is {now})",
                {"low": low, "high": high, "now": now},
            )
        return value
