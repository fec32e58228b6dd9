"""The sandbox over HTTP from a background thread: what ``LeanRails.sandbox(serve=True)`` runs.

The in-process sandbox answers without a socket, so its ``session.url`` and the curl that
``to_curl`` prints lead nowhere. Served, the same engine listens on a free 127.0.0.1 port
(uvicorn, in a daemon thread), its hosted-page URLs point there, and the client talks to it
over real HTTP. The HTTP client handed to ``LeanRails`` owns the server: closing the client
stops it, and so does garbage collection of a client nobody closed.
"""

from __future__ import annotations

import socket
import threading
import time
import weakref
from typing import Any, TypeVar

import httpx2

from ._asgi import create_app
from ._engine import Sandbox

__all__ = ["ServedSandbox", "serve_sandbox"]

HOST = "127.0.0.1"
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0

_C = TypeVar("_C", httpx2.Client, httpx2.AsyncClient)


class ServedSandbox:
    """A :class:`Sandbox` served by uvicorn on ``base_url`` until :meth:`stop`."""

    def __init__(self, sandbox: Sandbox, sock: socket.socket) -> None:
        try:
            import uvicorn

            from ._http_limits import bounded_config
        except ImportError:
            sock.close()
            sandbox.close()
            raise ImportError(
                "serving the sandbox needs uvicorn: pip install 'leanrails[server]'"
            ) from None
        self.sandbox = sandbox
        self.base_url = sandbox.base_url
        self._socket = sock
        config = bounded_config(create_app(sandbox), log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name=f"leanrails-sandbox {self.base_url}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the sandbox did not start serving on {self.base_url}")
            time.sleep(0.01)

    def __repr__(self) -> str:
        state = "serving" if self._thread.is_alive() else "stopped"
        return f"<ServedSandbox {self.base_url} {state}>"

    def stop(self) -> None:
        """Stop serving (idempotent): the port is free and the sandbox closed on return."""
        self._server.should_exit = True
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(_STOP_TIMEOUT)
        self._socket.close()
        self.sandbox.close()

    def http_client(self, client_type: type[_C]) -> _C:
        """An ``httpx2.Client`` or ``AsyncClient`` for this server that stops it on close."""
        client: Any
        if issubclass(client_type, httpx2.AsyncClient):
            client = _ServingAsyncClient(self)
        else:
            client = _ServingClient(self)
        weakref.finalize(client, self.stop)
        return client  # type: ignore[no-any-return]


class _ServingClient(httpx2.Client):
    def __init__(self, served: ServedSandbox) -> None:
        # Loopback only: a proxy from the environment must not see these requests.
        super().__init__(trust_env=False)
        self._served = served

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._served.stop()


class _ServingAsyncClient(httpx2.AsyncClient):
    def __init__(self, served: ServedSandbox) -> None:
        super().__init__(trust_env=False)
        self._served = served

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            self._served.stop()


def serve_sandbox(**sandbox_options: Any) -> ServedSandbox:
    """A new :class:`Sandbox`, served on a free 127.0.0.1 port that its URLs point at.

    The port is bound before the sandbox is made, so hosted-page URLs carry the real port.
    ``sandbox_options`` go to :class:`Sandbox` (``clock``, ``prices``, ``db``).
    """
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on connections whose protocol says
    # TCP, and without it each answer on a kept-alive connection waits about 40 ms for the
    # client's delayed ACK (Nagle's algorithm), 100 times the sandbox's own time.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
        sandbox = Sandbox(base_url=f"http://{HOST}:{port}", **sandbox_options)
    except BaseException:
        sock.close()
        raise
    return ServedSandbox(sandbox, sock)
