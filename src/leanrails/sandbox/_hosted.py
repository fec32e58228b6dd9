"""The hosted-page controller: ``GET /pay/{id}`` shows the checkout, its form ``POST`` pays.

The form is read with the API's body checks and validated with the complete helper's
model (:mod:`._customer`), so the page accepts what the API accepts; the page adds only
which fields its form requires. Errors re-render the form (400) with a message per field;
a valid form completes the session through :meth:`Sessions.complete` and answers ``303``
to ``success_url``. Rendering is :mod:`._page`'s.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Final
from urllib.parse import parse_qs, urlsplit

from pydantic import ValidationError

from .._rules import MAX_CUSTOMER_FIELD_LENGTH, fill_session_id
from . import _page
from ._checks import FORM, checked_body
from ._customer import CustomerDetailsParams
from ._errors import SandboxError
from ._sessions import Sessions
from ._wire import SandboxRequest, SandboxResponse, response

HTML: Final = "text/html; charset=utf-8"
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
}


class HostedPage:
    """The hosted pages of one sandbox's sessions. ``lock`` is the engine's."""

    def __init__(self, sessions: Sessions, lock: threading.RLock) -> None:
        self._sessions = sessions
        self._lock = lock
        self._pay_path = urlsplit(sessions.base_url).path + "/pay/"

    def answer(self, request: SandboxRequest, method: str, session_id: str) -> SandboxResponse:
        with self._lock:
            record = self._sessions.find(session_id)
            if record is None or record["session"]["ui_mode"] != "hosted":
                return response(404, _page.render_not_found().encode(), HTML)
            session = self._sessions.present(record)
            action = self._pay_path + session_id
            if session["status"] != "open":
                status = 410 if session["status"] == "expired" else 200
                return response(status, _page.render_closed(session).encode(), HTML)
            if method == "GET":
                return response(200, _page.render_checkout(record, action=action).encode(), HTML)
            required = session["billing_address_collection"] == "required"
            values, errors, details = _read_form(request, required)
            if details is None:
                page = _page.render_checkout(record, action=action, values=values, errors=errors)
                return response(400, page.encode(), HTML)
            paid = self._sessions.complete(session_id, details)
        assert paid["success_url"] is not None  # the create model requires it for a hosted page
        location = fill_session_id(paid["success_url"], session_id)
        return response(303, b"", "text/plain; charset=utf-8", (("Location", location),))


def _read_form(
    request: SandboxRequest, address_required: bool
) -> tuple[dict[str, str], dict[str, str], CustomerDetailsParams | None]:
    """The submitted fields, an error message per field at fault, and the details if valid."""
    try:
        body = checked_body(request, FORM)
    except SandboxError as exc:
        return {}, {"form": _FORM_PROBLEMS[exc.code or ""]}, None
    try:
        raw = parse_qs(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=50, errors="strict"
        )
    except ValueError:
        return {}, {"form": "The form could not be read."}, None
    values = {name: raw[name][0].strip() for name in _page.FIELDS if name in raw}
    errors, details = _validate(values, address_required)
    return values, errors, details


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
    errors = {name: found[name] for name in _page.FIELDS if name in found}
    return errors, (details if not errors else None)
