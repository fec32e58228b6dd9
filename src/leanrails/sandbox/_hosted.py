"""The hosted-page controller: ``GET /pay/{id}`` shows the checkout, its form ``POST`` pays.

The form is read with the API's body checks and its customer details validated with the
complete helper's model (:mod:`._customer`), so the page accepts what the API accepts; the
page adds which fields its form requires and the card fields (:mod:`._cards`). Errors
re-render the form (400) with a message per field; a declined card re-renders it (402)
with the reason and leaves the session ``open`` and ``unpaid``; a card that asks for
confirmation answers the bank's step, whose own form then pays or fails; a payment
completes the session through :meth:`Sessions.complete` and answers ``303`` to
``success_url``. Its cancel link goes to ``cancel_url``, where ``{CHECKOUT_SESSION_ID}`` is
replaced as in ``success_url``. The sandbox's own success and cancel pages
(:data:`SUCCESS_PAGE`, :data:`CANCEL_PAGE`) show a session's outcome. Rendering is
:mod:`._page`'s.

Like a real checkout URL, the page needs no key; only its own form can pay (kit
conventions, the usual defences of a payment form):

- Only under its own ``Host``, and only from its own origin, with its security headers
  (see :mod:`._origin`).
- CSRF token: ``GET`` sets an ``HttpOnly``, ``SameSite=Strict`` cookie scoped to the page's
  path and puts an HMAC of the session id and that cookie in the form; a POST without the
  matching pair is shown the form again (403) with a fresh pair. The HMAC's key is a value
  the session record keeps and the page never shows (its PaymentIntent id), so every
  process serving one store, and a restarted one, agrees on it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from typing import Final
from urllib.parse import parse_qs, urlsplit

from pydantic import ValidationError

from .._rules import MAX_CUSTOMER_FIELD_LENGTH, fill_session_id
from . import _page
from ._cards import check_card
from ._checks import FORM, checked_body
from ._customer import CustomerDetailsParams
from ._errors import SandboxError
from ._origin import OwnOrigin, secured
from ._record import SessionRecord
from ._sessions import Sessions
from ._wire import SandboxRequest, SandboxResponse

SUCCESS_PAGE: Final = "/checkout/success?session_id={CHECKOUT_SESSION_ID}"
"""The sandbox's own success page, relative to its base URL: a ``success_url`` that lands
somewhere offline (``Sandbox.success_url`` is the absolute URL)."""
CANCEL_PAGE: Final = "/checkout/cancel?session_id={CHECKOUT_SESSION_ID}"
"""The sandbox's own cancel page, relative to its base URL (``Sandbox.cancel_url``)."""
LANDINGS: Final = {"/checkout/success": "success", "/checkout/cancel": "cancel"}
COOKIE: Final = "leanrails_checkout"
"""The cookie holding the browser's half of the CSRF pair."""
_COOKIE_VALUE: Final = re.compile(r"[A-Za-z0-9_-]{16,64}")
_ADDRESS: Final = ("city", "country", "line1", "line2", "postal_code", "state")
_MISSING: Final = {
    "email": "Enter your email address.",
    "name": "Enter your name.",
    "line1": "Enter your address line 1.",
    "city": "Enter your city.",
    "postal_code": "Enter your postal code.",
    "country": "Enter your country.",
}
_ADDRESS_REQUIRED: Final = ("line1", "city", "postal_code", "country")
_INVALID: Final = {
    "email": "Enter an email address such as jsmith@example.com.",
    "country": "Enter a 2-letter country code, such as US.",
}
_FORM_PROBLEMS: Final = {
    "body_too_large": "The form is too large.",
    "content_type_invalid": "Submit the form from the checkout page.",
    "content_encoding_unsupported": "Submit the form from the checkout page.",
}
_UNVERIFIED: Final = (
    "This form could not be verified (it may have been open in another window). "
    "Check your details and pay again."
)
_AUTH_FAILED: Final = "Your bank could not confirm this payment. Try again, or use another card."
_READ_FIELDS: Final = (*_page.FIELDS, "csrf_token", "step", "proof", "confirm")


