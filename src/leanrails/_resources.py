"""The resources (``client.checkout_sessions``, ``client.test_helpers``), written once.

Each method validates its arguments into a ``Call`` and hands it to a runner that the client
supplies, so the same method returns a ``CheckoutSession`` on the sync client, a coroutine
on the async one, an ``APIResponse`` under ``with_raw_response`` and an unsent
``httpx2.Request`` as ``build``. Per-call settings arrive as ``RequestOptions`` and pass
through to the ``Call`` untouched, so a new one is added in one place. Annotations are
evaluated (no ``from __future__ import annotations``), so ``create?`` in IPython shows the
enumerations' values rather than their aliases' names.
"""

import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Generic, TypedDict, TypeVar, Unpack
from urllib.parse import quote

import httpx2
import pydantic
from pydantic_core import to_json

from . import _conventions
from ._call import Body, Call, Headers, Query, RequestOptions, TimeoutTypes, check_idempotency_key
from ._errors import UsageError
from ._params import CheckoutSessionCreateParams, ValidationError
from ._session import CustomerDetails
from ._typeddicts import (
    BillingAddressCollection,
    CustomerCreation,
    LineItemParam,
    Mode,
    PaymentIntentDataParam,
    UiMode,
)

SESSIONS_PATH = "/v1/checkout_sessions"
HELPER_SESSIONS_PATH = "/v1/test_helpers/checkout_sessions"

_R = TypeVar("_R")
_Raw = TypeVar("_Raw")


def _idempotency_key(key: str | None) -> str:
    """The key to send: the caller's, checked as the API checks it (the same param and code,
    ``Idempotency-Key``, ``parameter_invalid``), or a new UUID4."""
    if key is None:
        return _uuid4()
    check_idempotency_key(key)
    return key


def _uuid4() -> str:
    """``str(uuid.uuid4())``: 122 random bits, version 4, RFC 4122's variant; written from
    the random bytes directly, in half the time (``uuid.UUID`` checks what needs no check)."""
    digits = os.urandom(16).hex()
    variant = "89ab"[int(digits[16], 16) & 3]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


def _session_path(session_id: str, action: str = "", *, base: str = SESSIONS_PATH) -> str:
    if not isinstance(session_id, str):
        raise UsageError(f"a checkout session id is a string, got {type(session_id).__name__}")
    if not session_id:
        raise ValidationError.one(
            "session id",
            "id",
            "parameter_missing",
            "a checkout session id is required, such as 'cs_test_...'",
            session_id,
        )
    if session_id in (".", ".."):  # quote() keeps them, and a URL resolves them
        raise ValidationError.one(
            "session id",
            "id",
            "parameter_invalid",
            f"{session_id!r} is not a checkout session id, such as 'cs_test_...': as a path "
            "segment it would address another path",
            session_id,
        )
    # Quoted whole, so an id can never walk to another path ("../", "?", "#").
    return f"{base}/{quote(session_id, safe='')}{action}"


def _post(path: str, body: bytes, idempotency_key: str, options: RequestOptions) -> Call:
    """A POST: JSON body, and an idempotency key (see ``_idempotency_key``) every retry reuses."""
    return Call(method="POST", path=path, body=body, idempotency_key=idempotency_key, **options)


class _NoOtherParams(TypedDict, total=False):
    """No key: type checkers refuse a keyword ``create`` does not name (``line_itemz=``)."""


def _create_params(
    params: CheckoutSessionCreateParams | None, fields: dict[str, Any], strict: bool
) -> CheckoutSessionCreateParams:
    # None means "not sent", as in the models; an unknown keyword reaches the model (even as
    # None), which refuses it as the API would (send it with extra_body instead).
    known = CheckoutSessionCreateParams.model_fields
    given = {k: v for k, v in fields.items() if v is not None or k not in known}
    if params is None:
        line_items = given.get("line_items")
        # Any iterable of items (a tuple, a generator); anything else is the model's to refuse.
        if not isinstance(line_items, (list, str, bytes, Mapping)) and isinstance(
            line_items, Iterable
        ):
            given["line_items"] = list(line_items)
        try:
            params = CheckoutSessionCreateParams(**given)
        except pydantic.ValidationError as exc:
            # The sandbox refuses a body over its size limit before reading it: so does a
            # strict client.
            too_large = _conventions.body_size_fault(len(to_json(given, fallback=str)))
            if too_large is not None:
                _conventions.apply([too_large], strict=strict, stacklevel=3)
            raise ValidationError.of(exc) from None
    elif given:
        raise UsageError(
            "create() takes a CheckoutSessionCreateParams or keyword fields, not both; "
            f"got params and {', '.join(sorted(given))}"
        )
    elif not isinstance(params, CheckoutSessionCreateParams):
        raise UsageError(
            "params must be a CheckoutSessionCreateParams, got "
            f"{type(params).__name__}; pass a dict's fields as keywords: create(**body)"
        )
    return params


