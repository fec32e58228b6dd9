"""The three stores a sandbox can keep its state in, for tests that run against each.

``memory`` (the default), ``sqlite`` (a file in the test's folder) and ``postgres`` (a schema
of its own on the run's throwaway server, the ``postgres`` fixture). A test names a kind;
:func:`database` gives what ``Sandbox(db=...)`` takes, :func:`open_store` a store on it,
and the readers below look into the database directly, as an operator would.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from leanrails.sandbox._engine import is_postgres
from leanrails.sandbox._sqlite_store import SQLiteStore
from leanrails.sandbox._store import MemoryStore, Store

KINDS = ("memory", "sqlite", "postgres")
DURABLE = ("sqlite", "postgres")


def database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str | Path | None:
    """What ``Sandbox(db=...)`` and ``leanrails sandbox --db`` take for ``kind``."""
    if kind == "memory":
        return None
    if kind == "sqlite":
        return tmp_path / "sandbox.db"
    if kind == "postgres":
        url: str = request.getfixturevalue("postgres").fresh()
        return url
    raise ValueError(f"no store of kind {kind!r}")


def open_store(db: str | Path | None, **options: Any) -> Store:
    """A store of its own on ``db`` (what :func:`database` gave), as a process opens it."""
    if db is None:
        return MemoryStore()
    if is_postgres(db):
        from leanrails.sandbox._postgres_store import PostgresStore

        return PostgresStore(str(db), **options)
    return SQLiteStore(db)


def query(db: str | Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` read straight from ``db``; it names the tables ``{sessions}`` and
    ``{idempotency}`` (SQLite's and PostgreSQL's table names differ)."""
    if is_postgres(db):
        import psycopg

        text = sql.format(sessions="leanrails_sessions", idempotency="leanrails_idempotency")
        with closing(psycopg.connect(str(db), autocommit=True)) as conn:
            return conn.execute(text).fetchall()
    text = sql.format(sessions="sessions", idempotency="idempotency")
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return conn.execute(text).fetchall()


def count_sessions(db: str | Path) -> int:
    (row,) = query(db, "SELECT count(*) FROM {sessions}")
    return int(row[0])