class HostedPage:
    """The hosted pages of one sandbox's sessions. ``lock`` is the engine's."""

    def __init__(self, sessions: Sessions, lock: threading.RLock) -> None:
        self._sessions = sessions
        self._lock = lock
        self._pay_path = urlsplit(sessions.base_url).path + "/pay/"
        self._own = OwnOrigin(sessions.base_url)

    def index(self, request: SandboxRequest, test_key: str) -> SandboxResponse:
        """``GET /``: what the sandbox is, and where to start."""
        if not self._own.serves(request):
            return self._misdirected()
        return secured(200, _page.render_index(test_key), None)

    def landing(self, request: SandboxRequest, kind: str) -> SandboxResponse:
        """``GET /checkout/success`` or ``/checkout/cancel`` (``kind``): the outcome of the
        session its ``session_id`` names, where :data:`SUCCESS_PAGE` and
        :data:`CANCEL_PAGE` land (kit convention; any session: like ``/pay/{id}``, the
        page needs no key)."""
        if not self._own.serves(request):
            return self._misdirected()
        session_id = parse_qs(request.query).get("session_id", [""])[0][:255]
        with self._lock:
            record = self._sessions.find(session_id) if session_id else None
            session = None if record is None else self._sessions.present(record)
        return secured(200 if session else 404, _page.render_landing(kind, session), None)

    def answer(self, request: SandboxRequest, method: str, session_id: str) -> SandboxResponse:
        if not self._own.serves(request):
            return self._misdirected()
        with self._lock:
            record = self._sessions.find(session_id)
            if record is None or record["session"]["ui_mode"] != "hosted":
                return secured(404, _page.render_not_found(), None)
            session = self._sessions.present(record)
            success_url = session["success_url"]
            action = self._pay_path + session_id
            if method == "POST" and not self._own.posted_from_own_page(request):
                return secured(403, _page.render_refused(action), success_url)
            if session["status"] != "open":
                return self._closed(session_id)
            nonce = _cookie_nonce(request)
            cookie = None
            if nonce is None:
                nonce = secrets.token_urlsafe(24)
                cookie = self._set_cookie(action, nonce)
            csrf = _Csrf(record, nonce)
            form = _Form(record, action, csrf, cookie)
            if method == "GET":
                return form.checkout(200)
            fields = _read_form(request)
            if isinstance(fields, str):
                return form.checkout(400, errors={"form": fields})
            values = {name: fields[name] for name in _page.FIELDS if name in fields}
            if cookie is not None or not csrf.accepts(fields.get("csrf_token", "")):
                return form.checkout(403, values, {"form": _UNVERIFIED})
            if fields.get("step") == "confirm":
                return self._confirm(form, session_id, values, fields)
            return self._pay(form, session_id, values)

    def _pay(self, form: _Form, session_id: str, values: dict[str, str]) -> SandboxResponse:
        session = form.record["session"]
        address_required = session["billing_address_collection"] == "required"
        errors, details = _validate(values, address_required)
        card = None
        if session["amount_total"] > 0:
            card_errors, card = check_card(
                values.get("card_number", ""),
                values.get("card_expiry", ""),
                values.get("card_cvc", ""),
                self._sessions.now(),
            )
            errors.update(card_errors)
        if errors or details is None:
            return form.checkout(400, values, _in_form_order(errors))
        if card is not None and card.outcome == "declined":
            return form.checkout(402, values, {"card_number": f"{card.reason} Try another card."})
        if card is not None and card.outcome == "confirm":
            customer = {name: values[name] for name in _page.CUSTOMER_FIELDS if name in values}
            page = _page.render_confirm(
                form.record,
                action=form.action,
                csrf_token=form.csrf.token,
                values=customer,
                proof=form.csrf.proof(customer),
                card_ending=card.number[-4:],
            )
            return secured(200, page, session["success_url"], form.cookie)
        return self._complete(session_id, details)

    def _confirm(
        self, form: _Form, session_id: str, values: dict[str, str], fields: Mapping[str, str]
    ) -> SandboxResponse:
        customer = {name: values[name] for name in _page.CUSTOMER_FIELDS if name in values}
        if not form.csrf.proves(customer, fields.get("proof", "")):
            return form.checkout(403, customer, {"form": _UNVERIFIED})
        if fields.get("confirm") != "complete":
            return form.checkout(402, customer, {"card_number": _AUTH_FAILED})
        required = form.record["session"]["billing_address_collection"] == "required"
        errors, details = _validate(customer, required)
        if errors or details is None:
            return form.checkout(400, customer, errors)
        return self._complete(session_id, details)

    def _complete(self, session_id: str, details: CustomerDetailsParams) -> SandboxResponse:
        try:
            paid = self._sessions.complete(session_id, details)
        except SandboxError as exc:
            if exc.code not in ("checkout_session_not_open", "resource_missing"):
                raise
            # Another process or tab paid or expired it first (or it was evicted): this
            # browser sees the page's "already paid" / "no longer open" view, not the API's.
            return self._closed(session_id)
        assert paid["success_url"] is not None  # the create model requires it for a hosted page
        location = fill_session_id(paid["success_url"], session_id)
        return secured(303, "", paid["success_url"], extra=(("Location", location),))

    def _closed(self, session_id: str) -> SandboxResponse:
        record = self._sessions.find(session_id)
        if record is None:
            return secured(404, _page.render_not_found(), None)
        session = self._sessions.present(record)
        status = 410 if session["status"] == "expired" else 200
        return secured(status, _page.render_closed(session), session["success_url"])

    def _misdirected(self) -> SandboxResponse:
        return secured(421, _page.render_misdirected(self._own.origin), None)

    def _set_cookie(self, path: str, nonce: str) -> str:
        secure = "; Secure" if self._own.secure else ""
        return f"{COOKIE}={nonce}; Path={path}; HttpOnly; SameSite=Strict{secure}"


