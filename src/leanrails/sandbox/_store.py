"""Where the sandbox keeps its state: in memory by default, or in SQLite (``--db PATH``).

Two kinds of record:

- **sessions**, kept as the JSON of a :class:`~._record.SessionRecord` (the public
  Checkout Session plus what only the sandbox sees: its account, its line items);
- **idempotency records**, keyed by (API key, Idempotency-Key): the request's fingerprint and
  the exact response (status, headers, body bytes), kept for 24 hours by the sandbox's
  clock.

Every change is one call to :meth:`Store.commit`, which writes a session and an
idempotency record together: in SQLite, one transaction per create. SQLite runs in WAL
mode, so sessions and records survive a restart and readers never block the writer.

Stores are not thread-safe on their own; the engine serializes calls with its lock.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, cast

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


class Store(Protocol):
    """What the engine needs from a store."""

    def get_session(self, session_id: str) -> SessionRecord | None: ...

    def get_idempotency(self, api_key: str, key: str) -> IdempotencyRecord | None: ...

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
        return None if record is None else replace(record, body=zlib.decompress(record.body))

    def count_sessions(self) -> int:
        return len(self._sessions)

    def commit(self, *, session: SessionRecord | None, record: IdempotencyRecord | None) -> None:
        # Serialize first, so a failure leaves nothing half-written.
        data = None if session is None else zlib.compress(to_json(session), 1)
        if data is not None and session is not None:
            self._sessions[session["session"]["id"]] = data
        if record is not None:
            packed = replace(record, body=zlib.compress(record.body, 1))
            self._records[(record.api_key, record.key)] = packed

    def purge_idempotency(self, created_before: int) -> None:
        stale = [k for k, r in self._records.items() if r.created < created_before]
        for k in stale:
            del self._records[k]

    def close(self) -> None:
        pass


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
"""


class SQLiteStore:
    """A SQLite file in WAL mode; one transaction per commit."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # Autocommit mode: transactions are begun and ended explicitly in commit().
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable across a crash of the process in WAL mode; only a power
            # loss may lose the last transactions, which a sandbox can accept.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except BaseException:
            self._db.close()
            raise

    def get_session(self, session_id: str) -> SessionRecord | None:
        row = self._db.execute("SELECT data FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else _loads(row[0])

    def count_sessions(self) -> int:
        count: int = self._db.execute("SELECT count(*) FROM sessions").fetchone()[0]
        return count

    def get_idempotency(self, api_key: str, key: str) -> IdempotencyRecord | None:
        row = self._db.execute(
            "SELECT fingerprint, created, status, headers, body, request_id"
            " FROM idempotency WHERE api_key = ? AND key = ?",
            (api_key, key),
        ).fetchone()
        if row is None:
            return None
        fingerprint, created, status, headers, body, request_id = row
        return IdempotencyRecord(
            api_key=api_key,
            key=key,
            fingerprint=fingerprint,
            created=created,
            status=status,
            headers=tuple((str(n), str(v)) for n, v in json.loads(headers)),
            body=bytes(body),
            request_id=request_id,
        )

    def commit(self, *, session: SessionRecord | None, record: IdempotencyRecord | None) -> None:
        data = None if session is None else to_json(session).decode()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if data is not None and session is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO sessions (id, data) VALUES (?, ?)",
                    (session["session"]["id"], data),
                )
            if record is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO idempotency"
                    " (api_key, key, fingerprint, created, status, headers, body, request_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.api_key,
                        record.key,
                        record.fingerprint,
                        record.created,
                        record.status,
                        json.dumps(record.headers),
                        record.body,
                        record.request_id,
                    ),
                )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def purge_idempotency(self, created_before: int) -> None:
        self._db.execute("DELETE FROM idempotency WHERE created < ?", (created_before,))

    def close(self) -> None:
        self._db.close()


def _loads(data: str | bytes) -> SessionRecord:
    return cast(SessionRecord, json.loads(data))
