"""``leanrails sandbox``: the console script, as a user runs it (a real subprocess)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest

from leanrails._cli import main
from leanrails.sandbox import TEST_API_KEY
from leanrails.sandbox._sqlite_store import APPLICATION_ID

import _support.sandbox
from _support.sandbox import BASIC, command, free_port, start_sandbox, stop
from _support.stores import DURABLE, database

# Its tests share module-scoped fixtures: one xdist worker runs them all, set up once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sandbox_cli")]


@contextmanager
def serving(tmp_path: Path, *args: str) -> Iterator[str]:
    """Run ``leanrails sandbox`` on a free port, its output in ``server.log``; yield its base
    URL; stop it."""
    process, port = start_sandbox(
        ["--log-level", "warning", *args],
        tmp_path / "server.log",
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("cli")) as url:
        yield url


def create(url: str, key: str, payload: dict[str, Any] = BASIC) -> httpx2.Response:
    with httpx2.Client(base_url=url, auth=(TEST_API_KEY, ""), timeout=10) as client:
        return client.post("/v1/checkout_sessions", json=payload, headers={"Idempotency-Key": key})


def test_the_server_answers_creates_and_points_hosted_urls_at_itself(server: str) -> None:
    response = create(server, "cli-1")

    assert response.status_code == 200, response.text
    assert response.json()["url"] == f"{server}/pay/{response.json()['id']}"
    with httpx2.Client(base_url=server) as client:
        assert client.get(f"/pay/{response.json()['id']}").status_code == 200
        assert client.get("/openapi.yaml").text.startswith("openapi: 3.1")
        assert "sk_test_sandbox" in client.get("/").text


@pytest.mark.parametrize("kind", DURABLE)
def test_with_db_sessions_and_idempotency_records_survive_a_restart(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    db = database(kind, request, tmp_path)
    with serving(tmp_path, "--db", str(db)) as url:
        first = create(url, "restart-1")
    with serving(tmp_path, "--db", str(db)) as url:
        replay = create(url, "restart-1")
        with httpx2.Client(base_url=url, auth=(TEST_API_KEY, "")) as client:
            read = client.get(f"/v1/checkout_sessions/{first.json()['id']}")

    assert first.status_code == 200
    assert replay.content == first.content
    assert replay.headers["idempotent-replayed"] == "true"
    assert read.status_code == 200


def test_without_db_a_restart_starts_empty(tmp_path: Path) -> None:
    with serving(tmp_path) as url:
        session_id = create(url, "mem-1").json()["id"]
    with serving(tmp_path) as url, httpx2.Client(base_url=url, auth=(TEST_API_KEY, "")) as client:
        assert client.get(f"/v1/checkout_sessions/{session_id}").status_code == 404


def test_a_port_another_process_binds_first_is_left_for_another_and_never_reached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Between free_port() and the server's bind, another worker's server may take the port.
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken, free_port()])
        monkeypatch.setattr(_support.sandbox, "free_port", lambda: next(ports))
        with serving(tmp_path) as url:
            answer = create(url, "after-a-lost-port")

    assert url != f"http://127.0.0.1:{taken}"
    assert answer.status_code == 200, answer.text
    assert "address already in use" not in (tmp_path / "server.log").read_text().lower()


# -- the reference's curl example ------------------------------------------------------------


def reference_body() -> dict[str, Any]:
    """The reference's example body, with its placeholders (``<...>``) filled in.

    Three of its example values contradict the reference's own rules and are resolved: the
    line item shows both ``price`` and ``price_data`` ("each must have either", so
    ``price_data`` is kept), ``recurring`` is not allowed in payment mode (dropped), and
    ``expires_at: 123`` is in 1970 (set to an hour from now).
    """
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 2,
                "price_data": {
                    "currency": "usd",
                    "product": "prod_tshirt",
                    "unit_amount": 1,
                    "tax_behavior": "inclusive",
                },
            }
        ],
        "success_url": "https://shop.example.com/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example.com/cart",
        "customer": "cus_NffrFeUfNV2Hib",
        "customer_email": "jsmith@example.com",
        "customer_creation": "if_required",
        "ui_mode": "hosted",
        "billing_address_collection": "auto",
        "client_reference_id": "order-1042",
        "payment_intent_data": {
            "capture_method": "automatic",
            "description": "Order 1042",
            "statement_descriptor": "LEANRAILS SHOP",
            "metadata": {},
            "application_fee_amount": 1,
        },
        "currency": "usd",
        "expires_at": int(time.time()) + 3600,
        "metadata": {},
    }


def curl_example(url: str, payload: dict[str, Any]) -> list[str]:
    """The reference's curl command, with only the host changed."""
    encoded = base64.b64encode(f"{TEST_API_KEY}:".encode()).decode()
    return [
        "curl",
        "--silent",
        "--show-error",
        "--include",
        "--request",
        "POST",
        "--url",
        f"{url}/v1/checkout_sessions",
        "--header",
        f"Authorization: Basic {encoded}",
        "--header",
        "Content-Type: application/json",
        "--header",
        f"Idempotency-Key: {uuid.uuid4()}",
        "--data",
        "\n" + json.dumps(payload, indent=2) + "\n",
    ]


