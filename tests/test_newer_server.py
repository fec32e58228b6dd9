"""A server newer than the kit: what it adds is kept, and a create it acted on never raises."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx2
import pytest

from leanrails import CheckoutSession, LeanRails
from leanrails.sandbox import IN_PROCESS_BASE_URL, TEST_API_KEY, Sandbox, SandboxTransport

NEWER = {"status": "processing", "payment_status": "pending_review", "locale": "fr"}


class NewerServer(httpx2.BaseTransport):
    """The real sandbox, answering with values and fields from a later API version."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.inner = SandboxTransport(sandbox)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self.inner.handle_request(request)
        body = json.loads(response.read())
        if response.is_success:
            body.update(NEWER)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return httpx2.Response(response.status_code, headers=headers, json=body, request=request)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


def test_a_create_answered_with_unknown_values_returns_the_session_once(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    http_client = httpx2.Client(transport=NewerServer(sandbox))
    with LeanRails(
        api_key=TEST_API_KEY, base_url=IN_PROCESS_BASE_URL, http_client=http_client
    ) as client:
        session = client.checkout_sessions.create(
            mode="payment",
            line_items=[{"price": "price_test_tshirt", "quantity": 2}],
            success_url="https://example.com/success",
        )
    assert isinstance(session, CheckoutSession)
    assert (session.status, session.payment_status) == ("processing", "pending_review")
    assert session.model_extra == {"locale": "fr"}
    assert session.amount_total == 4000
    assert sandbox.session_count == 1
    assert [m for m in caplog.messages if "does not know yet" in m] == [
        "response field status is 'processing', a value this kit does not know yet; kept as it is",
        "response field payment_status is 'pending_review', a value this kit does not know yet; "
        "kept as it is",
    ]
