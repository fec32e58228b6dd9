"""The sandbox's stores: memory and SQLite (WAL, one transaction per create, survives restart)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from leanrails.sandbox import TEST_API_KEY, Sandbox
from leanrails.sandbox._record import Session, SessionRecord
from leanrails.sandbox._sqlite_store import SQLiteStore
from leanrails.sandbox._store import IdempotencyRecord, MemoryStore, Store


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


def stored(session_id: str = "cs_test_1") -> SessionRecord:
    # A store keeps a session as opaque JSON, keyed by its id: the rest is not its concern.
    session = cast(Session, {"id": session_id, "status": "open"})
    return {
        "account": "acct_test",
        "session": session,
        "line_items": [],
        "payment_intent_data": None,
    }


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    chosen: Store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "s.db")
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


def test_sqlite_writes_a_session_and_its_record_in_one_transaction(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    unserializable = record(headers=((object(), "x"),))
    try:
        with pytest.raises(TypeError):
            store.commit(session=stored(), record=unserializable)

        assert store.get_session("cs_test_1") is None
        assert store.count_sessions() == 0
    finally:
        store.close()


def test_a_sandbox_describes_its_store(tmp_path: Path) -> None:
    with Sandbox() as memory, Sandbox(db=tmp_path / "x.db") as on_disk:
        assert "memory" in repr(memory)
        assert "x.db" in repr(on_disk)
