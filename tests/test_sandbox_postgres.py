"""What only the PostgreSQL store has: its schema version, leases instead of pids, bounded
waits, and the ``--db postgresql://`` command line. Its common behaviour is tested with the
other stores' (test_sandbox_store.py, and the api tests marked ``every_store``)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx2
import psycopg
import pytest

from leanrails._cli import main
from leanrails.sandbox import TEST_API_KEY, Sandbox, SandboxTransport
from leanrails.sandbox._postgres_store import (
    SCHEMA_VERSION,
    DatabaseUnavailable,
    PostgresStore,
    ReservationLost,
)
from leanrails.sandbox._store import IN_FLIGHT, IdempotencyRecord, StoreBusy

from _support.postgres import Postgres
from _support.reliability.processes import servers
from _support.sandbox import BASIC, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def url(postgres: Postgres) -> str:
    return postgres.fresh(empty=True)  # the store creates its schema


def reservation(key: str = "k", created: int = 100) -> IdempotencyRecord:
    return IdempotencyRecord(TEST_API_KEY, key, "f" * 64, created, IN_FLIGHT, (), b"", "req_1")


def completed(key: str = "k") -> IdempotencyRecord:
    return IdempotencyRecord(
        TEST_API_KEY, key, "f" * 64, 100, 200, (("Content-Type", "application/json"),), b"{}", "r"
    )


def sql(url: str, query: str) -> list[tuple[object, ...]]:
    with closing(psycopg.connect(url, autocommit=True)) as conn:
        cursor = conn.execute(query)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture
def two_stores(url: str) -> Iterator[tuple[PostgresStore, PostgresStore]]:
    # 3 s: long enough that a loaded machine's stall does not pass for a death.
    first, second = PostgresStore(url, lease_seconds=3), PostgresStore(url)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


# -- the schema ----------------------------------------------------------------------------


def test_processes_starting_at_once_create_the_schema_once_with_its_version(url: str) -> None:
    stores: list[PostgresStore] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            stores.append(PostgresStore(url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for store in stores:
        store.close()
    PostgresStore(url).close()  # and again, on a schema already there

    assert errors == []
    assert len(stores) == 4
    assert sql(url, "SELECT version FROM leanrails_schema") == [(SCHEMA_VERSION,)]


def test_a_database_migrated_by_a_newer_leanrails_is_refused_untouched(url: str) -> None:
    PostgresStore(url).close()
    sql(url, "UPDATE leanrails_schema SET version = 99")

    with pytest.raises(DatabaseUnavailable, match="newer"):
        PostgresStore(url)

    assert sql(url, "SELECT version FROM leanrails_schema") == [(99,)]


def test_tables_of_the_same_name_that_are_not_the_sandboxs_are_refused_untouched(
    url: str,
) -> None:
    sql(url, "CREATE TABLE leanrails_sessions (name text)")
    sql(url, "INSERT INTO leanrails_sessions VALUES ('theirs')")

    with pytest.raises(DatabaseUnavailable, match="leanrails_sessions"):
        PostgresStore(url)

    assert sql(url, "SELECT name FROM leanrails_sessions") == [("theirs",)]
    assert sql(url, "SELECT to_regclass('leanrails_schema') IS NULL") == [(True,)]


# -- reservations: leases, not pids --------------------------------------------------------


def test_a_key_left_in_flight_by_a_dead_store_is_taken_after_its_lease_and_not_before(
    two_stores: tuple[PostgresStore, PostgresStore], url: str
) -> None:
    dead, live = two_stores
    assert dead.reserve(reservation(), expired_before=0) is None
    dead.close()  # stops renewing and leaves its row, as kill -9 would
    ((lease_until,),) = sql(url, "SELECT lease_until FROM leanrails_idempotency")

    refused = 0
    deadline = time.monotonic() + 60  # a hang guard, not a measurement
    while (found := live.reserve(reservation(), expired_before=0)) is not None:
        assert found.in_flight
        refused += 1
        assert time.monotonic() < deadline, "the lease never ran out"
        time.sleep(0.05)
    ((taken_at,),) = sql(url, "SELECT now()")

    assert refused >= 1  # right after the death, the key was still taken
    assert taken_at >= lease_until  # type: ignore[operator]
    live.commit(session=None, record=completed())
    assert live.get_idempotency(TEST_API_KEY, "k") == completed()


def test_a_live_store_renews_the_lease_of_its_in_flight_keys(
    two_stores: tuple[PostgresStore, PostgresStore], url: str
) -> None:
    holder, other = two_stores
    assert holder.reserve(reservation(), expired_before=0) is None
    ((first,),) = sql(url, "SELECT lease_until FROM leanrails_idempotency")

    deadline = time.monotonic() + 60
    while sql(url, "SELECT lease_until FROM leanrails_idempotency") == [(first,)]:
        assert time.monotonic() < deadline, "the lease was never renewed"
        time.sleep(0.05)
    found = other.reserve(reservation(), expired_before=0)

    assert found is not None
    assert found.in_flight
    holder.commit(session=None, record=completed())
    assert other.reserve(reservation(), expired_before=0) == completed()


def test_a_commit_after_its_key_was_taken_over_writes_nothing(
    two_stores: tuple[PostgresStore, PostgresStore],
) -> None:
    slow, other = two_stores
    slow.reserve(reservation(created=100), expired_before=0)
    # The 24-hour window moved past it: another store takes the key over.
    assert other.reserve(reservation(created=200), expired_before=150) is None
    session: dict[str, Any] = {
        "account": "acct_test",
        "session": {"id": "cs_test_slow", "status": "open", "created": 100},
        "line_items": [],
        "payment_intent_data": None,
    }

    with pytest.raises(ReservationLost):
        slow.commit(session=session, record=completed())  # type: ignore[arg-type]

    assert slow.get_session("cs_test_slow") is None
    found = other.get_idempotency(TEST_API_KEY, "k")
    assert found is not None
    assert found.in_flight


def test_a_store_releases_only_its_own_reservation(
    two_stores: tuple[PostgresStore, PostgresStore],
) -> None:
    owner, other = two_stores
    owner.reserve(reservation(), expired_before=0)

    other.release(TEST_API_KEY, "k")
    assert other.get_idempotency(TEST_API_KEY, "k") is not None
    owner.release(TEST_API_KEY, "k")
    assert other.get_idempotency(TEST_API_KEY, "k") is None


def test_one_of_many_stores_reserving_one_key_at_once_gets_it(url: str) -> None:
    stores = [PostgresStore(url) for _ in range(6)]
    barrier = threading.Barrier(len(stores))
    results: list[IdempotencyRecord | None] = []

    def reserve(store: PostgresStore) -> None:
        barrier.wait(30)
        results.append(store.reserve(reservation(), expired_before=0))

    threads = [threading.Thread(target=reserve, args=(s,)) for s in stores]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for store in stores:
            store.close()

    assert results.count(None) == 1
    assert all(r is not None and r.in_flight for r in results if r is not None)


# -- bounded waits -------------------------------------------------------------------------


def test_a_table_locked_by_someone_else_answers_503_retry_after_not_a_hang(url: str) -> None:
    with Sandbox(db=url) as sandbox, closing(psycopg.connect(url)) as locker:
        client = httpx2.Client(
            transport=SandboxTransport(sandbox),
            base_url="https://sandbox.leanrails.test",
            auth=(TEST_API_KEY, ""),
        )
        locker.execute("LOCK TABLE leanrails_idempotency IN ACCESS EXCLUSIVE MODE")
        busy = client.post("/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": "a"})
        locker.rollback()
        free = client.post("/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": "a"})

    assert busy.status_code == 503
    assert busy.json()["error"]["code"] == "database_busy"
    assert busy.headers["retry-after"] == "1"
    assert free.status_code == 200


def test_a_connection_the_server_dropped_answers_busy_once_then_is_replaced(url: str) -> None:
    store = PostgresStore(url)
    try:
        store.count_sessions()
        killed = sql(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                     " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                     " AND backend_type = 'client backend'")  # fmt: skip
        counts: list[int | str] = []
        for _ in range(3):
            try:
                counts.append(store.count_sessions())
            except StoreBusy:  # answered 503 with Retry-After: the client retries
                counts.append("busy")
    finally:
        store.close()

    assert (True,) in killed
    assert counts in ([0, 0, 0], ["busy", 0, 0])


# -- the command line ----------------------------------------------------------------------


def test_without_the_driver_the_command_says_in_one_line_what_to_install() -> None:
    blocked = (
        "import sys; sys.modules['psycopg'] = None; sys.modules['psycopg_pool'] = None; "
        "from leanrails._cli import main; "
        "sys.exit(main(['sandbox', '--port', sys.argv[1], '--db', 'postgresql://h/db']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocked, str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "leanrails sandbox: --db postgresql://... needs psycopg and psycopg-pool: "
        "pip install 'leanrails[postgres]'"
    ]


def test_an_unreachable_database_is_refused_in_one_line_without_its_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = f"postgresql://leanrails:s3cret-pw@127.0.0.1:{free_port()}/postgres?connect_timeout=2"

    code = main(["sandbox", "--port", str(free_port()), "--db", db])

    lines = capsys.readouterr().err.splitlines()
    assert code == 2
    assert len(lines) == 1
    assert lines[0].startswith("leanrails sandbox: cannot use the database ")
    assert "s3cret-pw" not in lines[0]


def test_the_server_names_its_database_at_start_up_without_the_password(
    url: str, tmp_path: Path
) -> None:
    # The throwaway server trusts loopback connections: the password is ignored, not checked.
    with_password = url.replace("://leanrails@", "://leanrails:s3cret-pw@")
    with servers(with_password, 1, tmp_path) as (base,):
        answer = httpx2.post(
            f"{base}/v1/checkout_sessions",
            json=BASIC,
            auth=(TEST_API_KEY, ""),
            headers={"Idempotency-Key": "k"},
            timeout=30,
        )
    log = (tmp_path / "server-0.log").read_text()

    assert answer.status_code == 200
    assert "state: PostgreSQL " in log
    assert "s3cret-pw" not in log


def test_a_lease_is_refused_without_a_postgresql_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["sandbox", "--db", str(tmp_path / "x.db"), "--lease", "5"])

    assert code == 2
    assert "--lease" in capsys.readouterr().err
