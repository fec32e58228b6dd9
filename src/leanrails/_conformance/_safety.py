"""What keeps a conformance run safe against a real server.

- Only test keys: a key that does not start with ``sk_test_`` is refused before anything
  is sent (:func:`check_key`).
- A budget: at most ``max_requests`` requests reach the server, and nothing is sent after
  the time limit (:class:`Budget`).
- Every POST carries an ``Idempotency-Key``; a request that fails in transit is retried
  once with the same key, so it can never create a second session.
- Nothing that completes a session is ever sent: the test-helper routes and the hosted
  page's form are refused here (:func:`forbidden`), whatever asks for them.
- The key never reaches a report: :func:`scrub` masks it (and its Basic form) in any text.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx2

TEST_KEY_PREFIX = "sk_test_"


class Refused(Exception):
    """The run must not start (or go on): the message is one line for the user."""


class OutOfBudget(Exception):
    """The request budget or the time limit is spent."""


def check_key(key: str | None) -> str:
    """The key, if it is a test key; else :class:`Refused`, naming no part of the key."""
    if not key:
        raise Refused("set LEANRAILS_API_KEY to a test key (sk_test_...) of the server to check")
    if not key.startswith(TEST_KEY_PREFIX) or len(key) == len(TEST_KEY_PREFIX):
        raise Refused(
            "LEANRAILS_API_KEY is not a test key (sk_test_...): conformance runs against "
            "test mode only, so nothing was sent"
        )
    return key


def forbidden(method: str, path: str) -> str | None:
    """Why this request is never sent to the server, or None when it may be."""
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if parts[:2] == ["v1", "test_helpers"]:
        return "a sandbox test helper (it completes sessions or injects faults)"
    if parts[:1] == ["pay"] and method.upper() == "POST":
        return "the hosted page's payment form (it completes a session)"
    return None


def scrub(text: str, key: str) -> str:
    """``text`` with every form of ``key`` masked."""
    if not key:
        return text
    basic = base64.b64encode(f"{key}:".encode()).decode()
    masked = TEST_KEY_PREFIX + "****"
    return text.replace(basic, "<basic-credentials>").replace(key, masked)


@dataclass
class Budget:
    """Requests left and the deadline, shared by every part of a run (thread-safe)."""

    max_requests: int
    time_limit: float
    started: float = field(default_factory=time.monotonic)
    used: int = 0
    exhausted: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self) -> None:
        with self._lock:
            if self.used >= self.max_requests:
                self.exhausted = f"the request budget ({self.max_requests}) was spent"
                raise OutOfBudget(self.exhausted)
            if self.elapsed() >= self.time_limit:
                self.exhausted = f"the time limit ({self.time_limit:g} s) was reached"
                raise OutOfBudget(self.exhausted)
            self.used += 1

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def time_left(self) -> float:
        return self.time_limit - self.elapsed()


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, reduced to what the checks read."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        import json

        try:
            return json.loads(self.body)
        except ValueError:
            return None


class Server:
    """The server under check, reached only through the budget and the safety rules."""

    def __init__(self, base_url: str, key: str, budget: Budget, *, timeout: float = 20) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.budget = budget
        self._http = httpx2.Client(base_url=self.base_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        authenticate: bool = True,
    ) -> Answer:
        """Send one request (and at most one retry on a transport failure, same key)."""
        reason = forbidden(method, path)
        if reason is not None:
            raise Refused(f"conformance never sends {method} {path}: {reason}")
        sent = dict(headers or {})
        if authenticate and not any(h.lower() == "authorization" for h in sent):
            basic = base64.b64encode(f"{self.key}:".encode()).decode()
            sent["Authorization"] = f"Basic {basic}"
        if method.upper() == "POST" and not any(h.lower() == "idempotency-key" for h in sent):
            sent["Idempotency-Key"] = f"conformance-{uuid.uuid4()}"
        if body and not any(h.lower() == "content-type" for h in sent):
            sent["Content-Type"] = "application/json"
        try:
            return self._once(method, path, body, sent)
        except httpx2.TransportError:
            return self._once(method, path, body, sent)

    def _once(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        self.budget.take()
        response = self._http.request(method, path, content=body, headers=headers)
        return Answer(response.status_code, dict(response.headers), response.content)
