"""The sandbox engine: the state, and the answer to every request, with no transport.

A transport (the in-process httpx2 transports, or the ASGI app behind ``leanrails
sandbox``) turns its request into a :class:`SandboxRequest`, runs :meth:`Sandbox.process`
and turns the :class:`SandboxResponse` back. ``process`` is a generator: it yields a
``Hold`` whenever a delay fault holds a response, so the synchronous and asynchronous
drivers (:meth:`Sandbox.handle`, :meth:`Sandbox.handle_async`) share every line of
request handling and differ only in how they wait.

Sandbox conventions (beyond the reference):

- Authentication: HTTP Basic, a key starting ``sk_test_`` (and longer than the prefix) as
  the username, an empty password. ``TEST_API_KEY`` is the documented one. All test keys
  share one account: any of them can read any session. Idempotency records are scoped per
  key.
- Every POST under ``/v1`` needs an ``Idempotency-Key`` (1 to 255 characters). Same key,
  same method, path and body bytes within 24 hours (by the sandbox's clock): the stored
  response is replayed byte for byte, with ``Idempotent-Replayed: true`` and
  ``Original-Request: req_…`` (the first request's id); the replay has its own
  ``Request-Id``. Only successful (200) responses are stored: a request that failed
  validation or hit a fault created nothing, so it may be retried with the same key and a
  corrected body (Stripe's rule). Same key with a different body: 400
  ``idempotency_error``. Same key while the first is still in flight: 409
  ``idempotency_error``.
- ``GET /v1/checkout_sessions/{id}``, ``POST /v1/checkout_sessions/{id}/expire`` and
  ``POST /v1/test_helpers/checkout_sessions/{id}/complete``; faults at
  ``POST /v1/test_helpers/faults`` (see :mod:`._faults`).
- The sandbox models no discounts, shipping or tax: ``total_details`` is all zeros and
  ``amount_total`` equals ``amount_subtotal``. ``currency`` overrides the line items'
  currency as a label only: no conversion is made.
- A session whose ``expires_at`` has passed reads as ``expired`` and cannot be completed.
- A session with nothing to pay (``amount_total`` 0) is ``no_payment_required`` from the
  start; any other starts ``unpaid``.
- Completion sets ``status`` complete and ``payment_status`` paid (or keeps
  ``no_payment_required``), and fills
  ``customer_details``. ``customer`` is kept when the session was created with one;
  otherwise ``customer_creation=always`` creates a ``cus_test_…`` customer, and
  ``if_required`` creates none (in payment mode no Customer is required; Stripe makes a
  guest customer, which has no id), so ``customer`` stays null.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import parse_qs, quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from .._params import CheckoutSessionCreateParams
from .._session import CheckoutSession
from .._types import Email
from . import _page
from ._catalog import DEFAULT_PRICES, Price
from ._errors import SandboxError, from_validation_error, injected, invalid, not_found
from ._faults import Faults, Hold
from ._store import IdempotencyRecord, MemoryStore, SQLiteStore, Store
from ._wire import MAX_BODY_BYTES, SandboxRequest, SandboxResponse, dump_json, response

__all__ = [
    "IDEMPOTENCY_RETENTION_SECONDS",
    "IN_PROCESS_BASE_URL",
    "SESSION_LIFETIME_SECONDS",
    "TEST_API_KEY",
    "Sandbox",
]

TEST_API_KEY: Final = "sk_test_sandbox"
"""The documented sandbox key. Any key that starts with ``sk_test_`` works as well."""

IN_PROCESS_BASE_URL: Final = "https://sandbox.leanrails.test"
"""The base URL of an in-process sandbox. ``.test`` is reserved: it never resolves."""

TEST_KEY_PREFIX: Final = "sk_test_"
SESSION_LIFETIME_SECONDS: Final = 24 * 60 * 60
IDEMPOTENCY_RETENTION_SECONDS: Final = 24 * 60 * 60
MAX_IDEMPOTENCY_KEY_LENGTH: Final = 255

_JSON: Final = "application/json"
_HTML: Final = "text/html; charset=utf-8"
_LOG = logging.getLogger("leanrails.sandbox")

Step = Generator[Hold, None, SandboxResponse]
"""What :meth:`Sandbox.process` returns: yields each hold to wait out, returns the response."""


# -- bodies of the test-helper routes (strict and closed, like the request models) -------


class _Strict(BaseModel):
    # Built on first use, not at import: keeps `leanrails sandbox` quick to start.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class _AddressParams(_Strict):
    city: str | None = Field(default=None, max_length=200)
    # As on the hosted page: a two-letter ISO country code, stored upper-case.
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$", to_upper=True)] | None = (
        None
    )
    line1: str | None = Field(default=None, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=200)
    state: str | None = Field(default=None, max_length=200)


class _CustomerDetailsParams(_Strict):
    email: Email | None = None
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=200)
    address: _AddressParams | None = None


class _CompleteParams(_Strict):
    customer_details: _CustomerDetailsParams | None = None


class _EmptyParams(_Strict):
    pass


class _FailNextParams(_Strict):
    count: int = Field(ge=0, le=10_000)
    status: int = Field(default=503, ge=400, le=599)
    retry_after: int | None = Field(default=None, ge=0, le=86_400)


class _DelayParams(_Strict):
    seconds: float = Field(ge=0, le=600)
    count: int | None = Field(default=None, ge=0, le=10_000)


class _FaultParams(_Strict):
    clear: bool = False
    fail_next: _FailNextParams | None = None
    delay: _DelayParams | None = None
    drop_after_commit: int | None = Field(default=None, ge=0, le=10_000)


DEFAULT_TEST_CUSTOMER: Final[Mapping[str, Any]] = {
    "email": "customer@example.com",
    "name": "Test Customer",
    "phone": None,
    "address": None,
}
DEFAULT_TEST_ADDRESS: Final[Mapping[str, str | None]] = {
    "city": "Springfield",
    "country": "US",
    "line1": "1 Test Street",
    "line2": None,
    "postal_code": "12345",
    "state": "IL",
}


class Sandbox:
    """A stateful LeanRails: one engine, served in-process or over HTTP.

    ``clock`` returns Unix seconds and is used for ``created``, expiry and the 24-hour
    idempotency window; pass a fake one in tests. ``prices`` replaces the catalogue
    (:data:`DEFAULT_PRICES`). ``db`` is a SQLite file path: sessions and idempotency
    records then survive a restart. ``base_url`` is where hosted-page ``url`` values
    point.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        prices: Iterable[Price] | None = None,
        db: str | Path | None = None,
        base_url: str = IN_PROCESS_BASE_URL,
    ) -> None:
        self._clock = clock
        catalogue = DEFAULT_PRICES if prices is None else tuple(prices)
        self.prices: dict[str, Price] = {price.id: price for price in catalogue}
        self.base_url = base_url.rstrip("/")
        self._pay_path = urlsplit(self.base_url).path + "/pay/"
        self._store: Store = MemoryStore() if db is None else SQLiteStore(db)
        self.faults = Faults()
        self._lock = threading.RLock()
        self._in_flight: set[tuple[str, str]] = set()
        self._last_purge = self._now()

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the store (the SQLite connection, with ``db``)."""
        with self._lock:
            self._store.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        store = self._store
        where = str(store.path) if isinstance(store, SQLiteStore) else "memory"
        return f"Sandbox(base_url={self.base_url!r}, store={where!r})"

    # -- fault controls ------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 503, *, retry_after: int | None = None) -> None:
        """Answer the next ``count`` API requests with ``status``, processing nothing."""
        self.faults.fail_next(count, status, retry_after=retry_after)

    def delay_responses(self, seconds: float, *, count: int | None = None) -> None:
        """Hold the next ``count`` API responses (all, when None) for ``seconds``."""
        self.faults.delay(seconds, count=count)

    def drop_after_commit(self, count: int = 1) -> None:
        """Commit the next ``count`` creates, then drop the connection instead of answering."""
        self.faults.drop_after_commit(count)

    def clear_faults(self) -> None:
        """Remove every fault, and release responses held by a delay."""
        self.faults.clear()

    # -- Python test helpers -----------------------------------------------------------

    @property
    def session_count(self) -> int:
        """How many sessions the sandbox holds (to show that retries created exactly one)."""
        with self._lock:
            return self._store.count_sessions()

    @property
    def in_flight(self) -> int:
        """How many POSTs are being processed now (held by a delay, for example)."""
        with self._lock:
            return len(self._in_flight)

    def retrieve(self, session_id: str) -> CheckoutSession:
        """The session as ``GET /v1/checkout_sessions/{id}`` returns it."""
        with self._lock:
            return CheckoutSession.model_validate(self._present(self._load(session_id)))

    def complete(
        self, session_id: str, *, customer_details: Mapping[str, Any] | None = None
    ) -> CheckoutSession:
        """Complete and pay an open session, as a customer on the hosted page would.

        ``customer_details`` takes ``email``, ``name``, ``phone`` and ``address`` (``city``,
        ``country``, ``line1``, ``line2``, ``postal_code``, ``state``). Left out, a
        documented test customer is used (``customer@example.com`` or the session's
        ``customer_email``, with a test address when the session requires one). Raises
        :class:`SandboxError` (404, or 400 when the session is not open or an address is
        required and missing).
        """
        body = {} if customer_details is None else {"customer_details": dict(customer_details)}
        try:
            params = _CompleteParams.model_validate(body)
        except ValidationError as exc:
            raise from_validation_error(exc) from None
        with self._lock:
            stored = self._complete(session_id, params.customer_details)
            self._store.commit(session=stored, record=None)
            return CheckoutSession.model_validate(self._present(stored))

    def expire(self, session_id: str) -> CheckoutSession:
        """Expire an open session now."""
        with self._lock:
            stored = self._expire(session_id)
            self._store.commit(session=stored, record=None)
            return CheckoutSession.model_validate(self._present(stored))

    # -- request handling --------------------------------------------------------------

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer ``request``, blocking through any delay fault."""
        steps = self.process(request)
        try:
            while True:
                next(steps).wait()
        except StopIteration as done:
            result: SandboxResponse = done.value
            return result
        finally:
            steps.close()

    async def handle_async(self, request: SandboxRequest) -> SandboxResponse:
        """Answer ``request``, sleeping (not blocking) through any delay fault."""
        steps = self.process(request)
        try:
            while True:
                await next(steps).wait_async()
        except StopIteration as done:
            result: SandboxResponse = done.value
            return result
        finally:
            steps.close()

    def process(self, request: SandboxRequest) -> Step:
        """The answer to ``request``, as a generator that yields the holds to wait out."""
        request_id = _new_id("req_")
        common: list[tuple[str, str]] = [("Request-Id", request_id)]
        version = request.header("x-api-version")
        if version is not None and _is_header_safe(version):
            common.append(("X-API-Version", version))
        try:
            result = yield from self._route(request, request_id)
        except SandboxError as exc:
            result = response(exc.status, dump_json(exc.body()), _JSON, exc.headers)
        except Exception:  # pragma: no cover - a bug; answered as the API would
            _LOG.exception(
                "sandbox: unexpected error answering %s %s", request.method, request.path
            )
            error = SandboxError(500, "api_error", None, "The sandbox failed unexpectedly.")
            result = response(500, dump_json(error.body()), _JSON)
        return SandboxResponse(
            result.status,
            result.headers + tuple(common),
            result.body,
            result.drop_connection,
        )

    # -- routing -----------------------------------------------------------------------

    def _route(self, request: SandboxRequest, request_id: str) -> Step:
        method, path = request.method.upper(), request.path
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["v1"]:
            api_key = self._authenticate(request)
            return (yield from self._route_api(request, method, parts[1:], api_key, request_id))
        if method == "GET" and path == "/openapi.yaml":
            return response(200, _openapi(), "application/yaml; charset=utf-8")
        if len(parts) == 2 and parts[0] == "pay" and method in ("GET", "POST"):
            return self._hosted_page(request, method, parts[1])
        if method == "GET" and path == "/":
            return response(200, _page.render_index(TEST_API_KEY).encode(), _HTML)
        raise _unrecognized(method, path)

    def _route_api(
        self, request: SandboxRequest, method: str, parts: list[str], api_key: str, rid: str
    ) -> Step:
        sessions = parts[:1] == ["checkout_sessions"]
        if sessions:
            failure = self.faults.take_failure()
            if failure is not None:
                raise injected(*failure)
        match method, parts:
            case "POST", ["checkout_sessions"]:
                return (
                    yield from self._idempotent(
                        request, api_key, rid, self._create, api_route=True, create=True
                    )
                )
            case "GET", ["checkout_sessions", session_id]:
                hold = self.faults.take_delay()
                if hold is not None:
                    yield hold
                with self._lock:
                    return _json_response(self._present(self._load(session_id)))
            case "POST", ["checkout_sessions", session_id, "expire"]:
                return (
                    yield from self._idempotent(
                        request,
                        api_key,
                        rid,
                        lambda body: self._expire_action(session_id, body),
                        api_route=True,
                    )
                )
            case "POST", ["test_helpers", "checkout_sessions", session_id, "complete"]:
                return (
                    yield from self._idempotent(
                        request,
                        api_key,
                        rid,
                        lambda body: self._complete_action(session_id, body),
                        api_route=False,
                    )
                )
            case "POST", ["test_helpers", "faults"]:
                return (
                    yield from self._idempotent(
                        request, api_key, rid, self._faults_action, api_route=False
                    )
                )
            case "GET", ["test_helpers", "faults"]:
                return _json_response(self.faults.state())
        raise _unrecognized(method, request.path)

    # -- authentication and idempotency --------------------------------------------------

    def _authenticate(self, request: SandboxRequest) -> str:
        header = request.header("authorization")
        how = (
            "Use HTTP Basic with a test key (such as sk_test_sandbox) as the username and an "
            "empty password, for example: curl -u sk_test_sandbox: ..."
        )
        if header is None or not header.strip():
            raise _unauthorized("api_key_missing", f"No API key provided. {how}")
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.lower() != "basic":
            raise _unauthorized("api_key_invalid", f"Unsupported authorization scheme. {how}")
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise _unauthorized(
                "api_key_invalid", f"The Authorization header is not valid Basic. {how}"
            ) from None
        username, colon, password = decoded.partition(":")
        if not colon or password:
            raise _unauthorized(
                "api_key_invalid", f"The password must be empty; the key is the username. {how}"
            )
        if not username.startswith(TEST_KEY_PREFIX) or len(username) == len(TEST_KEY_PREFIX):
            raise _unauthorized(
                "api_key_invalid",
                "Invalid API key: the sandbox accepts only test keys, which start with "
                f"sk_test_. {how}",
            )
        return username

    def _idempotent(
        self,
        request: SandboxRequest,
        api_key: str,
        request_id: str,
        action: Callable[[bytes], tuple[dict[str, Any], dict[str, Any] | None]],
        *,
        api_route: bool,
        create: bool = False,
    ) -> Step:
        """Run a POST once per Idempotency-Key: check, reserve, (delay), act, store."""
        key = _idempotency_key(request)
        body = _checked_body(request)
        digest = hashlib.sha256(f"{request.method.upper()} {request.path}\n".encode())
        digest.update(body)
        fingerprint = digest.hexdigest()
        slot = (api_key, key)
        with self._lock:
            now = self._now()
            record = self._store.get_idempotency(api_key, key)
            if record is not None and record.created + IDEMPOTENCY_RETENTION_SECONDS <= now:
                record = None
            if record is not None:
                if record.fingerprint != fingerprint:
                    raise SandboxError(
                        400,
                        "idempotency_error",
                        "idempotency_key_reused",
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with. This Idempotency-Key was "
                        "used with a different request in the last 24 hours; use a new key "
                        "for a new request.",
                    )
                return _replay(record)
            if slot in self._in_flight:
                raise SandboxError(
                    409,
                    "idempotency_error",
                    "idempotency_key_in_use",
                    "A request with this Idempotency-Key is still being processed. Retry "
                    "after it finishes to receive its result.",
                )
            self._in_flight.add(slot)
        try:
            if api_route:
                hold = self.faults.take_delay()
                if hold is not None:
                    yield hold
            with self._lock:
                now = self._now()
                payload, stored = action(body)
                content = dump_json(payload)
                result = response(200, content, _JSON)
                record = IdempotencyRecord(
                    api_key=api_key,
                    key=key,
                    fingerprint=fingerprint,
                    created=now,
                    status=200,
                    headers=result.headers,
                    body=content,
                    request_id=request_id,
                )
                self._store.commit(session=stored, record=record)
                self._maybe_purge(now)
                drop = create and self.faults.take_drop()
        finally:
            with self._lock:
                self._in_flight.discard(slot)
        if drop:
            return SandboxResponse(result.status, result.headers, result.body, drop_connection=True)
        return result

    def _maybe_purge(self, now: int) -> None:
        if now - self._last_purge >= 3600:
            self._store.purge_idempotency(now - IDEMPOTENCY_RETENTION_SECONDS)
            self._last_purge = now

    # -- actions -------------------------------------------------------------------------

    def _create(self, body: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
        _require_json(body, required=True)
        now = self._now()
        try:
            params = CheckoutSessionCreateParams.model_validate_json(body, context={"now": now})
        except ValidationError as exc:
            raise from_validation_error(exc) from None
        stored = self._new_session(params, now)
        return self._present(stored), stored

    def _new_session(self, params: CheckoutSessionCreateParams, now: int) -> dict[str, Any]:
        lines: list[dict[str, Any]] = []
        for index, item in enumerate(params.line_items):
            if item.price is not None:
                param = f"line_items[{index}].price"
                price = self.prices.get(item.price)
                if price is None:
                    known = ", ".join(sorted(self.prices)) or "(none)"
                    raise SandboxError(
                        400,
                        "invalid_request_error",
                        "resource_missing",
                        f"No such price: {item.price!r} (at {param}). The sandbox's "
                        f"catalogue has: {known}.",
                        param,
                    )
                if price.recurring_interval is not None:
                    raise invalid(
                        f"Invalid {param}: {price.id} is a recurring price (billed every "
                        f"{price.recurring_interval}), and a payment-mode Checkout Session "
                        "takes one-time prices only. Use a one-time price.",
                        param=param,
                    )
                currency, unit_amount, product = price.currency, price.unit_amount, price.product
                currency_param = param
            else:
                assert item.price_data is not None  # the model guarantees one of the two
                data = item.price_data
                currency, unit_amount, product = data.currency, data.unit_amount, data.product
                currency_param = f"line_items[{index}].price_data.currency"
            currency = currency.lower()
            if params.currency is None and lines and currency != lines[0]["currency"]:
                raise invalid(
                    f"Invalid {currency_param}: line_items[{index}] is in {currency} but "
                    f"line_items[0] is in {lines[0]['currency']}. All line items must share "
                    "one currency, unless currency is set.",
                    param=currency_param,
                )
            lines.append(
                {
                    "product": product,
                    "price": item.price,
                    "quantity": item.quantity,
                    "unit_amount": unit_amount,
                    "currency": currency,
                    "amount": item.quantity * unit_amount,
                }
            )
        subtotal = sum(line["amount"] for line in lines)
        total_details = {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
        total = (
            subtotal
            - total_details["amount_discount"]
            + total_details["amount_shipping"]
            + total_details["amount_tax"]
        )
        session_id = _new_id("cs_test_")
        hosted = params.ui_mode == "hosted"
        session: dict[str, Any] = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params.mode,
            "status": "open",
            "payment_status": "unpaid" if total else "no_payment_required",
            "ui_mode": params.ui_mode,
            "customer_creation": params.customer_creation,
            "billing_address_collection": params.billing_address_collection,
            "expires_at": params.expires_at
            if params.expires_at is not None
            else now + SESSION_LIFETIME_SECONDS,
            "metadata": dict(params.metadata or {}),
            "livemode": False,
            "created": now,
            "url": f"{self.base_url}/pay/{session_id}" if hosted else None,
            "client_secret": None if hosted else f"{session_id}_secret_{secrets.token_hex(12)}",
            "success_url": params.success_url,
            "cancel_url": params.cancel_url,
            "customer": params.customer,
            "customer_email": params.customer_email,
            "customer_details": None,
            "payment_intent": _new_id("pi_test_"),
            "currency": (params.currency or lines[0]["currency"]).lower(),
            "amount_subtotal": subtotal,
            "amount_total": total,
            "total_details": total_details,
            "client_reference_id": params.client_reference_id,
        }
        intent = None
        if params.payment_intent_data is not None:
            intent = params.payment_intent_data.model_dump(mode="json", exclude_none=True)
        return {"session": session, "line_items": lines, "payment_intent_data": intent}

    def _complete_action(
        self, session_id: str, body: bytes
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        params = _CompleteParams()
        if body:
            _require_json(body, required=False)
            try:
                params = _CompleteParams.model_validate_json(body)
            except ValidationError as exc:
                raise from_validation_error(exc) from None
        stored = self._complete(session_id, params.customer_details)
        return self._present(stored), stored

    def _expire_action(self, session_id: str, body: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
        if body:
            _require_json(body, required=False)
            try:
                _EmptyParams.model_validate_json(body)
            except ValidationError as exc:
                raise from_validation_error(exc) from None
        stored = self._expire(session_id)
        return self._present(stored), stored

    def _faults_action(self, body: bytes) -> tuple[dict[str, Any], None]:
        params = _FaultParams()
        if body:
            _require_json(body, required=False)
            try:
                params = _FaultParams.model_validate_json(body)
            except ValidationError as exc:
                raise from_validation_error(exc) from None
        if params.clear:
            self.faults.clear()
        if params.fail_next is not None:
            fail = params.fail_next
            self.faults.fail_next(fail.count, fail.status, retry_after=fail.retry_after)
        if params.delay is not None:
            self.faults.delay(params.delay.seconds, count=params.delay.count)
        if params.drop_after_commit is not None:
            self.faults.drop_after_commit(params.drop_after_commit)
        return self.faults.state(), None

    # -- session state -------------------------------------------------------------------

    def _now(self) -> int:
        return int(self._clock())

    def _load(self, session_id: str) -> dict[str, Any]:
        stored = self._store.get_session(session_id)
        if stored is None:
            raise not_found(f"No such checkout session: id {session_id!r}.", param="id")
        return stored

    def _present(self, stored: dict[str, Any]) -> dict[str, Any]:
        """The public session, with expiry applied by the clock."""
        session: dict[str, Any] = stored["session"]
        if session["status"] == "open" and self._now() >= session["expires_at"]:
            return {**session, "status": "expired"}
        return session

    def _require_open(self, stored: dict[str, Any], doing: str) -> None:
        session = self._present(stored)
        if session["status"] != "open":
            raise invalid(
                f"Checkout session {session['id']} is {session['status']}; only an open "
                f"session can be {doing}.",
                code="checkout_session_not_open",
            )

    def _complete(self, session_id: str, details: _CustomerDetailsParams | None) -> dict[str, Any]:
        stored = self._load(session_id)
        self._require_open(stored, "completed")
        session = stored["session"]
        address_required = session["billing_address_collection"] == "required"
        if details is None:
            filled: dict[str, Any] = dict(DEFAULT_TEST_CUSTOMER)
            filled["email"] = session["customer_email"] or filled["email"]
            if address_required:
                filled["address"] = dict(DEFAULT_TEST_ADDRESS)
        else:
            filled = details.model_dump(mode="json")
            if filled["email"] is None:
                filled["email"] = session["customer_email"]
            if address_required and filled["address"] is None:
                raise invalid(
                    "Missing required param: customer_details.address (this session has "
                    "billing_address_collection=required).",
                    param="customer_details.address",
                    code="parameter_missing",
                )
        customer = session["customer"]
        if customer is None and session["customer_creation"] == "always":
            customer = _new_id("cus_test_")
        stored["session"] = {
            **session,
            "status": "complete",
            "payment_status": "paid" if session["amount_total"] else "no_payment_required",
            "customer_details": filled,
            "customer": customer,
        }
        return stored

    def _expire(self, session_id: str) -> dict[str, Any]:
        stored = self._load(session_id)
        self._require_open(stored, "expired")
        stored["session"] = {**stored["session"], "status": "expired"}
        return stored

    # -- hosted page -----------------------------------------------------------------------

    def _hosted_page(
        self, request: SandboxRequest, method: str, session_id: str
    ) -> SandboxResponse:
        with self._lock:
            stored = self._store.get_session(session_id)
            if stored is None or stored["session"]["ui_mode"] != "hosted":
                return response(404, _page.render_not_found().encode(), _HTML)
            session = self._present(stored)
            action = self._pay_path + session_id
            if session["status"] != "open":
                status = 410 if session["status"] == "expired" else 200
                return response(status, _page.render_closed(session).encode(), _HTML)
            if method == "GET":
                page = _page.render_checkout(stored, session, action=action)
                return response(200, page.encode(), _HTML)
            values, errors = self._read_form(request, session)
            if errors:
                page = _page.render_checkout(
                    stored, session, action=action, values=values, errors=errors
                )
                return response(400, page.encode(), _HTML)
            address = None
            if session["billing_address_collection"] == "required":
                address = {
                    name: values.get(name) or None
                    for name in ("city", "country", "line1", "line2", "postal_code", "state")
                }
                address["country"] = values["country"].upper()
            details = _CustomerDetailsParams.model_validate(
                {
                    "email": values["email"],
                    "name": values["name"],
                    "phone": values.get("phone") or None,
                    "address": address,
                }
            )
            stored = self._complete(session_id, details)
            self._store.commit(session=stored, record=None)
            location = _success_location(stored["session"]["success_url"], session_id)
            return response(303, b"", "text/plain; charset=utf-8", (("Location", location),))

    def _read_form(
        self, request: SandboxRequest, session: dict[str, Any]
    ) -> tuple[dict[str, str], dict[str, str]]:
        """The submitted fields, and an error message per field at fault."""
        media = (request.header("content-type") or "").split(";")[0].strip().lower()
        if request.body_truncated or len(request.body) > MAX_BODY_BYTES:
            return {}, {"form": "The form is too large."}
        if request.body and media != "application/x-www-form-urlencoded":
            return {}, {"form": "Submit the form from the checkout page."}
        try:
            raw = parse_qs(
                request.body.decode("utf-8"),
                keep_blank_values=True,
                max_num_fields=50,
                errors="strict",
            )
        except ValueError:
            return {}, {"form": "The form could not be read."}
        values = {name: raw[name][0].strip() for name in _page.FIELDS if name in raw}
        return values, _page.validate_form(values, session)


# -- helpers -----------------------------------------------------------------------------


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def _is_header_safe(value: str) -> bool:
    return len(value) <= 255 and all(" " <= ch <= "~" or ch == "\t" for ch in value)


def _unauthorized(code: str, message: str) -> SandboxError:
    return SandboxError(401, "authentication_error", code, message)


def _unrecognized(method: str, path: str) -> SandboxError:
    shown = path if len(path) <= 100 else path[:100] + "…"
    return not_found(f"Unrecognized request URL ({method}: {shown}).")


def _json_response(payload: dict[str, Any]) -> SandboxResponse:
    return response(200, dump_json(payload), _JSON)


def _idempotency_key(request: SandboxRequest) -> str:
    key = request.header("idempotency-key")
    if key is None:
        raise invalid(
            "Missing required header: Idempotency-Key. Every POST needs one (1 to 255 "
            "characters, for example a UUID); retries of one request reuse it.",
            param="Idempotency-Key",
            code="parameter_missing",
        )
    if not key:
        raise invalid(
            "Invalid Idempotency-Key: it must not be empty (1 to 255 characters).",
            param="Idempotency-Key",
        )
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise invalid(
            f"Invalid Idempotency-Key: it is {len(key)} characters long; the maximum is "
            f"{MAX_IDEMPOTENCY_KEY_LENGTH}.",
            param="Idempotency-Key",
        )
    return key


def _checked_body(request: SandboxRequest) -> bytes:
    """The body, refused when too large or not JSON (an empty body passes here)."""
    if request.body_truncated or len(request.body) > MAX_BODY_BYTES:
        raise invalid(
            f"The request body is larger than {MAX_BODY_BYTES} bytes (1 MiB).",
            code="body_too_large",
        )
    if request.body:
        media = (request.header("content-type") or "").split(";")[0].strip().lower()
        if media != _JSON:
            shown = media or "none"
            raise invalid(
                f"Unsupported Content-Type ({shown[:100]}): send the body as JSON, with "
                "Content-Type: application/json.",
                code="content_type_invalid",
            )
    return request.body


def _require_json(body: bytes, *, required: bool) -> None:
    """Refuse a body that is not one JSON object, before the models see it."""
    if not body:
        if required:
            raise invalid(
                "The request body is empty: send the parameters as a JSON object.",
                code="body_missing",
            )
        return
    try:
        value = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise invalid("The request body is not UTF-8 encoded JSON.", code="json_invalid") from None
    except (ValueError, RecursionError) as exc:
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise invalid(
            f"The request body is not valid JSON: {detail}.", code="json_invalid"
        ) from None
    if not isinstance(value, dict):
        raise invalid(
            f"The request body must be a JSON object, not {_json_kind(value)}.",
            code="body_not_object",
        )


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def _replay(record: IdempotencyRecord) -> SandboxResponse:
    headers = tuple(h for h in record.headers if h[0].lower() not in ("request-id",))
    headers += (("Idempotent-Replayed", "true"), ("Original-Request", record.request_id))
    return SandboxResponse(record.status, headers, record.body)


def _success_location(success_url: str, session_id: str) -> str:
    url = success_url.replace("{CHECKOUT_SESSION_ID}", session_id)
    url = url.replace("%7BCHECKOUT_SESSION_ID%7D", session_id)
    # Keep the URL as given, but never let a control or non-ASCII character into a header.
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")


_OPENAPI: bytes | None = None


def _openapi() -> bytes:
    global _OPENAPI
    if _OPENAPI is None:
        _OPENAPI = resources.files("leanrails").joinpath("openapi.yaml").read_bytes()
    return _OPENAPI
