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

SQLite runs in WAL mode, so sessions and records survive a restart and readers never block
the writer. A write lock held by another process longer than the busy timeout raises
:class:`StoreBusy` (answered 503 with ``Retry-After``) instead of stalling; for one busy
timeout after that, writes raise it without waiting, so writes queued behind one another
do not each wait in turn. The engine runs SQLite calls in worker threads, never on the
event loop.

Stores are not thread-safe on their own; the engine serializes calls with its lock.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol, cast

from pydantic_core import to_json

from ._record import SessionRecord


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """A stored response, replayed byte for byte to a retry with the same key and body."""

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

    def with_body(self, body: bytes) -> IdempotencyRecord:
        """This record with another body (``dataclasses.replace`` costs more, per request)."""
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

    def commit(
        self, *, session: SessionRecord | None, record: IdempotencyRecord | None
    ) -> None: ...

    def purge_idempotency(self, created_before: int) -> None: ...

    def close(self) -> None: ...


class MemoryStore:
    """Plain dictionaries; the default.

    Sessions and replay bodies are kept zlib-compressed (level 1, a few µs each way): they
    are nearly all of what a held session costs.
    """

    def __init__(self) -> None:
        self._sessions: dict[str, bytes] = {}
        self._records: dict[tuple[str, str], IdempotencyRecord] = {}

    def get_session(self, session_id: str) -> SessionRecord | None:
        data = self._sessions.get(session_id)
        return None if data is None else _loads(zlib.decompress(data))

    def get_idempotency(self, api_key: str, key: str) -> IdempotencyRecord | None:
        record = self._records.get((api_key, key))
        return None if record is None else record.with_body(zlib.decompress(record.body))

    def count_sessions(self) -> int:
        return len(self._sessions)

    def reserve(self, record: IdempotencyRecord, expired_before: int) -> IdempotencyRecord | None:
        found = self.get_idempotency(record.api_key, record.key)
        if found is not None and found.created >= expired_before:
            return found
        self._records[(record.api_key, record.key)] = _packed(record)
        return None

    def release(self, api_key: str, key: str) -> None:
        record = self._records.get((api_key, key))
        if record is not None and record.in_flight:
            del self._records[(api_key, key)]

    def commit(self, *, session: SessionRecord | None, record: IdempotencyRecord | None) -> None:
        # Serialize first, so a failure leaves nothing half-written.
        data = None if session is None else zlib.compress(to_json(session), 1)
        if data is not None and session is not None:
            self._sessions[session["session"]["id"]] = data
        if record is not None:
            self._records[(record.api_key, record.key)] = _packed(record)

    def purge_idempotency(self, created_before: int) -> None:
        stale = [k for k, r in self._records.items() if r.created < created_before]
        for k in stale:
            del self._records[k]

    def close(self) -> None:
        pass


_EMPTY_PACKED = zlib.compress(b"", 1)


def _packed(record: IdempotencyRecord) -> IdempotencyRecord:
    """``record`` with its body compressed; an in-flight one's empty body costs nothing."""
    body = zlib.compress(record.body, 1) if record.body else _EMPTY_PACKED
    return record.with_body(body)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    api_key TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created INTEGER NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    request_id TEXT NOT NULL,
    PRIMARY KEY (api_key, key)
);
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created);
CREATE TABLE IF NOT EXISTS opened (
    owner TEXT PRIMARY KEY,
    at INTEGER NOT NULL
);
"""

_LIVE_OWNERS: set[str] = set()
"""The owner tokens of this process's open SQLite stores."""


