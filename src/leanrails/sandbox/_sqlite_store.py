"""The SQLite store (``--db PATH``): the sandbox's state on disk, shared by processes.

SQLite runs in WAL mode, so sessions and records survive a restart and readers never block
the writer. A write lock held by another process longer than the busy timeout raises
:class:`StoreBusy` (answered 503 with ``Retry-After``) instead of stalling; for one busy
timeout after that, writes raise it without waiting, so writes queued behind one another
do not each wait in turn. The engine runs SQLite calls in worker threads, never on the
event loop. How reservations make several processes agree: ``_store.py``.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from pydantic_core import to_json

from ._record import SessionRecord
from ._store import (
    BUSY_TIMEOUT_MS,
    IN_FLIGHT,
    IdempotencyRecord,
    StoreBusy,
    loads_session,
)

__all__ = ["NotASandboxDatabase", "SQLiteStore"]

APPLICATION_ID: Final = 0x4C52534E
"""SQLite's ``application_id`` of a sandbox database ("LRSN"): the marker that a file is one."""

SCHEMA_VERSION: Final = 1
"""SQLite's ``user_version`` of a sandbox database. 0: the first layout, with no marker and
sessions kept as JSON only; 1: sessions also keep ``status``, ``account`` and ``created``
as columns (for conditional transitions and retention), with a count per account."""

_TABLES: Final = {
    "sessions": {"id", "data", "status", "account", "created"},
    "idempotency": {
        *("api_key", "key", "fingerprint", "created", "status", "headers", "body"),
        *("request_id", "owner"),
    },
    "opened": {"owner", "at"},
    "session_counts": {"account", "sessions"},
}
"""Every table a sandbox database may hold, with the columns it may have."""

_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, data TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS idempotency (
        api_key TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        created INTEGER NOT NULL,
        status INTEGER NOT NULL,
        headers TEXT NOT NULL,
        body BLOB NOT NULL,
        request_id TEXT NOT NULL,
        PRIMARY KEY (api_key, key)
    )""",
    "CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created)",
    "CREATE TABLE IF NOT EXISTS opened (owner TEXT PRIMARY KEY, at INTEGER NOT NULL)",
)

_VERSION_1: Final = (
    "ALTER TABLE idempotency ADD COLUMN owner TEXT",
    "ALTER TABLE sessions ADD COLUMN status TEXT",
    "ALTER TABLE sessions ADD COLUMN account TEXT",
    "ALTER TABLE sessions ADD COLUMN created INTEGER",
    "UPDATE sessions SET status = json_extract(data, '$.session.status'),"
    " account = json_extract(data, '$.account'),"
    " created = json_extract(data, '$.session.created')",
    "CREATE INDEX IF NOT EXISTS sessions_account ON sessions (account)",
    "CREATE INDEX IF NOT EXISTS sessions_created ON sessions (created)",
    """CREATE TABLE IF NOT EXISTS session_counts (
        account TEXT PRIMARY KEY,
        sessions INTEGER NOT NULL
    )""",
    "INSERT INTO session_counts (account, sessions)"
    " SELECT account, count(*) FROM sessions GROUP BY account",
    """CREATE TRIGGER IF NOT EXISTS sessions_counted AFTER INSERT ON sessions BEGIN
        INSERT INTO session_counts (account, sessions) VALUES (NEW.account, 1)
        ON CONFLICT (account) DO UPDATE SET sessions = sessions + 1;
    END""",
    """CREATE TRIGGER IF NOT EXISTS sessions_uncounted AFTER DELETE ON sessions BEGIN
        UPDATE session_counts SET sessions = sessions - 1 WHERE account = OLD.account;
    END""",
)
"""Version 0 to 1, in the same transaction as the check that found version 0."""


class NotASandboxDatabase(Exception):
    """``--db`` names a database that is not a sandbox's: it is left untouched."""


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
            # Checked before anything is written: another application's database is
            # refused untouched (not even switched to WAL).
            _check_is_sandbox(self._db, self.path)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable across a crash of the process in WAL mode; only a power
            # loss may lose the last transactions, which a sandbox can accept.
            self._db.execute("PRAGMA synchronous=NORMAL")
            # One transaction: processes opening one file at once migrate it once.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                _migrate(self._db, self.path)
                # Proves the file can be written now, not at the first request.
                self._db.execute(
                    "INSERT INTO opened (owner, at) VALUES (?, strftime('%s'))", (self.owner,)
                )
                self._db.execute("DELETE FROM opened WHERE owner = ?", (self.owner,))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
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
        return None if row is None else loads_session(row[0])

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
        *columns, owner = row
        return IdempotencyRecord.from_row(api_key, key, columns), owner

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
                public = session["session"]
                db.execute(
                    "INSERT INTO sessions (id, data, status, account, created)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (public["id"], data, public["status"], session["account"], public["created"]),
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

    def transition(self, session: SessionRecord, *, expected_status: str) -> bool:
        public = session["session"]
        data = to_json(session).decode()
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE sessions SET data = ?, status = ? WHERE id = ? AND status = ?",
                (data, public["status"], public["id"], expected_status),
            ).rowcount
        return changed == 1

    def trim_sessions(self, account: str, keep: int) -> None:
        with _busy():
            row = self._db.execute(
                "SELECT sessions FROM session_counts WHERE account = ?", (account,)
            ).fetchone()
        if row is None or row[0] <= keep:
            return
        with self._transaction() as db:
            db.execute(
                "DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions"
                " WHERE account = :account ORDER BY rowid LIMIT max(0, (SELECT sessions"
                " FROM session_counts WHERE account = :account) - :keep))",
                {"account": account, "keep": keep},
            )

    def purge_sessions(self, created_before: int) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM sessions WHERE created < ?", (created_before,))
            db.execute("DELETE FROM session_counts WHERE sessions <= 0")

    def purge_idempotency(self, created_before: int) -> None:
        with self._transaction() as db:
            db.execute(
                "DELETE FROM idempotency WHERE created < ? AND status != ?",
                (created_before, IN_FLIGHT),
            )

    def close(self) -> None:
        _LIVE_OWNERS.discard(self.owner)
        self._db.close()


def _check_is_sandbox(db: sqlite3.Connection, path: Path) -> None:
    """Raise :class:`NotASandboxDatabase` unless ``db`` is empty, marked as a sandbox's, or
    a sandbox's from before the marker (only the sandbox's tables and columns)."""
    marker = db.execute("PRAGMA application_id").fetchone()[0]
    if marker == APPLICATION_ID:
        return
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    foreign = [
        name
        for name in tables
        if name not in _TABLES
        or not {row[1] for row in db.execute(f'PRAGMA table_info("{name}")')} <= _TABLES[name]
    ]
    if marker != 0 or foreign:
        shown = ", ".join(sorted(foreign)[:5]) or f"application_id {marker}"
        raise NotASandboxDatabase(
            f"{path} is not a sandbox database (it holds {shown}); "
            "give --db a new file or one the sandbox created"
        )


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the schema to :data:`SCHEMA_VERSION` and mark the file; idempotent."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise NotASandboxDatabase(
            f"{path} was written by a newer leanrails (schema {version}, this one reads "
            f"{SCHEMA_VERSION}); upgrade leanrails or give --db a new file"
        )
    for statement in _SCHEMA:
        db.execute(statement)
    if version < 1:
        columns = {row[1] for row in db.execute("PRAGMA table_info(idempotency)")}
        for statement in _VERSION_1:
            if statement.startswith("ALTER TABLE idempotency") and "owner" in columns:
                continue
            db.execute(statement)
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


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
