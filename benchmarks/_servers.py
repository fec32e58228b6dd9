"""Start a benchmark server in its own process, on a free loopback port, and stop it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ._report import ROOT

START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    url: str
    port: int
    process: subprocess.Popen[bytes]


def wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"server did not listen on {port} within {START_TIMEOUT:g} s")


@contextmanager
def serving(app: str, *, db: str | None = None) -> Iterator[Server]:
    """``app`` is ``sandbox`` or ``bare`` (see ``benchmarks._serve``)."""
    port = free_port()
    args = [sys.executable, "-m", "benchmarks._serve", app, "--port", str(port)]
    if db is not None:
        args += ["--db", db]
    with tempfile.NamedTemporaryFile(prefix=f"bench-{app}-", suffix=".log") as log:
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            wait_until_listening(port, process, Path(log.name))
            yield Server(f"http://127.0.0.1:{port}", port, process)
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