def _check_conventions(params: CheckoutSessionCreateParams, call: Call, strict: bool) -> None:
    """The kit's conventions, after the reference's rules and in the sandbox's order (the
    size of what is sent, ``extra_body`` included, then the body's): warned of, or refused
    when ``strict``; a warning points at ``create``'s caller."""
    found = _conventions.faults(params)
    too_large = _conventions.body_size_fault(len(call.content() or b""))
    _conventions.apply(found if too_large is None else [too_large, *found], strict, stacklevel=3)


class CheckoutSessionCalls(Generic[_R]):
    """The Checkout Session calls; ``_R`` is what the client's runner returns."""

    def __init__(self, run: Callable[[Call], _R], *, strict: bool = False) -> None:
        self._run = run
        self._strict = strict

    def create(
        self,
        params: CheckoutSessionCreateParams | None = None,
        /,
        *,
        mode: Mode | None = None,
        line_items: Iterable[LineItemParam] | None = None,
        success_url: str | None = None,
        cancel_url: str | None = None,
        customer: str | None = None,
        customer_email: str | None = None,
        customer_creation: CustomerCreation | None = None,
        ui_mode: UiMode | None = None,
        billing_address_collection: BillingAddressCollection | None = None,
        client_reference_id: str | None = None,
        payment_intent_data: PaymentIntentDataParam | None = None,
        currency: str | None = None,
        expires_at: int | datetime | None = None,
        metadata: dict[str, str] | None = None,
        idempotency_key: str | None = None,
        api_version: str | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        **others: Unpack[_NoOtherParams],
    ) -> _R:
        """``POST /v1/checkout_sessions``: validate, then send with retries.

        Give the body's parameters as keywords (or ``**body``, a dict), or one
        ``CheckoutSessionCreateParams``; either way they are validated before anything is
        sent (``leanrails.ValidationError``, a pydantic ``ValidationError`` whose ``param``
        and ``code`` are what the API would answer). A kit convention (a limit or rule of
        Stripe's that the reference does not state) is a ``leanrails.ConventionWarning``
        and the request is sent, or, on a ``strict=True`` client, the sandbox's refusal as
        ``leanrails.ValidationError``. ``None`` means "not sent". Nested values are
        dicts, typed as ``LineItemParam``, ``PriceDataParam``, ``RecurringParam`` and
        ``PaymentIntentDataParam``.

        Args:
            mode: The mode of the Checkout Session. Currently only 'payment' is supported.
            line_items: Line items the customer is purchasing. Each must have either price or
                price_data. Kit convention (Stripe's limit): at most 100.
            success_url: The URL to redirect to after a successful payment. Required for hosted
                mode. Any absolute URI (RFC 3986), such as an app's deep link;
                {CHECKOUT_SESSION_ID} (or %7BCHECKOUT_SESSION_ID%7D) is replaced by the
                session's id. Kit convention: not a javascript:, data:, file:, intent:, ms-...
                or other unsafe URI; at most 5,000 characters.
            cancel_url: The URL to redirect to when the customer cancels. Any absolute URI (RFC
                3986). Kit convention: not a javascript:, data:, file:, intent:, ms-... or other
                unsafe URI, at most 5,000 characters.
            customer: ID of an existing customer.
            customer_email: Pre-fill the customer's email on the checkout page. Any address
                `format: email` allows (RFC 5321, UTF-8 as RFC 6531 allows), such as "john
                doe"@example.com or a@[192.168.0.1]; kit convention: one mail is delivered to
                (x-leanrails-rules).
            customer_creation: Whether to always create a customer, or only if required.
            ui_mode: The UI mode of the session.
            billing_address_collection: Whether to collect billing address.
            client_reference_id: A unique string to reference the session in your system. Kit
                convention: not empty.
            payment_intent_data: Data to pass to the underlying PaymentIntent.
            currency: Override the currency. Defaults to the currency of the line items. Sandbox
                convention: nothing is converted, so every inline price must be in it (400
                one_currency at currency otherwise).
            expires_at: Unix timestamp for when the session expires. Must be between 30 minutes
                and 24 hours from now.
            metadata: Set of key-value pairs for storing additional information. Kit convention
                (Stripe's limits): at most 50 keys, keys of 1 to 40 characters, string values of
                at most 500 characters.
            idempotency_key: Sent as ``Idempotency-Key``; without it one UUID4 is
                generated, and every retry reuses it, so retries never create a second
                session. Checked as the API checks it (1 to 255 printable ASCII
                characters, no space first or last) before anything is sent.
            api_version: Sent as ``X-API-Version``, overriding the client's for this call.
            timeout: Overrides the client's timeout for this call.
            max_retries: Overrides the client's number of retries for this call.
            extra_headers: Headers to add, replacing any of the same name.
            extra_query: Query parameters to add to the URL.
            extra_body: Parameters the kit does not know (yet), merged unvalidated into
                the validated body's top level.

        Returns:
            The ``CheckoutSession``: awaitable on ``AsyncLeanRails``, an ``APIResponse``
            under ``with_raw_response``, and the unsent ``httpx2.Request`` as ``build``.
        """
        fields = {
            "mode": mode,
            "line_items": line_items,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "customer": customer,
            "customer_email": customer_email,
            "customer_creation": customer_creation,
            "ui_mode": ui_mode,
            "billing_address_collection": billing_address_collection,
            "client_reference_id": client_reference_id,
            "payment_intent_data": payment_intent_data,
            "currency": currency,
            "expires_at": expires_at,
            "metadata": metadata,
            **others,
        }
        options = RequestOptions(
            api_version=api_version,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
        )
        # Checked in the API's order: the key, then the body.
        key = _idempotency_key(idempotency_key)
        params = _create_params(params, fields, self._strict)
        call = _post(SESSIONS_PATH, params.to_json(), key, options)
        _check_conventions(params, call, self._strict)
        return self._run(call)

    def retrieve(self, session_id: str, /, **options: Unpack[RequestOptions]) -> _R:
        """``GET /v1/checkout_sessions/{id}`` (a sandbox convention beyond the reference)."""
        return self._run(Call(method="GET", path=_session_path(session_id), **options))

    def expire(
        self,
        session_id: str,
        /,
        *,
        idempotency_key: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> _R:
        """``POST /v1/checkout_sessions/{id}/expire`` (a sandbox convention)."""
        path = _session_path(session_id, "/expire")
        return self._run(_post(path, b"{}", _idempotency_key(idempotency_key), options))


class CheckoutSessions(CheckoutSessionCalls[_R], Generic[_R, _Raw]):
    """``client.checkout_sessions``; ``with_raw_response`` has the same calls, unparsed."""

    def __init__(
        self,
        run: Callable[[Call], _R],
        run_raw: Callable[[Call], _Raw],
        build: Callable[[Call], httpx2.Request],
        *,
        strict: bool = False,
    ) -> None:
        super().__init__(run, strict=strict)
        self.with_raw_response = CheckoutSessionCalls(run_raw, strict=strict)
        self.build = CheckoutSessionCalls(build, strict=strict).create
        """The request ``create`` would send, unsent: for ``to_curl`` or inspection.

        It takes ``create``'s arguments; each call generates a fresh idempotency key unless
        one is given.
        """


class HelperCheckoutSessionCalls(Generic[_R]):
    """Test helpers for Checkout Sessions (sandbox conventions, not in the reference)."""

    def __init__(self, run: Callable[[Call], _R]) -> None:
        self._run = run

    def complete(
        self,
        session_id: str,
        /,
        *,
        customer_details: CustomerDetails | Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> _R:
        """``POST /v1/test_helpers/checkout_sessions/{id}/complete``: pay the session."""
        body: dict[str, Any] = {}
        if isinstance(customer_details, CustomerDetails):
            body["customer_details"] = customer_details.model_dump(mode="json", exclude_unset=True)
        elif customer_details is not None:
            body["customer_details"] = dict(customer_details)
        path = _session_path(session_id, "/complete", base=HELPER_SESSIONS_PATH)
        key = _idempotency_key(idempotency_key)
        return self._run(_post(path, to_json(body), key, options))


class HelperCheckoutSessions(HelperCheckoutSessionCalls[_R], Generic[_R, _Raw]):
    def __init__(self, run: Callable[[Call], _R], run_raw: Callable[[Call], _Raw]) -> None:
        super().__init__(run)
        self.with_raw_response = HelperCheckoutSessionCalls(run_raw)


class Helpers(Generic[_R, _Raw]):
    """``client.test_helpers``: drive the sandbox as a customer would."""

    def __init__(self, run: Callable[[Call], _R], run_raw: Callable[[Call], _Raw]) -> None:
        self.checkout_sessions = HelperCheckoutSessions(run, run_raw)
