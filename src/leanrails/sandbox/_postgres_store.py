"""The PostgreSQL store (``--db postgresql://...``): one sandbox state shared by several hosts.

Every decision that must be unique is one statement (or one transaction) on the server, on a
primary key, at READ COMMITTED:

- :meth:`PostgresStore.reserve` is one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` that
  either inserts the in-flight row or takes over an expired one (older than the 24-hour
  window, or in flight past its *lease*); when it changes nothing the key is taken, and a
  second statement reads the row to replay it (or answer 400/409).
- :meth:`PostgresStore.commit` writes the session and completes the row in one transaction;
  the row must still be this store's reservation, else nothing is written
  (:class:`ReservationLost`, answered 503: the retry replays the winner's answer).
- :meth:`PostgresStore.release` deletes the row only while it is this store's reservation.
- :meth:`PostgresStore.transition` (pay, complete, expire) is one ``UPDATE ... WHERE id = $1
  AND status = $expected``: of several hosts changing one session, exactly one wins.
- Retention: :meth:`PostgresStore.trim_sessions` deletes an account's sessions beyond its
  newest ``keep`` (by insertion order), :meth:`PostgresStore.purge_sessions` the old ones.

Across hosts a process's liveness cannot be checked (SQLite checks the pid), so an in-flight
row carries ``lease_until`` (the server's clock), which a thread of its store renews every
third of a lease: a live request held by a ``delay`` fault keeps its key, and the keys of a
process killed with ``kill -9`` become usable one lease later, never sooner. The schema is
created or migrated at start-up under an advisory lock; ``leanrails_schema`` holds its
version. Waits are bounded: a lock held over 250 ms, a statement over 2 s, a pool wait over
250 ms or a lost connection raise :class:`StoreBusy` (503 with ``Retry-After``).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout
from pydantic_core import to_json

from ._record import SessionRecord
from ._store import BUSY_TIMEOUT_MS, IdempotencyRecord, StoreBusy, loads_session

__all__ = ["DEFAULT_LEASE_SECONDS", "DatabaseUnavailable", "PostgresStore", "ReservationLost"]

DEFAULT_LEASE_SECONDS: Final = 30.0
"""How long a killed process's in-flight key stays taken (``--lease``)."""

POOL_SIZE: Final = 3
"""Connections per process at most: the engine's lock runs one store call at a time, plus
the lease renewer, plus one spare while a broken connection is replaced."""

_PURGE_BATCH: Final = 5000
_LOG: Final = logging.getLogger("leanrails.sandbox")

# Each entry brings the schema from version N to N + 1; never edit one that has shipped.
MIGRATIONS: Final[tuple[str, ...]] = (
    """
    CREATE TABLE leanrails_sessions (
        id       text PRIMARY KEY,
        seq      bigint GENERATED ALWAYS AS IDENTITY,
        account  text NOT NULL,
        created  bigint NOT NULL,
        status   text NOT NULL,
        data     json NOT NULL
    );
    CREATE INDEX leanrails_sessions_account_seq ON leanrails_sessions (account, seq);
    CREATE INDEX leanrails_sessions_created ON leanrails_sessions (created);
    CREATE TABLE leanrails_idempotency (
        api_key      text NOT NULL,
        key          text NOT NULL,
        fingerprint  text NOT NULL,
        created      bigint NOT NULL,
        status       smallint NOT NULL,
        headers      json NOT NULL,
        body         bytea NOT NULL,
        request_id   text NOT NULL,
        owner        text,
        lease_until  timestamptz,
        PRIMARY KEY (api_key, key)
    );
    CREATE INDEX leanrails_idempotency_created ON leanrails_idempotency (created);
    CREATE INDEX leanrails_idempotency_owner ON leanrails_idempotency (owner)
        WHERE status = 0;
    """,
)
SCHEMA_VERSION: Final = len(MIGRATIONS)

_COMPLETE: Final = (
    "INSERT INTO leanrails_idempotency AS i (api_key, key, fingerprint, created, status,"
    " headers, body, request_id, owner, lease_until) VALUES (%(api_key)s, %(key)s,"
    " %(fingerprint)s, %(record_created)s, %(record_status)s, %(headers)s::json, %(body)s,"
    " %(request_id)s, NULL, NULL) ON CONFLICT (api_key, key) DO UPDATE SET"
    " fingerprint = excluded.fingerprint, created = excluded.created, status = excluded.status,"
    " headers = excluded.headers, body = excluded.body, request_id = excluded.request_id,"
    " owner = NULL, lease_until = NULL WHERE i.status = 0 AND i.owner = %(owner)s RETURNING 1"
)
_STORE_SESSION: Final = (
    "INSERT INTO leanrails_sessions (id, account, created, status, data) SELECT %(id)s,"
    " %(account)s, %(created)s::bigint, %(status)s, %(data)s::json {condition}"
    " ON CONFLICT (id) DO UPDATE SET status = excluded.status, data = excluded.data RETURNING 1"
)

_T = TypeVar("_T")


class ReservationLost(StoreBusy):
    """This store's in-flight row was taken over (its lease ran out): nothing was written."""


