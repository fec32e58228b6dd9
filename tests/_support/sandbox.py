"""Helpers for the sandbox tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import psutil  # type: ignore[import-untyped]
import pytest
import uvicorn

from leanrails.sandbox import Sandbox, SandboxTransport, create_app

# What httpx2 gives a client by default, made once per process: each client makes its own
# otherwise, loading the CA bundle again (35 ms), for servers the tests reach over plain HTTP.
LOCAL_TLS = httpx2.create_ssl_context()
START = 1_800_000_000
"""The sandbox tests' fixed "now" (2027-01-15), far from any real clock."""


@dataclass
class FakeClock:
    """A clock for ``Sandbox(clock=...)`` that moves only when told."""

    now: float = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


SUCCESS_PATH = "/__test__/success"
CANCEL_PATH = "/__test__/cancel"


class _Switch:
    """The server's ASGI app: serves the tests' success/cancel pages, else the sandbox."""

    def __init__(self) -> None:
        self.target: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] in (SUCCESS_PATH, CANCEL_PATH):
            title = "Payment succeeded" if scope["path"] == SUCCESS_PATH else "Cancelled"
            body = (
                f"<!doctype html><html lang=en><title>{title}</title>"
                f"<h1>{title}</h1><p id=query>{scope['query_string'].decode()}</p></html>"
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/html; charset=utf-8")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        assert self.target is not None, "no sandbox is mounted on the test server"
        await self.target(scope, receive, send)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


SCRIPT = Path(sys.executable).with_name("leanrails")


def command(*args: str) -> list[str]:
    """The ``leanrails`` console script with ``args``, as a user runs it."""
    if SCRIPT.exists():
        return [str(SCRIPT), *args]
    return [sys.executable, "-m", "leanrails._cli", *args]


PORT_TRIES = 5


def start_sandbox(
    args: Sequence[str],
    log: Path,
    *,
    wrapper: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> tuple[subprocess.Popen[bytes], int]:
    """``leanrails sandbox --port P *args`` (run through ``wrapper``), its output appended to
    ``log``; returned with P once it listens there.

    A port free_port() found is free only until somebody binds it: another worker's server
    may take it first, and a connection then reaches that server. So the wait is for this
    process's own listening socket, and a start that lost its port is made again on another.
    """
    for _ in range(PORT_TRIES):
        port = free_port()
        start = log.stat().st_size if log.exists() else 0
        with log.open("ab") as sink:
            process = subprocess.Popen(
                [*wrapper, *command("sandbox", "--port", str(port), *args)],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=env,
            )
        if _listens(process, port, log, start):
            return process, port
        os.truncate(log, start)  # the lost start's lines are not the server's
    pytest.fail(f"leanrails sandbox lost its port to another process {PORT_TRIES} times")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM a server ``start_sandbox`` started, if it still runs; kill -9 after 10 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def _listens(process: subprocess.Popen[bytes], port: int, log: Path, start: int) -> bool:
    """Wait (30 s at most) until ``process`` itself listens on ``port``; False when it
    exited because something else had bound the port first.

    Whose socket answered is asked only once a connection succeeds: the kernel's table of
    every TCP socket, which psutil reads, costs 15 ms of CPU at 4,000 sockets."""
    watched = psutil.Process(process.pid)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_bytes()[start:].decode(errors="replace")
            if "address already in use" in output.lower():
                return False
            pytest.fail(f"leanrails sandbox exited with {process.returncode}:\n{output}")
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            with contextlib.suppress(psutil.NoSuchProcess):  # exited: poll() says how
                sockets = watched.net_connections(kind="tcp")
                if any(s.status == psutil.CONN_LISTEN and s.laddr.port == port for s in sockets):
                    return True
        time.sleep(0.02)
    process.kill()
    pytest.fail(f"leanrails sandbox did not listen on {port} within 30 s:\n{log.read_text()}")


@dataclass
class LiveServer:
    """uvicorn on 127.0.0.1, in a thread; ``mount`` puts a sandbox behind it."""

    url: str
    switch: _Switch
    server: uvicorn.Server
    thread: threading.Thread = field(repr=False)

    def mount(self, sandbox: Sandbox) -> None:
        self.switch.target = create_app(sandbox)

    def unmount(self) -> None:
        self.switch.target = None


@dataclass
class Api:
    """Raw httpx2 access to one fresh sandbox, in-process or over HTTP."""

    mode: str
    sandbox: Sandbox
    client: httpx2.Client
    clock: FakeClock
    base_url: str
    _keys: int = 0

    def key(self) -> str:
        self._keys += 1
        return f"test-key-{self._keys}"

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        key: str | None = "auto",
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx2.Response:
        all_headers = dict(headers or {})
        if key == "auto":
            key = self.key()
        if key is not None:
            all_headers["Idempotency-Key"] = key
        if body is not None:
            kwargs["json"] = body
        return self.client.post(path, headers=all_headers, **kwargs)

    def create(self, body: Any, **kwargs: Any) -> httpx2.Response:
        return self.post("/v1/checkout_sessions", body, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx2.Response:
        return self.client.get(path, **kwargs)

    def anonymous(self) -> httpx2.Client:
        """A new client to the same sandbox, without credentials; close it."""
        if self.mode == "http":
            return httpx2.Client(base_url=self.base_url, timeout=10, verify=LOCAL_TLS)
        return httpx2.Client(transport=SandboxTransport(self.sandbox), base_url=self.base_url)


# -- requests and errors --------------------------------------------------------------

SUCCESS = "https://shop.example.com/done?session={CHECKOUT_SESSION_ID}"

BASIC: dict[str, Any] = {
    "mode": "payment",
    "line_items": [
        {"quantity": 2, "price": "price_test_tshirt"},
        {"quantity": 1, "price": "price_test_mug"},
    ],
    "success_url": SUCCESS,
}


def body(**changes: Any) -> dict[str, Any]:
    return {**BASIC, **changes}


def price_data(currency: str = "usd", unit_amount: int = 500, **more: Any) -> dict[str, Any]:
    return {"currency": currency, "product": "Sticker", "unit_amount": unit_amount, **more}


def assert_error(
    response: httpx2.Response,
    status: int,
    type: str,
    code: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    payload = response.json()
    assert set(payload) == {"error"}
    error: dict[str, Any] = payload["error"]
    assert set(error) == {"type", "code", "message", "param"}
    assert error["type"] == type
    assert isinstance(error["message"], str)
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    assert error["param"] == param
    if param is not None:
        assert param in error["message"]
    assert response.headers["request-id"].startswith("req_")
    return error


def basic(username: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
