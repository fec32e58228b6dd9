"""Harness for the bounds tests: ``leanrails sandbox`` as a subprocess, and raw sockets that
stop halfway through a request (the slow clients a server must not wait for)."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2

from leanrails.sandbox import TEST_API_KEY

from _support.reliability.results import Tally
from _support.sandbox import BASIC, start_sandbox

TIMED = os.environ.get("LEANRAILS_SOAK") == "1"
"""Under ``make soak`` the times are held to their limits too; ``make test`` records them."""

PARTIAL_HEAD = b"POST /v1/checkout_sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: applic"
PARTIAL_BODY = (
    b"POST /v1/checkout_sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
    b"\r\nContent-Length: 100\r\nIdempotency-Key: partial\r\n\r\n{"
)
"""One byte of a 100-byte body."""


@dataclass(frozen=True)
class Served:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> float:
        """SIGTERM the server; the seconds until it exited (killed after 15 s)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        return time.monotonic() - started


@contextlib.contextmanager
def sandbox(log_dir: Path, *args: str, fd_limit: int | None = None) -> Iterator[Served]:
    """``leanrails sandbox`` on a free port with ``args`` and its default (info) log level,
    optionally started under a file-descriptor limit (soft and hard) of ``fd_limit``."""
    log = log_dir / "server.log"
    wrapper = () if fd_limit is None else (sys.executable, "-c", _UNDER_LIMIT, str(fd_limit))
    process, port = start_sandbox(
        args, log, wrapper=wrapper, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    served = Served(f"http://127.0.0.1:{port}", port, process, log)
    try:
        yield served
    finally:
        if process.poll() is None:
            served.stop()


_UNDER_LIMIT = (
    "import os, resource, sys; n = int(sys.argv[1]); "
    "resource.setrlimit(resource.RLIMIT_NOFILE, (n, n)); os.execv(sys.argv[2], sys.argv[2:])"
)


def ensure_fd_limit(needed: int) -> None:
    """Raise this process's soft file-descriptor limit to ``needed`` (within the hard one)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def half_open(port: int, count: int, partial_body_every: int = 0) -> list[socket.socket]:
    """``count`` connections that each send part of a request and then nothing: part of the
    head, or (every ``partial_body_every``-th) the head and one byte of a 100-byte body."""
    sockets = []
    for index in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sockets.append(sock)
        partial_body = partial_body_every and index % partial_body_every == 0
        with contextlib.suppress(ConnectionError):  # closed already by the server's cap
            sock.sendall(PARTIAL_BODY if partial_body else PARTIAL_HEAD)
    return sockets


def read_response(sock: socket.socket) -> bytes:
    """One whole response (with a Content-Length) read from ``sock``, which stays open."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(4096)
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(4096)
    return head + b"\r\n\r\n" + body


def answer_and_close(sock: socket.socket, timeout: float) -> tuple[float, bytes]:
    """(seconds until the server closed ``sock``, what it sent before); fails when the server
    has not closed it within ``timeout`` (a hang guard, not a measure). ``sock`` is closed on
    return."""
    started = time.monotonic()
    received = b""
    with sock, contextlib.suppress(ConnectionResetError):
        sock.settimeout(timeout)
        try:
            while chunk := sock.recv(4096):
                received += chunk
        except TimeoutError:
            raise AssertionError(
                f"the server did not close the connection within {timeout} s; "
                f"it sent {received[:200]!r}"
            ) from None
    return time.monotonic() - started, received


def timed(figures: Tally, section: str, **times: tuple[float, float, float]) -> None:
    """Record each ``name=(seconds, low, high)`` as a figure in milliseconds; under
    ``make soak`` also assert ``low <= seconds < high``. ``make test`` asserts behaviour only:
    a loaded machine stretches times, not outcomes."""
    figures.add(section, **{f"{name}_ms": round(t[0] * 1000) for name, t in times.items()})
    if TIMED:
        for name, (seconds, low, high) in times.items():
            assert low <= seconds < high, f"{section}: {name} took {seconds:.2f} s"


def exited_by_itself(served: Served) -> bool:
    """Whether the server ended on its own after SIGTERM (``stop`` kills it after 15 s)."""
    return served.process.returncode != -signal.SIGKILL


def timed_create(url: str, key: str) -> tuple[float, httpx2.Response]:
    """A normal create on a new connection: (seconds it took, its response)."""
    with httpx2.Client(base_url=url, auth=(TEST_API_KEY, ""), timeout=10) as client:
        started = time.monotonic()
        response = client.post(
            "/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": key}
        )
        return time.monotonic() - started, response
