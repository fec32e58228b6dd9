"""The shared rules: one answer for the client, the sandbox and the hosted page."""

from __future__ import annotations

import pytest

from leanrails._rules import fill_session_id, idempotency_key_fault, is_currency


@pytest.mark.parametrize(
    ("key", "fault"),
    [
        pytest.param("order-1042", None, id="plain"),
        pytest.param("k" * 255, None, id="255-characters"),
        pytest.param("", "length", id="empty"),
        pytest.param("k" * 256, "length", id="256-characters"),
        pytest.param("commande-réf-1042", "characters", id="non-ascii"),
        pytest.param("key\n", "characters", id="newline"),
    ],
)
def test_an_idempotency_key_is_1_to_255_printable_ascii_characters(
    key: str, fault: str | None
) -> None:
    assert idempotency_key_fault(key) == fault


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        pytest.param("usd", True, id="lower"),
        pytest.param("EUR", True, id="upper"),
        pytest.param("éur", False, id="non-ascii-letter"),
        pytest.param("usd\n", False, id="trailing-newline"),
        pytest.param("us", False, id="two-letters"),
    ],
)
def test_a_currency_is_three_ascii_letters(code: str, valid: bool) -> None:
    assert is_currency(code) is valid


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://shop.example.com/done?id={CHECKOUT_SESSION_ID}", id="template"),
        pytest.param("https://shop.example.com/done?id=%7BCHECKOUT_SESSION_ID%7D", id="encoded"),
    ],
)
def test_the_session_id_fills_the_template_as_written_or_percent_encoded(url: str) -> None:
    assert fill_session_id(url, "cs_test_1") == "https://shop.example.com/done?id=cs_test_1"
