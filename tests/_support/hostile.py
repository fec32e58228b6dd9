"""A hostile HTTP server on 127.0.0.1, from raw sockets, for attacks on the real client.

``hostile_server(answer)`` serves every connection in a thread: it reads one request (head and
``Content-Length`` body), records it, and hands the socket to ``answer``, which may trickle,
stream without end, echo the request's secrets or send anything else. Closing the server
stops every answer within one of its steps, so no test leaves a thread writing.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from leanrails import LeanRails

from _support.client import KEY, SESSION


@dataclass
class Received:
    """One request as the server read it."""

    head: str
    body: bytes

    def header(self, name: str) -> str | None:
        for line in self.head.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


@dataclass
class HostileServer:
    url: str
    stop: threading.Event
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    sent: int = 0
    """Bytes the answers wrote, in all."""


Answer = Callable[[socket.socket, Received, HostileServer], None]


def _read_request(conn: socket.socket) -> Received | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    received = Received(head.decode("latin-1"), body)
    length = int(received.header("content-length") or 0)
    while len(received.body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        received.body += chunk
    return received


@contextmanager
def hostile_server(answer: Answer) -> Iterator[HostileServer]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    server = HostileServer(f"http://127.0.0.1:{listener.getsockname()[1]}", threading.Event())
    threads: list[threading.Thread] = []

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                while not server.stop.is_set():
                    received = _read_request(conn)
                    if received is None:
                        return
                    server.received.append(received)
                    answer(conn, received, server)
            except OSError:
                return  # the client hung up: what the attacks expect of it

    def accept() -> None:
        while not server.stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server.connections += 1
            thread = threading.Thread(target=serve, args=(conn,), daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        server.stop.set()
        acceptor.join(10)
        listener.close()
        for thread in threads:
            thread.join(10)


def send(conn: socket.socket, server: HostileServer, data: bytes) -> None:
    conn.sendall(data)
    server.sent += len(data)


def response_bytes(status: int, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} Whatever", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


SESSION_BYTES = json.dumps(SESSION).encode()


def trickle(interval: float, *, whole: bool) -> Answer:
    """A valid session answer, a byte every ``interval`` s: ``whole`` from its first byte,
    else after headers sent at once. Each byte is within any read timeout."""

    def answer(conn: socket.socket, received: Received, server: HostileServer) -> None:
        data = response_bytes(200, SESSION_BYTES, {"Content-Type": "application/json"})
        start = 0 if whole else data.index(b"\r\n\r\n") + 4
        send(conn, server, data[:start])
        for index in range(start, len(data)):
            if server.stop.wait(interval):
                return
            send(conn, server, data[index : index + 1])

    return answer


def endless(status: int = 200) -> Answer:
    """A chunked body that never ends (64 KiB chunks), until the client stops reading."""

    def answer(conn: socket.socket, received: Received, server: HostileServer) -> None:
        send(
            conn,
            server,
            f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode(),
        )
        chunk = b"[" * 65536
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        while not server.stop.is_set():
            send(conn, server, frame)

    return answer


def echo(status: int) -> Answer:
    """An answer quoting every request header back: in the body (JSON error, or a "session"
    for a 2xx; the Authorization header percent-encoded too), in a response header and in the
    reason phrase, as a careless proxy might."""

    def answer(conn: socket.socket, received: Received, server: HostileServer) -> None:
        authorization = received.header("authorization") or ""
        if status < 300:
            body = json.dumps({**SESSION, "id": 1, "echo": received.head}).encode()
        else:
            # Quoted back as a URL would carry it too (%20, %3D): a form masking must know.
            message = f"you sent {received.head}; in a URL: {quote(authorization)}"
            error = {"message": message, "param": authorization}
            body = json.dumps({"error": error, "raw": received.head}).encode()
        headers = {"Content-Type": "application/json", "X-Echo": authorization}
        data = response_bytes(status, body, headers)
        send(conn, server, data.replace(b"Whatever", authorization.encode("latin-1"), 1))

    return answer


def fixed(status: int, body: bytes) -> Answer:
    def answer(conn: socket.socket, received: Received, server: HostileServer) -> None:
        send(conn, server, response_bytes(status, body, {"Content-Type": "application/json"}))

    return answer


def retrieve_from(answer: Answer, **options: Any) -> Any:
    """``retrieve`` with a client of its own (closed after) from a server giving ``answer``."""
    with (
        hostile_server(answer) as server,
        LeanRails(api_key=KEY, base_url=server.url, max_retries=0, **options) as client,
    ):
        return client.checkout_sessions.retrieve("cs_test_a1b2c3")


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> bool:
    """Poll ``condition`` until true (a hang guard, not a measurement)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