class SQLiteStore:
    """A SQLite file in WAL mode, shareable by several processes; one transaction per step.

    ``owner`` (``pid:token``) marks the in-flight records this store reserved, so another
    process can tell a record held by a live POST from one left by a crash.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.owner = f"{os.getpid()}:{secrets.token_hex(8)}"
        # Autocommit mode: transactions are begun and ended explicitly.
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=5
        )
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable across a crash of the process in WAL mode; only a power
            # loss may lose the last transactions, which a sandbox can accept.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            if "owner" not in {
                row[1] for row in self._db.execute("PRAGMA table_info(idempotency)")
            }:
                self._db.execute("ALTER TABLE idempotency ADD COLUMN owner TEXT")
            # Proves the file can be written now, not at the first request.
            self._db.execute(
                "INSERT INTO opened (owner, at) VALUES (?, strftime('%s'))", (self.owner,)
            )
            self._db.execute("DELETE FROM opened WHERE owner = ?", (self.owner,))
            self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        except BaseException:
            self._db.close()
            raise
        _LIVE_OWNERS.add(self.owner)
        self._busy_until = 0.0

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            with _busy():
                if time.monotonic() < self._busy_until:
                    self._begin_without_waiting()
                else:
                    self._db.execute("BEGIN IMMEDIATE")
        except StoreBusy:
            # The lock is held elsewhere: the writes queued behind this one (the engine's
            # lock serializes them) are answered at once for a while instead of each
            # waiting the busy timeout in turn.
            self._busy_until = time.monotonic() + BUSY_TIMEOUT_MS / 1000
            raise
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        with _busy():
            self._db.execute("COMMIT")

    def _begin_without_waiting(self) -> None:
        self._db.execute("PRAGMA busy_timeout=0")
        try:
            self._db.execute("BEGIN IMMEDIATE")
        finally:
            self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def get_session(self, session_id: str) -> SessionRecord | None:
        with _busy():
            row = self._db.execute(
                "SELECT data FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
        return None if row is None else _loads(row[0])

    def count_sessions(self) -> int:
        with _busy():
            count: int = self._db.execute("SELECT count(*) FROM sessions").fetchone()[0]
        return count

    def get_idempotency(self, api_key: str, key: str) -> IdempotencyRecord | None:
        with _busy():
            return self._get_idempotency(api_key, key)[0]

    def _get_idempotency(
        self, api_key: str, key: str
    ) -> tuple[IdempotencyRecord | None, str | None]:
        row = self._db.execute(
            "SELECT fingerprint, created, status, headers, body, request_id, owner"
            " FROM idempotency WHERE api_key = ? AND key = ?",
            (api_key, key),
        ).fetchone()
        if row is None:
            return None, None
        fingerprint, created, status, headers, body, request_id, owner = row
        record = IdempotencyRecord(
            api_key=api_key,
            key=key,
            fingerprint=fingerprint,
            created=created,
            status=status,
            headers=tuple((str(n), str(v)) for n, v in json.loads(headers)),
            body=bytes(body),
            request_id=request_id,
        )
        return record, owner

    def reserve(self, record: IdempotencyRecord, expired_before: int) -> IdempotencyRecord | None:
        with self._transaction() as db:
            found, owner = self._get_idempotency(record.api_key, record.key)
            if found is not None:
                abandoned = found.in_flight and not _alive(owner)
                if found.created >= expired_before and not abandoned:
                    return found
                db.execute(
                    "DELETE FROM idempotency WHERE api_key = ? AND key = ?",
                    (record.api_key, record.key),
                )
            db.execute(
                "INSERT INTO idempotency (api_key, key, fingerprint, created, status,"
                " headers, body, request_id, owner) VALUES (?, ?, ?, ?, ?, '[]', x'', ?, ?)",
                (
                    record.api_key,
                    record.key,
                    record.fingerprint,
                    record.created,
                    IN_FLIGHT,
                    record.request_id,
                    self.owner,
                ),
            )
        return None

    def release(self, api_key: str, key: str) -> None:
        with self._transaction() as db:
            db.execute(
                "DELETE FROM idempotency WHERE api_key = ? AND key = ? AND status = ?"
                " AND owner = ?",
                (api_key, key, IN_FLIGHT, self.owner),
            )

    def commit(self, *, session: SessionRecord | None, record: IdempotencyRecord | None) -> None:
        data = None if session is None else to_json(session).decode()
        with self._transaction() as db:
            if data is not None and session is not None:
                db.execute(
                    "INSERT INTO sessions (id, data) VALUES (?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET data = excluded.data",
                    (session["session"]["id"], data),
                )
            if record is not None:
                # Completes the reservation; a completed record is never overwritten.
                db.execute(
                    "INSERT INTO idempotency (api_key, key, fingerprint, created, status,"
                    " headers, body, request_id, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)"
                    " ON CONFLICT (api_key, key) DO UPDATE SET fingerprint = excluded.fingerprint,"
                    " created = excluded.created, status = excluded.status,"
                    " headers = excluded.headers, body = excluded.body,"
                    " request_id = excluded.request_id, owner = NULL"
                    " WHERE idempotency.status = ?",
                    (
                        record.api_key,
                        record.key,
                        record.fingerprint,
                        record.created,
                        record.status,
                        json.dumps(record.headers),
                        record.body,
                        record.request_id,
                        IN_FLIGHT,
                    ),
                )

    def purge_idempotency(self, created_before: int) -> None:
        with self._transaction() as db:
            db.execute(
                "DELETE FROM idempotency WHERE created < ? AND status != ?",
                (created_before, IN_FLIGHT),
            )

    def close(self) -> None:
        _LIVE_OWNERS.discard(self.owner)
        self._db.close()


@contextmanager
def _busy() -> Iterator[None]:
    """SQLite's "database is locked" as :class:`StoreBusy`."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise StoreBusy(str(exc)) from None
        raise


def _alive(owner: str | None) -> bool:
    """Whether the store that reserved a record (``pid:token``) is still open."""
    if owner is None:
        return False
    pid_text, _, _ = owner.partition(":")
    if not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return owner in _LIVE_OWNERS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _loads(data: str | bytes) -> SessionRecord:
    return cast(SessionRecord, json.loads(data))
