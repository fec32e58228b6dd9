"""Drifted sandboxes for the conformance tests: the real sandbox, with one thing changed.

Each :class:`Drift` is ASGI middleware around the sandbox's own app (``create_app``): it
may rewrite a request body before the sandbox sees it, and rewrite JSON answers after.
The engine is untouched, so each drift is exactly one change a live server could make.
A :class:`Recorder` wraps any app and keeps every request's method, path and headers, to
show what did (or did not) reach the server.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Message = MutableMapping[str, Any]
App = Callable[
    [Any, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]

CREATE = "/v1/checkout_sessions"


class Drift:
    """Middleware: rewrite what goes in and what comes out; by default, nothing."""

    def __init__(self, app: App) -> None:
        self.app = app

    def request(self, method: str, path: str, body: bytes) -> bytes:
        return body

    def session(self, session: dict[str, Any]) -> dict[str, Any]:
        return session

    def error(self, error: dict[str, Any]) -> dict[str, Any]:
        return error

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = self.request(scope["method"], scope["path"], b"".join(chunks))
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        start: Message = {}
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                parts.append(message.get("body", b""))

        await self.app(scope, replay, capture)
        content = self._rewrite(b"".join(parts))
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": content})

    def _rewrite(self, content: bytes) -> bytes:
        try:
            payload = json.loads(content)
        except ValueError:
            return content
        if isinstance(payload, dict) and payload.get("object") == "checkout.session":
            payload = self.session(payload)
        elif isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            payload = {"error": self.error(payload["error"])}
        else:
            return content
        return json.dumps(payload).encode()


class RenamedField(Drift):
    """The server calls amount_total total_amount."""

    def session(self, session: dict[str, Any]) -> dict[str, Any]:
        return {("total_amount" if k == "amount_total" else k): v for k, v in session.items()}


class ChangedErrorCode(Drift):
    """A missing parameter is reported with code missing_parameter, not parameter_missing."""

    def error(self, error: dict[str, Any]) -> dict[str, Any]:
        if error.get("code") == "parameter_missing":
            return {**error, "code": "missing_parameter"}
        return error


class AcceptsRecurring(Drift):
    """Inline recurring prices are accepted: the recurring part is dropped, a session made."""

    def request(self, method: str, path: str, body: bytes) -> bytes:
        if method != "POST" or path != CREATE:
            return body
        try:
            payload = json.loads(body)
            for item in payload["line_items"]:
                item["price_data"].pop("recurring", None)
        except (ValueError, KeyError, TypeError, AttributeError):
            return body
        return json.dumps(payload).encode()


class UnknownStatus(Drift):
    """An open session is reported with status "pending", a value the kit does not know."""

    def session(self, session: dict[str, Any]) -> dict[str, Any]:
        if session.get("status") == "open":
            return {**session, "status": "pending"}
        return session


class TighterLimit(Drift):
    """client_reference_id is limited to 100 characters instead of 200."""

    def request(self, method: str, path: str, body: bytes) -> bytes:
        try:
            payload = json.loads(body)
        except ValueError:
            return body
        reference = payload.get("client_reference_id") if isinstance(payload, dict) else None
        if isinstance(reference, str) and len(reference) > 100:
            payload["client_reference_id"] = 42  # the sandbox then refuses it at that param
            return json.dumps(payload).encode()
        return body


class ExtraField(Drift):
    """The server adds a field the contract does not document."""

    def session(self, session: dict[str, Any]) -> dict[str, Any]:
        return {**session, "locale": "auto"}


class ManyFields(Drift):
    """The server adds 1,000 fields the contract does not document, new names each answer."""

    answers = 0

    def session(self, session: dict[str, Any]) -> dict[str, Any]:
        self.answers += 1
        return {**session, **{f"x{self.answers}_{n}": n for n in range(1000)}}


@dataclass
class Recorder:
    """Wraps an app, keeping (method, path, headers) of every request it is sent."""

    app: App | None = None
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            self.seen.append((scope["method"], scope["path"], headers))
        assert self.app is not None
        await self.app(scope, receive, send)


class NoHelpers(Drift):
    """A server without the sandbox's test helpers: /v1/test_helpers/... is not found."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/test_helpers/"):
            body = json.dumps(
                {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "resource_missing",
                        "message": "Unrecognized request URL.",
                        "param": None,
                    }
                }
            ).encode()
            headers = [(b"content-type", b"application/json"), (b"request-id", b"req_nohelpers")]
            await send({"type": "http.response.start", "status": 404, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await super().__call__(scope, receive, send)


HOSTILE = [
    "\x1b[31mred\x1b[0m",
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "\n# Injected heading",
    "<script>alert(1)</script>",
    "\x9b31m",
    "\u202eevil",
]
"""What a hostile server writes into its strings: ANSI colours, an OSC 8 link, a Markdown
heading, HTML, a C1 CSI and a right-to-left override."""


class HostileStrings(Drift):
    """Every error's type, code and param, and every session's metadata keys, carry
    :data:`HOSTILE` text; the session gains a field named with it too."""

    def error(self, error: dict[str, Any]) -> dict[str, Any]:
        text = "".join(HOSTILE)
        return {**error, "type": text, "code": text, "param": text, "message": text}

    def session(self, session: dict[str, Any]) -> dict[str, Any]:
        text = "".join(HOSTILE)
        return {**session, "metadata": {text: text}, text: text}


async def _until_disconnect(receive: Any, gone: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    gone.set()


async def endless(scope: Any, receive: Any, send: Any) -> None:
    """An ASGI app whose every answer is an endless chunked body, as fast as it is read
    (until the client goes away)."""
    import asyncio

    if scope["type"] != "http":
        return
    gone = asyncio.Event()
    watcher = asyncio.ensure_future(_until_disconnect(receive, gone))
    headers = [(b"request-id", b"req_endless")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    chunk = b"{" + b'"a": 1, ' * 8192
    while not gone.is_set():
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await asyncio.sleep(0)
    watcher.cancel()


async def drip(scope: Any, receive: Any, send: Any) -> None:
    """An ASGI app that answers one byte every 5 seconds (until the client goes away)."""
    import asyncio

    if scope["type"] != "http":
        return
    gone = asyncio.Event()
    watcher = asyncio.ensure_future(_until_disconnect(receive, gone))
    await send({"type": "http.response.start", "status": 200, "headers": []})
    while not gone.is_set():
        await send({"type": "http.response.body", "body": b" ", "more_body": True})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(gone.wait(), 5)
    watcher.cancel()
