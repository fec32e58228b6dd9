"""Credentials in ``base_url`` (a gateway's ``user:password``) are masked wherever the key is."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from leanrails import APIConnectionError, LeanRails, to_curl

from _support.sandbox import free_port

PASSWORD = "gateway-password-123"
BODY: dict[str, Any] = {
    "mode": "payment",
    "line_items": [{"price": "price_test_tshirt", "quantity": 1}],
    "success_url": "https://example.com/success",
}


@pytest.fixture
def client() -> LeanRails:
    # A closed loopback port: the create fails with no response, and nothing leaves the machine.
    return LeanRails(
        api_key="sk_test_credentials", base_url=f"http://gateway:{PASSWORD}@127.0.0.1:{free_port()}"
    )


def test_the_clients_repr_masks_the_credentials(client: LeanRails) -> None:
    assert PASSWORD not in repr(client)
    assert "http://****@127.0.0.1:" in repr(client)


def test_curl_masks_the_credentials_unless_the_key_is_revealed(client: LeanRails) -> None:
    request = client.checkout_sessions.build(**BODY)
    assert PASSWORD not in to_curl(request)
    assert "--url 'http://****@127.0.0.1:" in to_curl(request)
    assert f"gateway:{PASSWORD}@" in to_curl(request, reveal_key=True)


def test_errors_and_debug_logs_mask_the_credentials(
    client: LeanRails, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="leanrails")
    with pytest.raises(APIConnectionError) as raised:
        client.checkout_sessions.create(**BODY, max_retries=0)
    assert PASSWORD not in str(raised.value)
    assert "http://****@127.0.0.1:" in str(raised.value)
    assert caplog.messages
    assert all(PASSWORD not in message for message in caplog.messages)