class _Csrf:
    """The form's half of the CSRF pair, and the proof the confirmation step carries."""

    def __init__(self, record: SessionRecord, nonce: str) -> None:
        self._key = record["session"]["payment_intent"].encode()
        self._prefix = f"{record['session']['id']}|{nonce}|"
        self.token = self._mac("csrf")

    def _mac(self, message: str) -> str:
        data = (self._prefix + message).encode()
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()

    def accepts(self, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self.token.encode())

    def proof(self, customer: Mapping[str, str]) -> str:
        return self._mac("confirm|" + "|".join(f"{k}={v}" for k, v in sorted(customer.items())))

    def proves(self, customer: Mapping[str, str], proof: str) -> bool:
        return hmac.compare_digest(proof.encode(), self.proof(customer).encode())


class _Form:
    """One open session's checkout form, as this request renders it."""

    def __init__(self, record: SessionRecord, action: str, csrf: _Csrf, cookie: str | None) -> None:
        self.record = record
        self.action = action
        self.csrf = csrf
        self.cookie = cookie

    def checkout(
        self,
        status: int,
        values: Mapping[str, str] | None = None,
        errors: Mapping[str, str] | None = None,
    ) -> SandboxResponse:
        page = _page.render_checkout(
            self.record,
            action=self.action,
            csrf_token=self.csrf.token,
            values=values,
            errors=errors,
        )
        return secured(status, page, self.record["session"]["success_url"], self.cookie)


def _cookie_nonce(request: SandboxRequest) -> str | None:
    header = request.header("cookie")
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    if morsel is None or not _COOKIE_VALUE.fullmatch(morsel.value):
        return None
    return morsel.value


def _read_form(request: SandboxRequest) -> dict[str, str] | str:
    """The submitted fields (first value of each, trimmed), or what is wrong with the form."""
    try:
        body = checked_body(request, FORM)
    except SandboxError as exc:
        return _FORM_PROBLEMS[exc.code or ""]
    try:
        raw = parse_qs(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=50, errors="strict"
        )
    except ValueError:
        return "The form could not be read."
    return {name: raw[name][0].strip() for name in _READ_FIELDS if name in raw}


def _in_form_order(errors: Mapping[str, str]) -> dict[str, str]:
    return {name: errors[name] for name in _page.FIELDS if name in errors}


def _validate(
    values: Mapping[str, str], address_required: bool
) -> tuple[dict[str, str], CustomerDetailsParams | None]:
    required = ("email", "name", *(_ADDRESS_REQUIRED if address_required else ()))
    found = {name: _MISSING[name] for name in required if not values.get(name)}
    address = None
    if address_required:
        address = {name: values.get(name) or None for name in _ADDRESS}
    fields = {name: values.get(name) or None for name in ("email", "name", "phone")}
    details = None
    try:
        details = CustomerDetailsParams.model_validate({**fields, "address": address})
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][-1])
            too_long = error["type"] == "string_too_long"
            message = f"Use at most {MAX_CUSTOMER_FIELD_LENGTH} characters."
            found.setdefault(name, message if too_long else _INVALID[name])
    errors = _in_form_order(found)
    return errors, (details if not errors else None)
