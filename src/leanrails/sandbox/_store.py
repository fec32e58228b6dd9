"""Where the sandbox keeps its state: in memory by default, or in SQLite (``--db PATH``).

Two kinds of record:

- **sessions**, kept as the JSON of a :class:`~._record.SessionRecord` (the public
  Checkout Session plus what only the sandbox sees: its account, its line items);
- **idempotency records**, keyed by (API key, Idempotency-Key): the request's fingerprint and
  the exact response (status, headers, body bytes), kept for 24 hours by the sandbox's
  clock.

An idempotent POST first reserves its key (:meth:`Store.reserve`): one transaction that either
finds the key's record (completed: replay it; in flight: 409) or inserts an *in-flight*
record, unique per (API key, Idempotency-Key). The work is then one call to
:meth:`Store.commit`, which writes the session and completes the record together, or
:meth:`Store.release`, which deletes the in-flight record of a POST that changed nothing.
So the database, not a process's memory, decides: several processes on one SQLite file
run each key once. An in-flight record whose process has died (same machine: SQLite is
one machine's) is taken over by the next request with its key.

A session's state changes (pay, complete, expire) are one conditional write,
:meth:`Store.transition`: the session is written only where the stored one is still in the
state the change started from, so of two processes (or threads) completing one session, the
database lets exactly one win; the other is told it lost.

Retention keeps the store bounded: :meth:`Store.trim_sessions` keeps an account's newest
sessions (:data:`MAX_SESSIONS_PER_ACCOUNT`) and :meth:`Store.purge_sessions` deletes those
created more than :data:`SESSION_RETENTION_SECONDS` ago. An evicted session reads as one
that never existed (404 ``resource_missing``).

The SQLite store is in ``_sqlite_store.py``. Stores are not thread-safe on their own; the
engine serializes calls with its lock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final, NamedTuple, Protocol, cast

from pydantic_core import to_json

from ._record import SessionRecord
from ._wire import SessionBody, dump_json


class IdempotencyRecord(NamedTuple):
    """A stored response, replayed byte for byte to a retry with the same key and body.

    Immutable; a named tuple rather than a frozen dataclass, which costs four times as much
    to build (three are built per create)."""

    api_key: str
    key: str
    fingerprint: str
    created: int
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    request_id: str

    @property
    def in_flight(self) -> bool:
        """Reserved by a POST that has not finished (status 0)."""
        return self.status == IN_FLIGHT

    @classmethod
    def from_row(cls, api_key: str, key: str, row: Sequence[Any]) -> IdempotencyRecord:
        """The record a database store keeps as the columns ``fingerprint, created, status,
        headers`` (a JSON list of pairs) ``, body, request_id``."""
        fingerprint, created, status, headers, body, request_id = row
        pairs = tuple((str(name), str(value)) for name, value in json.loads(headers))
        return cls(api_key, key, fingerprint, created, status, pairs, bytes(body), request_id)

    def with_body(self, body: bytes) -> IdempotencyRecord:
        """This record with another body (``_replace`` costs more, per request)."""
        return IdempotencyRecord(
            self.api_key,
            self.key,
            self.fingerprint,
            self.created,
            self.status,
            self.headers,
            body,
            self.request_id,
        )


IN_FLIGHT: Final = 0
"""The status of a reserved record whose POST is still being processed."""

MAX_SESSIONS_PER_ACCOUNT: Final = 10_000
"""Sessions one account keeps; a create beyond it evicts the account's oldest (a kit
convention)."""

SESSION_RETENTION_SECONDS: Final = 7 * 24 * 60 * 60
"""Sessions are evicted this long after their ``created`` time, by the sandbox's clock
(checked hourly, with the idempotency records; a kit convention)."""

BUSY_TIMEOUT_MS: Final = 250
"""How long a SQLite call waits for another process's write lock before :class:`StoreBusy`."""


class StoreBusy(Exception):
    """The database is locked by another writer for longer than the busy timeout."""