def run_curl(url: str, payload: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
    """(status, headers, JSON body) of the curl example; httpx2 with the same bytes if no curl."""
    args = curl_example(url, payload)
    if shutil.which("curl") is None:  # pragma: no cover - curl is on every CI image we use
        headers = dict(h.split(": ", 1) for h in args[args.index("--header") + 1 :: 2][:3])
        response = httpx2.post(args[args.index("--url") + 1], headers=headers, content=args[-1])
        return response.status_code, dict(response.headers), response.json()
    output = subprocess.run(args, capture_output=True, check=True, timeout=30).stdout.decode()
    head, _, body = output.partition("\r\n\r\n")
    status_line, *header_lines = head.split("\r\n")
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in header_lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


def test_the_reference_curl_example_works_with_only_the_host_changed(server: str) -> None:
    status, headers, session = run_curl(server, reference_body())

    assert status == 200, session
    assert headers["request-id"].startswith("req_")
    assert session["object"] == "checkout.session"
    assert session["customer"] == "cus_NffrFeUfNV2Hib"
    assert session["amount_total"] == 2
    assert session["url"].startswith(f"{server}/pay/cs_test_")


def test_the_reference_example_with_both_price_and_price_data_is_refused_by_name(
    server: str,
) -> None:
    payload = reference_body()
    payload["line_items"][0]["price"] = "price_test_tshirt"

    status, _, error = run_curl(server, payload)

    assert status == 400
    assert error["error"]["param"] == "line_items[0]"


# -- arguments -----------------------------------------------------------------------------


def test_help_names_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["sandbox", "--help"])

    assert exited.value.code == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--db", "--base-url"):
        assert option in out


def test_a_port_out_of_range_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])

    assert exited.value.code == 2


def test_a_database_that_cannot_be_written_is_refused_at_start_up_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "missing-dir" / "sandbox.db"

    code = main(["sandbox", "--port", str(free_port()), "--db", str(db)])

    lines = capsys.readouterr().err.splitlines()
    assert code == 2
    assert lines == [
        f"leanrails sandbox: cannot write the database {db}: unable to open database file"
    ]


def test_a_db_that_is_another_applications_is_refused_untouched_in_one_line(
    tmp_path: Path,
) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")
        db.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, user_id INTEGER)")
    db.close()
    before = other.read_bytes()

    done = subprocess.run(
        command("sandbox", "--port", str(free_port()), "--db", str(other)),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"leanrails sandbox: refused: {other} is not a sandbox database (it holds sessions, "
        "users); give --db a new file or one the sandbox created"
    ]
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]  # no -wal, no -shm


def test_a_sandbox_db_is_marked_and_opens_again(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    with serving(tmp_path, "--db", str(db)) as url:
        assert create(url, "first").status_code == 200
    with serving(tmp_path, "--db", str(db)) as url:
        assert create(url, "first").headers["idempotent-replayed"] == "true"

    with sqlite3.connect(db) as connection:
        marker = connection.execute("PRAGMA application_id").fetchone()[0]
    connection.close()
    assert marker == APPLICATION_ID


def test_listening_on_every_interface_warns_and_gives_pages_a_reachable_address(
    tmp_path: Path,
) -> None:
    with serving(tmp_path, "--host", "0.0.0.0") as url:  # reached only through 127.0.0.1
        session = create(url, "on-all").json()
        with httpx2.Client(timeout=10) as browser:
            page = browser.get(session["url"])
    log = (tmp_path / "server.log").read_text()

    assert session["url"] == f"{url}/pay/{session['id']}"
    assert page.status_code == 200
    warning = [line for line in log.splitlines() if line.startswith("WARNING: --host 0.0.0.0")]
    assert len(warning) == 1
    for exposed in ("every sk_test_ account", "hosted pages", "faults", "127.0.0.1"):
        assert exposed in warning[0]


def test_the_default_loopback_host_gives_no_warning(tmp_path: Path) -> None:
    with serving(tmp_path) as url:
        assert create(url, "quiet").status_code == 200
    log = (tmp_path / "server.log").read_text()

    assert "WARNING" not in log
