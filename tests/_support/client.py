"""The scripted API the client tests run against: httpx2's MockTransport answering in turn.

``scripted_api`` yields an ``Api``: one client kind (sync or async) whose requests a
``Server`` answers with the replies queued, recording every request and retry (never slept).
"""

from __future__ import annotations

import base64
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest

from leanrails import AsyncLeanRails, LeanRails
from leanrails.sandbox import Sandbox
from leanrails.testing import RetryRecord, record_retries

CLIENT_KINDS = [pytest.param(False, id="sync"), pytest.param(True, id="async")]
"""Parameters of a fixture that runs each test on the sync and on the async client."""

KEY = "sk_test_51HqLyjWDarjtT1zdp7dcQx"
TOKEN = base64.b64encode(f"{KEY}:".encode()).decode()
SECRETS = (KEY, TOKEN)

BODY: dict[str, Any] = {
    "mode": "payment",
    "line_items": [
        {
            "quantity": 2,
            "price_data": {"currency": "usd", "product": "prod_tshirt", "unit_amount": 2000},
        }
    ],
    "success_url": "https://example.com/success?session_id={CHECKOUT_SESSION_ID}",
    "customer_email": "jsmith@example.com",
    "metadata": {"order_id": "6735"},
}

SESSION: dict[str, Any] = {
    "id": "cs_test_a1b2c3",
    "object": "checkout.session",
    "mode": "payment",
    "status": "open",
    "payment_status": "unpaid",
    "ui_mode": "hosted",
    "customer_creation": "if_required",
    "billing_address_collection": "auto",
    "expires_at": 1767312000,
    "metadata": {"order_id": "6735"},
    "livemode": False,
    "created": 1767225600,
    "url": "https://checkout.leanrails.com/c/pay/cs_test_a1b2c3",
    "client_secret": None,
    "success_url": "https://example.com/success?session_id={CHECKOUT_SESSION_ID}",
    "cancel_url": None,
    "customer": None,
    "customer_email": "jsmith@example.com",
    "customer_details": None,
    "payment_intent": "pi_test_d4e5f6",
    "currency": "usd",
    "amount_subtotal": 4000,
    "amount_total": 4000,
    "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
    "client_reference_id": None,
}

Reply = httpx2.Response | Exception


@dataclass
class Server:
    """A scripted API: answers with the queued replies in turn (the last one repeats)."""

    replies: list[Callable[[], Reply]] = field(default_factory=list)
    requests: list[httpx2.Request] = field(default_factory=list)

    def reply(self, status: int = 200, **kwargs: Any) -> Server:
        if status == 200 and not kwargs:
            kwargs = {"json": SESSION, "headers": {"Request-Id": "req_ok"}}
        self.replies.append(lambda: httpx2.Response(status, **kwargs))
        return self

    def fail(self, exc: Exception) -> Server:
        self.replies.append(lambda: exc)
        return self

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        make = self.replies[min(len(self.requests), len(self.replies)) - 1]
        reply = make()
        if isinstance(reply, Exception):
            raise reply
        return reply

    @property
    def keys(self) -> list[str | None]:
        return [request.headers.get("idempotency-key") for request in self.requests]


@dataclass
class Api:
    """One client kind (sync or async) against a scripted server."""

    is_async: bool
    server: Server
    retries: list[RetryRecord]
    clients: list[LeanRails | AsyncLeanRails] = field(default_factory=list)
    sandboxed: list[LeanRails | AsyncLeanRails] = field(default_factory=list)

    @property
    def sleeps(self) -> list[float]:
        """The wait the client chose before each retry (recorded, never slept)."""
        return [retry.wait for retry in self.retries]

    def client(self, api_key: str | None = KEY, **kwargs: Any) -> Any:
        """A client of this kind; ``Any`` so one test body drives both."""
        transport = httpx2.MockTransport(self.server)
        client: LeanRails | AsyncLeanRails
        if self.is_async:
            kwargs.setdefault("http_client", httpx2.AsyncClient(transport=transport))
            client = AsyncLeanRails(api_key, **kwargs)
        else:
            kwargs.setdefault("http_client", httpx2.Client(transport=transport))
            client = LeanRails(api_key, **kwargs)
        self.clients.append(client)
        return client

    def sandbox(self, sandbox: Sandbox | None = None, **kwargs: Any) -> Any:
        """A client of this kind wired to an in-process sandbox."""
        cls = AsyncLeanRails if self.is_async else LeanRails
        client = cls.sandbox(sandbox, **kwargs)
        self.sandboxed.append(client)
        return client

    @staticmethod
    async def run(result: Any) -> Any:
        """The result of a call on either client: awaited when the client is async."""
        return await result if inspect.isawaitable(result) else result


@asynccontextmanager
async def scripted_api(*, is_async: bool) -> AsyncIterator[Api]:
    """An ``Api`` of one client kind; closes what its clients opened."""
    with record_retries() as retries:
        api = Api(is_async=is_async, server=Server(), retries=retries)
        yield api
    for client in api.clients:  # injected HTTP clients are the test's to close
        http = client._http_client
        if isinstance(http, httpx2.AsyncClient):
            await http.aclose()
        else:
            http.close()
    for client in api.sandboxed:
        await api.run(client.close())