class DatabaseUnavailable(Exception):
    """The database cannot be reached or used at start-up (the message says why)."""


class PostgresStore:
    """A connection pool on one PostgreSQL database (or the schema its URL's ``search_path``
    names). ``owner`` (``host:pid:token``) marks the in-flight rows this store reserved."""

    def __init__(self, url: str, *, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> None:
        if not lease_seconds > 0:
            raise ValueError(f"the lease must be more than 0 seconds, not {lease_seconds}")
        self.where = masked(url)
        self.lease_seconds = lease_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"
        self._held: set[tuple[str, str]] = set()
        self._held_lock = threading.Lock()
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=POOL_SIZE,
            kwargs={"autocommit": True},
            configure=_configure,
            timeout=BUSY_TIMEOUT_MS / 1000,
            open=False,
            name="leanrails-sandbox",
        )
        try:
            self._pool.open(wait=True, timeout=10)
            with self._pool.connection(timeout=10) as conn:
                migrate(conn)
        except BaseException as exc:
            self._pool.close()
            if isinstance(exc, psycopg.Error | PoolTimeout):
                raise DatabaseUnavailable(str(exc).strip() or type(exc).__name__) from None
            raise
        self._stop = threading.Event()
        self._renewer = threading.Thread(
            target=self._renew_leases, name="leanrails-lease-renewer", daemon=True
        )
        self._renewer.start()

    # -- reads ---------------------------------------------------------------------------

    def get_session(self, session_id: str) -> SessionRecord | None:
        row = self._one("SELECT data::text FROM leanrails_sessions WHERE id = %s", (session_id,))
        return None if row is None else loads_session(row[0])

    def count_sessions(self) -> int:
        row = self._one("SELECT count(*) FROM leanrails_sessions", ())
        return 0 if row is None else int(row[0])

    def get_idempotency(self, api_key: str, key: str) -> IdempotencyRecord | None:
        row = self._one(
            "SELECT fingerprint, created, status, headers::text, body, request_id"
            " FROM leanrails_idempotency WHERE api_key = %s AND key = %s",
            (api_key, key),
        )
        return None if row is None else IdempotencyRecord.from_row(api_key, key, row)

    # -- idempotency -----------------------------------------------------------------------

    def reserve(self, record: IdempotencyRecord, expired_before: int) -> IdempotencyRecord | None:
        while True:
            inserted = self._one(
                "INSERT INTO leanrails_idempotency AS i (api_key, key, fingerprint, created,"
                " status, headers, body, request_id, owner, lease_until)"
                " VALUES (%(api_key)s, %(key)s, %(fingerprint)s, %(created)s, 0, '[]', '',"
                " %(request_id)s, %(owner)s, now() + make_interval(secs => %(lease)s))"
                " ON CONFLICT (api_key, key) DO UPDATE SET fingerprint = excluded.fingerprint,"
                " created = excluded.created, status = 0, headers = '[]', body = '',"
                " request_id = excluded.request_id, owner = excluded.owner,"
                " lease_until = excluded.lease_until"
                " WHERE i.created < %(expired_before)s"
                " OR (i.status = 0 AND i.lease_until < now())"
                " RETURNING true",
                {
                    "api_key": record.api_key,
                    "key": record.key,
                    "fingerprint": record.fingerprint,
                    "created": record.created,
                    "request_id": record.request_id,
                    "owner": self.owner,
                    "lease": self.lease_seconds,
                    "expired_before": expired_before,
                },
            )
            if inserted is not None:
                with self._held_lock:
                    self._held.add((record.api_key, record.key))
                return None
            found = self.get_idempotency(record.api_key, record.key)
            if found is not None:
                return found
            # Released between the two statements: try again.

    def release(self, api_key: str, key: str) -> None:
        with self._held_lock:
            self._held.discard((api_key, key))
        self._one(
            "DELETE FROM leanrails_idempotency WHERE api_key = %s AND key = %s AND status = 0"
            " AND owner = %s RETURNING true",
            (api_key, key, self.owner),
        )

    def commit(self, *, session: SessionRecord | None, record: IdempotencyRecord | None) -> None:
        """One statement: the session is stored only if the record completes this store's
        reservation (or a key never reserved); a completed row, or another store's
        reservation, is never overwritten."""
        params: dict[str, Any] = {"owner": self.owner}
        if session is not None:
            public = session["session"]
            params |= {"id": public["id"], "account": session["account"]}
            params |= {"created": public["created"], "status": public["status"]}
            params["data"] = to_json(session).decode()
        if record is not None:
            params |= {"api_key": record.api_key, "key": record.key, "body": record.body}
            params |= {"fingerprint": record.fingerprint, "request_id": record.request_id}
            params |= {"record_created": record.created, "record_status": record.status}
            params["headers"] = json.dumps(record.headers)
        if record is None:
            query = _STORE_SESSION.format(condition="")
        else:
            stored = _STORE_SESSION.format(condition="WHERE EXISTS (SELECT 1 FROM done)")
            stored = "" if session is None else f", stored AS ({stored})"
            query = f"WITH done AS ({_COMPLETE}){stored} SELECT EXISTS (SELECT 1 FROM done)"
        try:
            row = self._one(query, params)
        finally:
            if record is not None:
                with self._held_lock:
                    self._held.discard((record.api_key, record.key))
        if record is not None and not (row and row[0]):
            raise ReservationLost(f"the Idempotency-Key {record.key!r} was taken over")

    # -- session changes and retention ------------------------------------------------------

    def transition(self, session: SessionRecord, *, expected_status: str) -> bool:
        public = session["session"]
        changed = self._one(
            "UPDATE leanrails_sessions SET status = %s, data = %s WHERE id = %s AND status = %s"
            " RETURNING true",
            (public["status"], to_json(session).decode(), public["id"], expected_status),
        )
        return changed is not None

    def trim_sessions(self, account: str, keep: int) -> None:
        self._one(
            "DELETE FROM leanrails_sessions WHERE id IN (SELECT id FROM leanrails_sessions"
            " WHERE account = %s ORDER BY seq DESC OFFSET %s) RETURNING true",
            (account, keep),
        )

    def purge_sessions(self, created_before: int) -> None:
        self._purge("leanrails_sessions", "created < %s", created_before)

    def purge_idempotency(self, created_before: int) -> None:
        self._purge(
            "leanrails_idempotency",
            "created < %s AND (status <> 0 OR lease_until < now())",
            created_before,
        )

    def _purge(self, table: str, condition: str, created_before: int) -> None:
        """Delete the rows of ``table`` matching ``condition``, in batches."""
        while True:
            row = self._one(
                f"WITH gone AS (DELETE FROM {table} WHERE ctid IN (SELECT ctid FROM {table}"
                f" WHERE {condition} LIMIT %s) RETURNING 1) SELECT count(*) FROM gone",
                (created_before, _PURGE_BATCH),
            )
            if row is None or row[0] < _PURGE_BATCH:
                return

    def close(self) -> None:
        self._stop.set()
        self._renewer.join(5)
        self._pool.close()

    # -- plumbing ----------------------------------------------------------------------------

    def _renew_leases(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            with self._held_lock:
                if not self._held:
                    continue
            try:
                self._one(
                    "UPDATE leanrails_idempotency SET lease_until = now()"
                    " + make_interval(secs => %s) WHERE owner = %s AND status = 0"
                    " RETURNING true",
                    (self.lease_seconds, self.owner),
                )
            except StoreBusy as exc:  # the next round tries again
                _LOG.warning("sandbox: could not renew the in-flight leases: %s", exc)

    def _one(self, query: str, params: Sequence[Any] | Mapping[str, Any]) -> tuple[Any, ...] | None:
        def run(conn: psycopg.Connection) -> tuple[Any, ...] | None:
            return conn.execute(query, params).fetchone()

        return self._run(run)

    def _run(self, work: Callable[[psycopg.Connection], _T]) -> _T:
        with _busy(), self._pool.connection() as conn:
            return work(conn)


def migrate(conn: psycopg.Connection) -> int:
    """Create or bring the schema up to :data:`SCHEMA_VERSION`, once whoever starts at once;
    the version found before."""
    with conn.transaction():
        conn.execute("SET LOCAL lock_timeout = '30s'")
        conn.execute("SET LOCAL statement_timeout = '60s'")
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('leanrails_schema'))")
        conn.execute("CREATE TABLE IF NOT EXISTS leanrails_schema (version integer NOT NULL)")
        row = conn.execute("SELECT max(version) FROM leanrails_schema").fetchone()
        found = 0 if row is None or row[0] is None else int(row[0])
        if found > SCHEMA_VERSION:
            raise DatabaseUnavailable(
                f"the database's sandbox schema is version {found}, newer than this leanrails "
                f"knows ({SCHEMA_VERSION}): upgrade leanrails, or use another database"
            )
        for script in MIGRATIONS[found:]:
            conn.execute(script)
        if found < SCHEMA_VERSION:
            conn.execute("DELETE FROM leanrails_schema")
            conn.execute("INSERT INTO leanrails_schema (version) VALUES (%s)", (SCHEMA_VERSION,))
    return found


def _configure(conn: psycopg.Connection) -> None:
    """Bounded waits on every pooled connection."""
    conn.execute(
        "SELECT set_config('lock_timeout', %s, false), set_config('statement_timeout', %s, false)",
        (f"{BUSY_TIMEOUT_MS}ms", "2s"),
    )


@contextmanager
def _busy() -> Iterator[None]:
    """A bounded wait that ran out, or a lost server, as :class:`StoreBusy`."""
    try:
        yield
    except PoolTimeout as exc:
        raise StoreBusy(f"no database connection within {BUSY_TIMEOUT_MS} ms: {exc}") from None
    except psycopg.OperationalError as exc:  # lock or statement timeout, deadlock, lost server
        raise StoreBusy(str(exc).strip()) from None


def masked(url: str) -> str:
    """``url`` without its password, to show in logs and reprs."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://?"
    if "password" in params:
        params["password"] = "***"
    return make_conninfo("", **params)