class Store(Protocol):
    """What the engine needs from a store."""

    def get_session(self, session_id: str) -> SessionRecord | None: ...

    def get_idempotency(self, api_key: str, key: str) -> IdempotencyRecord | None: ...

    def reserve(self, record: IdempotencyRecord, expired_before: int) -> IdempotencyRecord | None:
        """In one transaction: the key's live record (completed or in flight), or None after
        storing ``record`` (in flight) for it; a record created before ``expired_before``
        is replaced."""
        ...

    def release(self, api_key: str, key: str) -> None:
        """Delete the key's in-flight record (its POST changed nothing)."""
        ...

    def count_sessions(self) -> int: ...

    def commit(self, *, session: SessionRecord | None, record: IdempotencyRecord | None) -> None:
        """Store a new ``session`` and/or complete an in-flight ``record``, in one
        transaction (a session's state changes go through :meth:`transition`). A record
        whose body is a :class:`~._wire.SessionBody` answers with ``session``'s JSON."""
        ...

    def transition(self, session: SessionRecord, *, expected_status: str) -> bool:
        """Write ``session`` only where the stored session's status is still
        ``expected_status``, in one statement or transaction; False when another writer got
        there first (or the session is gone)."""
        ...

    def trim_sessions(self, account: str, keep: int) -> None:
        """Delete all but ``account``'s ``keep`` newest sessions (by creation order)."""
        ...

    def purge_sessions(self, created_before: int) -> None:
        """Delete every session whose ``created`` is before ``created_before``."""
        ...

    def purge_idempotency(self, created_before: int) -> None: ...

    def close(self) -> None: ...


class MemoryStore:
    """Plain dictionaries; the default.

    A session is kept as its record's compact JSON, bytes (nothing for the garbage collector
    to walk). A create's replay body is that session's public JSON as the sandbox writes it
    (:func:`~._wire.dump_json`): its idempotency record holds the same bytes object, marked
    :class:`_SessionJSON`, and a replay writes the body from them again. After the session
    changes, the record keeps the old bytes, so a replay still answers what the create did.
    Nothing is compressed: zlib took a sixth of a create's time in the server, and a held
    session costs about 2.2 KB without it (``make bench`` rows 3 and 4).
    """

    def __init__(self) -> None:
        self._sessions: dict[str, bytes] = {}
        # Per account, its sessions' ids oldest first, each with its created time.
        self._by_account: dict[str, dict[str, int]] = {}
        self._records: dict[tuple[str, str], IdempotencyRecord] = {}

    def get_session(self, session_id: str) -> SessionRecord | None:
        data = self._sessions.get(session_id)
        return None if data is None else loads_session(data)

    def get_idempotency(self, api_key: str, key: str) -> IdempotencyRecord | None:
        record = self._records.get((api_key, key))
        if record is None or not isinstance(record.body, _SessionJSON):
            return record
        return record.with_body(dump_json(loads_session(record.body)["session"]))

    def count_sessions(self) -> int:
        return len(self._sessions)

    def reserve(self, record: IdempotencyRecord, expired_before: int) -> IdempotencyRecord | None:
        found = self.get_idempotency(record.api_key, record.key)
        if found is not None and found.created >= expired_before:
            return found
        self._records[(record.api_key, record.key)] = record
        return None

    def release(self, api_key: str, key: str) -> None:
        record = self._records.get((api_key, key))
        if record is not None and record.in_flight:
            del self._records[(api_key, key)]

    def commit(self, *, session: SessionRecord | None, record: IdempotencyRecord | None) -> None:
        if session is not None:
            # Serialize first, so a failure leaves nothing half-written.
            data = _SessionJSON(to_json(session))
            if record is not None and isinstance(record.body, SessionBody):
                record = record.with_body(data)  # a create's 200: the session it made
            session_id = session["session"]["id"]
            self._sessions[session_id] = data
            owned = self._by_account.setdefault(session["account"], {})
            owned[session_id] = session["session"]["created"]
        if record is not None:
            self._records[(record.api_key, record.key)] = record

    def transition(self, session: SessionRecord, *, expected_status: str) -> bool:
        session_id = session["session"]["id"]
        data = to_json(session)
        stored = self.get_session(session_id)
        if stored is None or stored["session"]["status"] != expected_status:
            return False
        self._sessions[session_id] = data
        return True

    def trim_sessions(self, account: str, keep: int) -> None:
        owned = self._by_account.get(account)
        while owned and len(owned) > keep:
            oldest = next(iter(owned))
            del owned[oldest]
            del self._sessions[oldest]

    def purge_sessions(self, created_before: int) -> None:
        for account, owned in list(self._by_account.items()):
            for session_id in [i for i, created in owned.items() if created < created_before]:
                del self._sessions[session_id]
                del owned[session_id]
            if not owned:
                del self._by_account[account]

    def purge_idempotency(self, created_before: int) -> None:
        stale = [k for k, r in self._records.items() if r.created < created_before]
        for k in stale:
            del self._records[k]

    def close(self) -> None:
        pass


class _SessionJSON(bytes):
    """A create's stored session, which its idempotency record replays as the body."""

    __slots__ = ()


def loads_session(data: str | bytes) -> SessionRecord:
    """A stored session's JSON as the record."""
    return cast(SessionRecord, json.loads(data))
