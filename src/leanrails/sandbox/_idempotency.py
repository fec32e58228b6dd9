"""Idempotency: every POST under ``/v1`` runs once per (API key, ``Idempotency-Key``).

Sandbox conventions: a POST needs an ``Idempotency-Key`` of 1 to 255 printable ASCII
characters (the rule the client applies too). Same key, same method, path and body bytes
within 24 hours (by the sandbox's clock): the stored response is replayed byte for byte,
with ``Idempotent-Replayed: true`` and ``Original-Request: req_…`` (the first request's
id); the replay has its own ``Request-Id``. Only successful (200) responses are stored: a
request that failed validation or hit a fault created nothing, so it may be retried with
the same key and a corrected body (Stripe's rule). Same key with a different body: 400
``idempotency_error``. Same key while the first is still in flight (in any process
sharing the database: the store's in-flight record decides): 409 ``idempotency_error``.

A route's action gets a :class:`Receipt` and commits its change through it, so the change
and the response that reports it are stored in one transaction. Faults reach a run as
hooks: ``hold`` before the action (a delay), ``drop`` after the commit.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from .._rules import MAX_IDEMPOTENCY_KEY_LENGTH, idempotency_key_fault
from ._checks import JSON, checked_body
from ._errors import SandboxError, invalid
from ._faults import Hold
from ._record import SessionRecord
from ._store import IN_FLIGHT, IdempotencyRecord, Store
from ._wire import SandboxRequest, SandboxResponse, SessionBody, Step, dump_json, response

IDEMPOTENCY_RETENTION_SECONDS: Final = 24 * 60 * 60
_PURGE_EVERY_SECONDS: Final = 60 * 60
_RULE: Final = (
    f"1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters, no space first or last"
)


@dataclass(slots=True)
class Receipt:
    """One idempotent POST's write: the change it made, stored with its response at once."""

    store: Store
    api_key: str
    key: str
    fingerprint: str
    request_id: str
    created: int
    response: SandboxResponse | None = None

    def commit(self, payload: Mapping[str, Any], session: SessionRecord | None) -> None:
        """Store ``session`` (when the POST created one) and the 200 that returns ``payload``.

        A POST that changed a session has written it already (:meth:`Store.transition`)."""
        content = dump_json(payload)
        if session is not None and payload is session["session"]:
            content = SessionBody(content)  # a store may keep it with the session, once
        result = response(200, content, JSON)
        record = IdempotencyRecord(
            api_key=self.api_key,
            key=self.key,
            fingerprint=self.fingerprint,
            created=self.created,
            status=200,
            headers=result.headers,
            body=content,
            request_id=self.request_id,
        )
        self.store.commit(session=session, record=record)
        self.response = result


Action = Callable[[bytes, Receipt], None]
"""A POST's work: reads the body, and commits through the receipt (or raises)."""


class Idempotency:
    """Runs POSTs once per key: check, reserve, (hold), act and commit, release.

    ``lock`` is the engine's: it serializes every use of ``store``.
    """

    def __init__(self, store: Store, lock: threading.RLock, clock: Callable[[], int]) -> None:
        self._store = store
        self._lock = lock
        self._clock = clock
        self._in_flight: set[tuple[str, str]] = set()
        self._last_purge = clock()

    @property
    def in_flight(self) -> int:
        """How many POSTs this engine is processing now."""
        with self._lock:
            return len(self._in_flight)

    def run(
        self,
        request: SandboxRequest,
        api_key: str,
        request_id: str,
        action: Action,
        *,
        hold: Callable[[], Hold | None] | None = None,
        drop: Callable[[], bool] | None = None,
    ) -> Step:
        """Answer one POST: a replay, a conflict, or the response of ``action``.

        ``hold`` may return a hold to wait out while the key is in flight; ``drop`` is asked,
        once the change is committed, whether to drop the connection instead of answering.
        """
        key = _idempotency_key(request)
        body = checked_body(request, JSON)
        digest = hashlib.sha256(f"{request.method.upper()} {request.path}\n".encode())
        digest.update(body)
        fingerprint = digest.hexdigest()
        slot = (api_key, key)
        with self._lock:
            now = self._clock()
            reservation = IdempotencyRecord(
                api_key, key, fingerprint, now, IN_FLIGHT, (), b"", request_id
            )
            found = self._store.reserve(reservation, now - IDEMPOTENCY_RETENTION_SECONDS + 1)
            if found is not None:
                return self._replay(found, fingerprint)
            self._in_flight.add(slot)
        committed = False
        try:
            held = None if hold is None else hold()
            if held is not None:
                yield held
            with self._lock:
                now = self._clock()
                receipt = Receipt(self._store, api_key, key, fingerprint, request_id, now)
                action(body, receipt)
                committed = True
                self._maybe_purge(now)
                dropped = drop is not None and drop()
        finally:
            with self._lock:
                self._in_flight.discard(slot)
                if not committed:
                    self._store.release(api_key, key)
        result = receipt.response
        assert result is not None, "an action returned without committing through its receipt"
        if dropped:
            return SandboxResponse(result.status, result.headers, result.body, drop_connection=True)
        return result

    def _replay(self, record: IdempotencyRecord, fingerprint: str) -> SandboxResponse:
        """The answer to a POST whose key is taken: its replay, a 400 or a 409."""
        if record.in_flight:
            raise SandboxError(
                409,
                "idempotency_error",
                "idempotency_key_in_use",
                "A request with this Idempotency-Key is still being processed. Retry "
                "after it finishes to receive its result.",
            )
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
        headers = tuple(h for h in record.headers if h[0].lower() != "request-id")
        headers += (("Idempotent-Replayed", "true"), ("Original-Request", record.request_id))
        return SandboxResponse(record.status, headers, record.body)

    def _maybe_purge(self, now: int) -> None:
        if now - self._last_purge >= _PURGE_EVERY_SECONDS:
            self._store.purge_idempotency(now - IDEMPOTENCY_RETENTION_SECONDS)
            self._last_purge = now


def _idempotency_key(request: SandboxRequest) -> str:
    # As sent: an in-process caller's surrounding spaces are refused, as the client refuses
    # them (an HTTP server trims them before the sandbox sees the header).
    key = request.raw_header("idempotency-key")
    if key is None:
        raise invalid(
            f"Missing required header: Idempotency-Key. Every POST needs one ({_RULE}, "
            "for example a UUID); retries of one request reuse it.",
            param="Idempotency-Key",
            code="parameter_missing",
        )
    fault = idempotency_key_fault(key)
    if fault is None:
        return key
    if not key:
        problem = "it must not be empty"
    elif fault == "length":
        problem = f"it is {len(key)} characters long; the maximum is {MAX_IDEMPOTENCY_KEY_LENGTH}"
    elif fault == "whitespace":
        problem = "it must not start or end with a space"
    else:
        problem = "it must hold printable ASCII characters only"
    raise invalid(f"Invalid Idempotency-Key: {problem} ({_RULE}).", param="Idempotency-Key")
