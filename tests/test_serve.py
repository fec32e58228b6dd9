"""``LeanRails.sandbox(serve=True)``: the embedded sandbox over real HTTP, on a free port.

Its URLs open, the curl that ``to_curl`` prints runs as printed (with real curl), and the
server stops when the client closes.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from typing import Any

import anyio
import httpx2
import psutil  # type: ignore[import-untyped]
import pytest

from leanrails import AsyncLeanRails, LeanRails, to_curl
from leanrails.sandbox import TEST_API_KEY, Sandbox

CURL = shutil.which("curl") or "/usr/bin/curl"
BODY: dict[str, Any] = {
    "mode": "payment",
    "line_items": [{"price": "price_test_tshirt", "quantity": 2}],
    "success_url": "https://example.com/success",
}


def _refused(url: str) -> bool:
    try:
        httpx2.get(url, timeout=2, trust_env=False)
    except httpx2.ConnectError:
        return True
    return False


def test_served_session_url_opens_the_hosted_page_over_http() -> None:
    with LeanRails.sandbox(serve=True) as client:
        assert client.base_url.startswith("http://127.0.0.1:")
        session = client.checkout_sessions.create(**BODY)
        assert session.url is not None
        assert session.url.startswith(client.base_url + "/pay/")
        page = httpx2.get(session.url, timeout=5, trust_env=False)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert session.id in page.text


@pytest.mark.skipif(not os.path.exists(CURL), reason="no curl on this machine")
def test_printed_curl_runs_as_printed_against_the_served_sandbox() -> None:
    with LeanRails.sandbox(serve=True) as client:
        command = to_curl(client.checkout_sessions.build(**BODY))
        assert command.startswith("curl ")
        env = {"PATH": os.path.dirname(CURL), "LEANRAILS_API_KEY": TEST_API_KEY}
        ran = subprocess.run(
            ["/bin/sh", "-c", command + " --silent --show-error"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert ran.returncode == 0, ran.stderr
        created = json.loads(ran.stdout)
        assert created["id"].startswith("cs_test_")
        assert created["amount_total"] == 4000
        # The curl reached the same sandbox the client talks to.
        assert client.checkout_sessions.retrieve(created["id"]).id == created["id"]


def test_the_served_sandbox_sends_each_answer_at_once_on_a_kept_alive_connection() -> None:
    """Its end of every connection has TCP_NODELAY: without it, an answer written in two
    parts (head, then body) waits for the client's delayed ACK, about 40 ms a request once a
    connection is kept alive, where the sandbox itself takes well under 1 ms."""
    with LeanRails.sandbox(serve=True) as client:
        for _ in range(3):
            client.checkout_sessions.create(**BODY)
        port = int(client.base_url.rsplit(":", 1)[1])
        server_ends = [
            connection.fd
            for connection in psutil.Process().net_connections("tcp")
            if connection.laddr and connection.laddr.port == port and connection.raddr
        ]
        assert server_ends, "no connection to the served sandbox is open"
        for fd in server_ends:
            with socket.socket(fileno=os.dup(fd)) as end:  # a copy: closing it keeps fd
                assert end.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_closing_the_client_stops_the_server() -> None:
    client = LeanRails.sandbox(serve=True)
    url = client.base_url + "/openapi.yaml"
    assert httpx2.get(url, timeout=5, trust_env=False).status_code == 200
    client.close()
    assert _refused(url)


def test_async_client_serves_too_and_stops_on_close() -> None:
    async def main() -> str:
        async with AsyncLeanRails.sandbox(serve=True) as client:
            session = await client.checkout_sessions.create(**BODY)
            assert session.url is not None
            async with httpx2.AsyncClient(trust_env=False) as http:
                page = await http.get(session.url)
            assert page.status_code == 200
            return client.base_url

    base_url = anyio.run(main)
    assert _refused(base_url + "/openapi.yaml")


def test_serve_refuses_a_sandbox_of_your_own() -> None:
    with (
        Sandbox() as sandbox,
        pytest.raises(ValueError, match="pass either sandbox or serve=True"),
    ):
        LeanRails.sandbox(sandbox, serve=True)


def test_two_served_clients_get_two_ports() -> None:
    with LeanRails.sandbox(serve=True) as one, LeanRails.sandbox(serve=True) as two:
        assert one.base_url != two.base_url
        one.checkout_sessions.create(**BODY)
        session = two.checkout_sessions.create(**BODY)
        assert session.url is not None
        assert session.url.startswith(two.base_url)
