"""The session state machine: create, read, complete and expire, over the store.

Sandbox conventions:

- A session with nothing to pay (``amount_total`` 0) is ``no_payment_required`` from the
  start; any other starts ``unpaid``. It expires 24 hours after creation unless
  ``expires_at`` says otherwise.
- A session whose ``expires_at`` has passed reads as ``expired`` and cannot be completed.
- Completion sets ``status`` complete and ``payment_status`` paid (or keeps
  ``no_payment_required``), and fills ``customer_details`` (see :mod:`._customer`).
  ``customer`` is kept when the session was created with one; otherwise
  ``customer_creation=always`` creates a ``cus_test_…`` customer, and ``if_required``
  creates none (in payment mode no Customer is required; Stripe makes a guest customer,
  which has no id), so ``customer`` stays null.

A create is committed through the :class:`Receipt` of its idempotent POST (the session and
its response in one transaction). A completion or an expiry, whoever asks for it (the API,
the hosted page, the Python helpers), is one conditional write of the store
(:meth:`Store.transition`): it applies only if the stored session is still ``open``, so of
several processes or threads changing one session exactly one wins and the others get the
error a closed session gets; the winner's response is then stored with its idempotency
record. Completion is :meth:`complete`. Callers hold the engine's lock, which serializes one
process; the conditional write decides between processes.

Retention (kit conventions, in :mod:`._store`): an account keeps its
:data:`MAX_SESSIONS_PER_ACCOUNT` newest sessions, and a session is evicted
:data:`SESSION_RETENTION_SECONDS` after it was created. An evicted session's id answers 404
``resource_missing``, as an id that never existed does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, cast

from .._params import CheckoutSessionCreateParams
from ._catalog import Price
from ._customer import CustomerDetailsParams, fill
from ._errors import SandboxError, invalid, not_found
from ._idempotency import Receipt
from ._pricing import price
from ._record import Session, SessionRecord, new_id
from ._store import MAX_SESSIONS_PER_ACCOUNT, SESSION_RETENTION_SECONDS, Store

SESSION_LIFETIME_SECONDS: Final = 24 * 60 * 60
_PURGE_EVERY_SECONDS: Final = 60 * 60


class Sessions:
    """The sessions of one sandbox. ``base_url`` is where hosted-page ``url`` values point."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], int],
        prices: Mapping[str, Price],
        base_url: str,
    ) -> None:
        self._store = store
        self.now = clock
        self.prices = prices
        self.base_url = base_url
        self._last_purge = clock()

    def count(self) -> int:
        return self._store.count_sessions()

    def find(self, session_id: str) -> SessionRecord | None:
        """The session with this id, whoever owns it (the hosted page needs no key)."""
        return self._store.get_session(session_id)

    def load(self, session_id: str, account: str | None = None) -> SessionRecord:
        """The session, or a 404 when there is none (or ``account`` does not own it)."""
        record = self._store.get_session(session_id)
        if record is None or (account is not None and record["account"] != account):
            raise not_found(f"No such checkout session: id {session_id!r}.", param="id")
        return record

    def present(self, record: SessionRecord) -> Session:
        """The public session, with expiry applied by the clock."""
        session = record["session"]
        if session["status"] == "open" and self.now() >= session["expires_at"]:
            return {**session, "status": "expired"}
        return session

    def create(
        self,
        params: CheckoutSessionCreateParams,
        account: str,
        now: int,
        receipt: Receipt,
        unknown: Mapping[str, Any] | None = None,
    ) -> Session:
        """A new open session; ``unknown`` parameters (accepted as a newer server would)
        come back as fields, never replacing one."""
        priced = price(params, self.prices)
        session_id = new_id("cs_test_")
        hosted = params.ui_mode == "hosted"
        session: Session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params.mode,
            "status": "open",
            "payment_status": "unpaid" if priced.amount_total else "no_payment_required",
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
            "client_secret": None if hosted else new_id(f"{session_id}_secret_"),
            "success_url": params.success_url,
            "cancel_url": params.cancel_url,
            "customer": params.customer,
            "customer_email": params.customer_email,
            "customer_details": None,
            "payment_intent": new_id("pi_test_"),
            "currency": priced.currency,
            "amount_subtotal": priced.amount_subtotal,
            "amount_total": priced.amount_total,
            "total_details": priced.total_details,
            "client_reference_id": params.client_reference_id,
        }
        if unknown:
            session = cast(Session, {**unknown, **session})
        intent = None
        if params.payment_intent_data is not None:
            intent = params.payment_intent_data.model_dump(mode="json", exclude_none=True)
        record: SessionRecord = {
            "account": account,
            "session": session,
            "line_items": priced.line_items,
            "payment_intent_data": intent,
        }
        session = self.present(record)
        receipt.commit(session, record)
        self._store.trim_sessions(account, MAX_SESSIONS_PER_ACCOUNT)
        if now - self._last_purge >= _PURGE_EVERY_SECONDS:
            self._store.purge_sessions(now - SESSION_RETENTION_SECONDS)
            self._last_purge = now
        return session

    def complete(
        self,
        session_id: str,
        details: CustomerDetailsParams | None,
        *,
        account: str | None = None,
        receipt: Receipt | None = None,
    ) -> Session:
        """Complete and pay an open session: the one way any caller completes one."""
        record = self._open(session_id, account, "completed")
        session = record["session"]
        customer = session["customer"]
        if customer is None and session["customer_creation"] == "always":
            customer = new_id("cus_test_")
        record["session"] = {
            **session,
            "status": "complete",
            "payment_status": "paid" if session["amount_total"] else "no_payment_required",
            "customer_details": fill(session, details),
            "customer": customer,
        }
        return self._transition(record, receipt, "completed")

    def expire(
        self, session_id: str, *, account: str | None = None, receipt: Receipt | None = None
    ) -> Session:
        """Expire an open session now."""
        record = self._open(session_id, account, "expired")
        record["session"] = {**record["session"], "status": "expired"}
        return self._transition(record, receipt, "expired")

    def _open(self, session_id: str, account: str | None, doing: str) -> SessionRecord:
        record = self.load(session_id, account)
        session = self.present(record)
        if session["status"] != "open":
            raise _not_open(session, doing)
        return record

    def _transition(self, record: SessionRecord, receipt: Receipt | None, doing: str) -> Session:
        """Write the changed ``record`` if its session is still open in the store; otherwise
        another writer won, and this caller gets the error of a session that is not open."""
        if not self._store.transition(record, expected_status="open"):
            session_id = record["session"]["id"]
            raise _not_open(self.present(self.load(session_id)), doing)
        session = self.present(record)
        if receipt is not None:
            receipt.commit(session, None)
        return session


def _not_open(session: Session, doing: str) -> SandboxError:
    return invalid(
        f"Checkout session {session['id']} is {session['status']}; only an open "
        f"session can be {doing}.",
        code="checkout_session_not_open",
    )
