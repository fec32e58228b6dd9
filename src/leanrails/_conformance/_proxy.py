"""The guard between the guide's notebooks and the server.

The notebooks run with ``LEANRAILS_BASE_URL`` pointing here (127.0.0.1, a free port). Each
request is checked by the same safety rules as the rest of the run (budget, no test
helpers, no hosted-page form, no key that is not a test key) and forwarded to the server.
Every create is also sent, unchanged, to the embedded sandbox, so the differential checks
see the guide's own requests; the exchanges are logged per notebook cell.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2

from ._compare import judge
from ._observations import Exchange
from ._safety import TEST_KEY_PREFIX, Answer, OutOfBudget, Server, forbidden

_HOP_HEADERS = {
    "host",
    "content-length",
    "connection",
    "accept-encoding",
    "transfer-encoding",
    "content-encoding",
    "keep-alive",
}


def _not_a_test_key(authorization: str) -> bool:
    token = authorization.partition(" ")[2]
    try:
        username = base64.b64decode(token.strip(), validate=True).decode().partition(":")[0]
    except (binascii.Error, ValueError):
        return False
    return username.startswith(("sk_", "rk_")) and not username.startswith(TEST_KEY_PREFIX)


class CellLog:
    """What one notebook cell sent: exchanges with both servers, and what was held back."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.blocked: list[str] = []
        self.requests = 0


class Proxy:
    """A local HTTP server forwarding the guide's requests to the server under check."""

    def __init__(self, server: Server, sandbox: httpx2.Client) -> None:
        self.server = server
        self.sandbox = sandbox
        self.cell = CellLog()
        self.where = ""
        self._lock = threading.Lock()
        handler = _handler(self._answer)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> Proxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def begin(self, where: str) -> None:
        with self._lock:
            self.cell = CellLog()
            self.where = where

    def end(self) -> CellLog:
        with self._lock:
            return self.cell

    def _answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        with self._lock:
            cell, where = self.cell, self.where
            cell.requests += 1
        reason = forbidden(method, path)
        if reason is None and _not_a_test_key(headers.get("authorization", "")):
            reason = "a request made with a key that is not a test key"
        if reason is not None:
            cell.blocked.append(f"{method} {path.split('?')[0]}: {reason}")
            return _blocked(f"leanrails conformance does not send {reason} to the server")
        forward = {k: v for k, v in headers.items() if k.lower() not in _HOP_HEADERS}
        try:
            answer = self.server.send(method, path, body=body, headers=forward, authenticate=False)
        except OutOfBudget as exc:
            cell.blocked.append(f"{method} {path}: {exc}")
            return _blocked(f"leanrails conformance stopped: {exc}")
        except httpx2.TransportError as exc:
            return _blocked(f"the server could not be reached: {type(exc).__name__}", 502)
        if method.upper() == "POST" and path.split("?")[0].rstrip("/") == "/v1/checkout_sessions":
            mine = self.sandbox.request(method, path, content=body, headers=forward)
            exchange = Exchange(
                where,
                body,
                answer,
                Answer(mine.status_code, dict(mine.headers), mine.content),
            )
            judge(exchange)
            cell.exchanges.append(exchange)
        return answer


def _blocked(message: str, status: int = 403) -> Answer:
    body = {
        "error": {
            "type": "permission_error",
            "code": "conformance_blocked",
            "message": message,
            "param": None,
        }
    }
    return Answer(
        status,
        {"content-type": "application/json", "request-id": "req_conformance"},
        json.dumps(body).encode(),
    )


def _handler(answer: Callable[[str, str, dict[str, str], bytes], Answer]) -> type[Any]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            result = answer(self.command, self.path, headers, body)
            self.send_response(result.status)
            for name, value in result.headers.items():
                if name.lower() not in _HOP_HEADERS:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(result.body)))
            self.end_headers()
            self.wfile.write(result.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the report says what was sent."""

    return Handler
