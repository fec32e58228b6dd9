"""The sandbox's stores: memory, SQLite (WAL, one transaction per create, survives restart) and
PostgreSQL, by the same tests (PostgreSQL's own: test_sandbox_postgres.py)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from leanrails.sandbox import TEST_API_KEY, Sandbox
from leanrails.sandbox._record import Session, SessionRecord
from leanrails.sandbox._sqlite_store import SCHEMA_VERSION, NotASandboxDatabase, SQLiteStore
from leanrails.sandbox._store import IdempotencyRecord, Store

from _support.stores import DURABLE, KINDS, database, open_store


def record(key: str = "k", created: int = 100, **changes: Any) -> IdempotencyRecord:
    values: dict[str, Any] = {
        "api_key": TEST_API_KEY,
        "key": key,
        "fingerprint": "f" * 64,
        "created": created,
        "status": 200,
        "headers": (("Content-Type", "application/json"),),
        "body": b'{"id": "cs_test_1"}\n',
        "request_id": "req_1",
        **changes,
    }
    return IdempotencyRecord(**values)


def stored(
    session_id: str = "cs_test_1",
    *,
    status: str = "open",
    created: int = 100,
    account: str = "acct_test",
) -> SessionRecord:
    # A store keeps a session as JSON keyed by its id; it reads only its status, its
    # account and when it was created (for transitions and retention).
    session = cast(Session, {"id": session_id, "status": status, "created": created})
    return {
        "account": account,
        "session": session,
        "line_items": [],
        "payment_intent_data": None,
    }


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    chosen = open_store(database(request.param, request, tmp_path))
    try:
        yield chosen
    finally:
        chosen.close()


def test_a_store_returns_what_was_committed(store: Store) -> None:
    store.commit(session=stored(), record=record())

    assert store.get_session("cs_test_1") == stored()
    assert store.get_idempotency(TEST_API_KEY, "k") == record()
    assert store.get_session("cs_test_2") is None
    assert store.get_idempotency("sk_test_other", "k") is None
    assert store.count_sessions() == 1


def test_a_store_hands_out_copies_not_its_own_state(store: Store) -> None:
    store.commit(session=stored(), record=None)
    copy = store.get_session("cs_test_1")
    assert copy is not None
    copy["session"]["status"] = "complete"

    assert store.get_session("cs_test_1") == stored()


def test_purge_drops_only_records_older_than_the_cutoff(store: Store) -> None:
    store.commit(session=None, record=record("old", created=10))
    store.commit(session=None, record=record("new", created=20))

    store.purge_idempotency(created_before=20)

    assert store.get_idempotency(TEST_API_KEY, "old") is None
    assert store.get_idempotency(TEST_API_KEY, "new") is not None


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    store.close()

    with sqlite3.connect(tmp_path / "s.db") as db:
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    db.close()

    assert mode == "wal"


def test_a_replay_keeps_the_first_answer_after_its_session_changes(store: Store) -> None:
    # The memory store keeps a create's session and replay body in one compressed blob.
    body = b'{\n  "id": "cs_test_1",\n  "note": "line\\nbreak"\n}\n'
    in_flight = record(body=b"", status=0, headers=())
    store.reserve(in_flight, expired_before=0)
    assert store.get_idempotency(TEST_API_KEY, "k") == in_flight
    store.commit(session=stored(), record=record(body=body))
    assert store.transition(stored(status="complete"), expected_status="open") is True
    store.commit(session=None, record=record("pay", body=b'{"status": "complete"}\n'))

    assert store.get_idempotency(TEST_API_KEY, "k") == record(body=body)
    assert store.get_session("cs_test_1") == stored(status="complete")
    assert store.get_idempotency(TEST_API_KEY, "pay") == record(
        "pay", body=b'{"status": "complete"}\n'
    )


@pytest.mark.parametrize("kind", DURABLE)
def test_a_database_writes_a_session_and_its_record_in_one_transaction(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store = open_store(database(kind, request, tmp_path))
    unserializable = record(headers=((object(), "x"),))
    try:
        with pytest.raises(TypeError):
            store.commit(session=stored(), record=unserializable)

        assert store.get_session("cs_test_1") is None
        assert store.count_sessions() == 0
    finally:
        store.close()


def test_a_sandbox_describes_its_store_without_a_password(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = str(database("postgres", request, tmp_path))
    # The throwaway server trusts loopback connections: the password is ignored, not checked.
    with_password = url.replace("://leanrails@", "://leanrails:s3cret-pw@")
    with (
        Sandbox() as memory,
        Sandbox(db=tmp_path / "x.db") as on_disk,
        Sandbox(db=with_password) as shared,
    ):
        assert "memory" in repr(memory)
        assert "x.db" in repr(on_disk)
        assert "127.0.0.1" in repr(shared)
        assert "s3cret-pw" not in repr(shared)


def test_a_transition_applies_only_while_the_session_is_in_the_expected_state(
    store: Store,
) -> None:
    store.commit(session=stored(), record=None)

    assert store.transition(stored(status="complete"), expected_status="open") is True
    # A second writer that also read "open" loses, and changes nothing.
    assert store.transition(stored(status="expired"), expected_status="open") is False
    assert (
        store.transition(stored("cs_test_gone", status="expired"), expected_status="open") is False
    )

    assert store.get_session("cs_test_1") == stored(status="complete")
    assert store.get_session("cs_test_gone") is None


@pytest.mark.parametrize("kind", DURABLE)
def test_a_transition_of_one_database_is_won_by_one_store_of_several(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    db = database(kind, request, tmp_path)
    stores = [open_store(db) for _ in range(3)]
    try:
        stores[0].commit(session=stored(), record=None)
        won = [s.transition(stored(status="complete"), expected_status="open") for s in stores]
    finally:
        for s in stores:
            s.close()

    assert won == [True, False, False]


def test_trim_keeps_an_accounts_newest_sessions_and_no_one_elses(store: Store) -> None:
    for n in range(5):
        store.commit(session=stored(f"cs_test_a{n}", created=100 + n), record=None)
    store.commit(session=stored("cs_test_b", account="acct_other"), record=None)

    store.trim_sessions("acct_test", 2)
    store.trim_sessions("acct_test", 2)  # idempotent

    kept = [n for n in range(5) if store.get_session(f"cs_test_a{n}") is not None]
    assert kept == [3, 4]
    assert store.get_session("cs_test_b") is not None
    assert store.count_sessions() == 3


def test_purge_sessions_drops_only_sessions_created_before_the_cutoff(store: Store) -> None:
    store.commit(session=stored("cs_test_old", created=10), record=None)
    store.commit(session=stored("cs_test_new", created=20, account="acct_other"), record=None)

    store.purge_sessions(created_before=20)
    store.trim_sessions("acct_test", 0)

    assert store.get_session("cs_test_old") is None
    assert store.get_session("cs_test_new") is not None
    assert store.count_sessions() == 1


_FIRST_LAYOUT = """
CREATE TABLE sessions (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE idempotency (api_key TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
    created INTEGER NOT NULL, status INTEGER NOT NULL, headers TEXT NOT NULL,
    body BLOB NOT NULL, request_id TEXT NOT NULL, PRIMARY KEY (api_key, key));
CREATE TABLE opened (owner TEXT PRIMARY KEY, at INTEGER NOT NULL);
"""


def test_a_sandbox_database_of_the_first_layout_is_migrated_once_and_keeps_its_sessions(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(_FIRST_LAYOUT)
        db.execute(
            "INSERT INTO sessions VALUES (?, ?)", ("cs_test_1", json.dumps(stored(created=5)))
        )
    db.close()

    for _ in range(2):  # opening again changes nothing
        store = SQLiteStore(path)
        try:
            assert store.get_session("cs_test_1") == stored(created=5)
            assert store.count_sessions() == 1
        finally:
            store.close()
    store = SQLiteStore(path)
    try:
        assert store.transition(stored(status="complete", created=5), expected_status="open")
        store.trim_sessions("acct_test", 0)
        assert store.count_sessions() == 0
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_a_database_that_is_not_a_sandboxs_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, user_id INTEGER)")
        db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
    db.close()
    before = path.read_bytes()

    with pytest.raises(NotASandboxDatabase, match=r"not a sandbox database.*sessions, users"):
        SQLiteStore(path)

    assert path.read_bytes() == before
