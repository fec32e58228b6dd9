"""The seam with the server under check: what may go out, and how much may come back.

- **One way in for credentials.** The only credential ever sent is the test key given as the
  key (``LEANRAILS_API_KEY``, or ``Options.key``): it must be a whole ``sk_test_…`` key
  (:func:`check_key`), and a base URL carrying a user, a password, a live key anywhere
  (percent-encoded or not), a query or a fragment is refused before anything is sent
  (:func:`check_base_url`), so no URL can swap in other credentials or reshape every path.
- **A budget.** At most ``max_requests`` requests reach the server, and one deadline covers
  the whole run: a request still being answered when it passes is abandoned, its socket shut
  (:class:`Budget`, :class:`Server`).
- **Answers capped.** A body over :data:`MAX_ANSWER` bytes is cut there and marked; its size
  is the server's finding, not the tool's memory.
- Every POST carries an ``Idempotency-Key``; a request that fails in transit is retried
  once with the same key, so it can never create a second session.
- Faults and the hosted page's payment form are never sent (:func:`forbidden`).
- The key never reaches a report, in any encoding: :func:`scrub`.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

import httpx2

from .._errors import inert

TEST_KEY_PREFIX = "sk_test_"
MAX_ANSWER = 1 << 20
"""Bytes read of one answer at most (the API's answers are a few kilobytes)."""
_TEST_KEY = re.compile(r"sk_test_[A-Za-z0-9_]{1,247}")
LIVE_KEY = re.compile(r"[a-z]k_live", re.IGNORECASE)
"""Any sign of a live key, in any case (``sk_live_``, ``RK_LIVE_``, ``pk_live``...)."""


class Refused(Exception):
    """The run must not start (or go on): the message is one line for the user."""


class OutOfBudget(Exception):
    """The request budget or the time limit is spent."""


def check_key(key: str | None) -> str:
    """The key, if it is one whole test key; else :class:`Refused`, naming no part of it."""
    if not key:
        raise Refused("set LEANRAILS_API_KEY to a test key (sk_test_...) of the server to check")
    if not _TEST_KEY.fullmatch(key) or LIVE_KEY.search(key):
        raise Refused(
            "LEANRAILS_API_KEY is not one test key (sk_test_ then letters, digits or _): "
            "conformance runs against test mode only, so nothing was sent"
        )
    return key


def check_base_url(url: str) -> str:
    """The base URL without a final ``/``; :class:`Refused` for anything but scheme://host/path.

    A user or password would replace the key (httpx sends them as HTTP Basic), and a query or
    fragment would end up in the middle of every path: neither is ever sent. The message
    never repeats a refused URL, which may hold a secret.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise Refused("--base-url is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("--base-url must be an http(s) URL with a host, such as https://host")
    if "@" in parts.netloc:
        raise Refused(
            "--base-url must not carry a user or password: conformance authenticates only "
            "with the test key, so nothing was sent; reach a gateway that needs its own "
            "credentials through a local proxy instead"
        )
    if LIVE_KEY.search(unquote(url)):
        raise Refused(
            "--base-url holds what looks like a live key (..._live...): conformance runs "
            "against test mode only, so nothing was sent"
        )
    if "?" in url or "#" in url:
        raise Refused("--base-url must not have a query (?...) or fragment (#...)")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise Refused("--base-url must not contain spaces or control characters")
    return url.rstrip("/")


def forbidden(method: str, path: str) -> str | None:
    """Why this request is never sent to the server, or None when it may be."""
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if parts[:3] == ["v1", "test_helpers", "faults"]:
        return "a sandbox fault (it would disturb the account)"
    if parts[:1] == ["pay"] and method.upper() == "POST":
        return "the hosted page's payment form"
    return None


def key_forms(key: str) -> list[str]:
    """Every way ``key`` can be written in a request or a report, in one fixed order (so the
    forms of two keys pair up); replace the longest first."""
    forms = [key, quote(key, safe=""), f"{key}:", quote(f"{key}:", safe="")]
    for raw in (f"{key}:", key):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            token = encode(raw.encode()).decode()
            forms += [token, token.rstrip("=")]
    return forms


def scrub(text: str, key: str) -> str:
    """``text`` with every form of ``key`` masked (:func:`key_forms`)."""
    if not key:
        return text
    for form in sorted(set(key_forms(key)), key=len, reverse=True):
        text = text.replace(form, "<the test key>")
    return text


PLAIN_MAX = 400


def plain(text: str) -> str:
    """Text from the server made inert on a terminal: one line, no control, format (bidi)
    or private-use characters (so no ANSI escape or OSC 8 link), at most PLAIN_MAX long."""
    kept = " ".join(inert(text[: PLAIN_MAX * 2]).split())
    return kept if len(kept) <= PLAIN_MAX else kept[: PLAIN_MAX - 3] + "..."


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


@dataclass
class Budget:
    """Requests left and the one deadline, shared by every part of a run (thread-safe)."""

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
            if self.time_left() <= 0:
                self.expire()
            self.used += 1

    def expire(self) -> None:
        self.exhausted = f"the time limit ({self.time_limit:g} s) was reached"
        raise OutOfBudget(self.exhausted)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def time_left(self) -> float:
        return self.time_limit - self.elapsed()


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, reduced to what the checks read; ``too_large``: cut at MAX_ANSWER."""

    status: int
    headers: dict[str, str]
    body: bytes
    too_large: bool = False

    def json(self) -> object:
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None


class Server:
    """The server under check, reached only through the budget and the rules above."""

    def __init__(self, base_url: str, key: str, budget: Budget, *, timeout: float = 20) -> None:
        self.base_url = check_base_url(base_url)
        self.key = check_key(key)
        self.budget = budget
        self.timeout = timeout
        # trust_env=False: no proxy, .netrc or certificate setting of the environment can add
        # credentials or route the test key elsewhere.
        self._http = httpx2.Client(base_url=self.base_url, timeout=timeout, trust_env=False)

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
        authorization: str | None = None,
    ) -> Answer:
        """Send one request (and at most one retry on a transport failure, same key).

        ``headers`` never carry credentials: ``authenticate`` adds the test key's; else
        ``authorization`` is sent, a header the guard has vetted (another test key of the
        guide's).
        """
        reason = forbidden(method, path)
        if reason is not None:
            raise Refused(f"conformance never sends {method} {path}: {reason}")
        sent = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
        if authenticate or authorization:
            sent["Authorization"] = basic(self.key) if authenticate else str(authorization)
        if method.upper() == "POST" and not any(h.lower() == "idempotency-key" for h in sent):
            sent["Idempotency-Key"] = f"conformance-{uuid.uuid4()}"
        if body and not any(h.lower() == "content-type" for h in sent):
            sent["Content-Type"] = "application/json"
        sent["Accept-Encoding"] = "identity"
        try:
            return self._once(method, path, body, sent)
        except httpx2.TransportError:
            return self._once(method, path, body, sent)

    def _once(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        """One request, read in a worker so that the deadline can abandon it mid-answer."""
        self.budget.take()
        left = self.budget.time_left()
        fetch = _Fetch(self._http, method, path, body, headers, min(self.timeout, left))
        worker = threading.Thread(target=fetch.run, daemon=True, name="conformance-fetch")
        worker.start()
        worker.join(max(left, 0))
        if worker.is_alive():
            fetch.abandon()
            self.budget.expire()
        if isinstance(fetch.outcome, BaseException):
            raise fetch.outcome
        assert fetch.outcome is not None
        return fetch.outcome


class _Fetch:
    """One request and its answer, read at most :data:`MAX_ANSWER` bytes far."""

    def __init__(
        self,
        http: httpx2.Client,
        method: str,
        path: str,
        body: bytes,
        headers: dict[str, str],
        timeout: float,
    ) -> None:
        self._request = http.build_request(
            method, path, content=body, headers=headers, timeout=max(timeout, 0.01)
        )
        self._http = http
        self._stop = threading.Event()
        self._socket: socket.socket | None = None
        self.outcome: Answer | BaseException | None = None

    def run(self) -> None:
        try:
            self.outcome = self._read()
        except BaseException as exc:  # handed to the waiting thread
            self.outcome = exc

    def _read(self) -> Answer:
        response = self._http.send(self._request, stream=True)
        try:
            stream = response.extensions.get("network_stream")
            if stream is not None:
                self._socket = stream.get_extra_info("socket")
            chunks: list[bytes] = []
            size = 0
            too_large = False
            for chunk in response.iter_raw():
                if self._stop.is_set():
                    raise httpx2.ReadTimeout("abandoned at the deadline", request=self._request)
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_ANSWER:
                    too_large = True
                    break
            content = b"".join(chunks)[:MAX_ANSWER]
            return Answer(response.status_code, dict(response.headers), content, too_large)
        finally:
            response.close()

    def abandon(self) -> None:
        """Stop reading: shut the socket, so a read in progress returns now."""
        self._stop.set()
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)
