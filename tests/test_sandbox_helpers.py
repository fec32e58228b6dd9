"""The sandbox's Python surface: test helpers, the catalogue, and its errors."""

from __future__ import annotations

import httpx2
import pytest

import leanrails.sandbox as sandbox_module
from leanrails import CheckoutSession
from leanrails.sandbox import (
    DEFAULT_PRICES,
    IN_PROCESS_BASE_URL,
    TEST_API_KEY,
    Price,
    Sandbox,
    SandboxError,
    SandboxTransport,
)

from _support.sandbox import BASIC, START, FakeClock, body


def create(sandbox: Sandbox, payload: dict[str, object] = BASIC) -> CheckoutSession:
    with httpx2.Client(
        transport=SandboxTransport(sandbox), base_url=IN_PROCESS_BASE_URL, auth=(TEST_API_KEY, "")
    ) as client:
        response = client.post(
            "/v1/checkout_sessions", json=payload, headers={"Idempotency-Key": str(id(payload))}
        )
    assert response.status_code == 200, response.text
    return CheckoutSession.model_validate(response.json())


def test_the_public_names_are_exported() -> None:
    assert {
        "Sandbox",
        "SandboxTransport",
        "AsyncSandboxTransport",
        "TEST_API_KEY",
        "IN_PROCESS_BASE_URL",
        "create_app",
    } <= set(sandbox_module.__all__)
    assert TEST_API_KEY.startswith("sk_test_")
    assert IN_PROCESS_BASE_URL.endswith(".test")


def test_complete_returns_the_paid_session(sandbox: Sandbox) -> None:
    session = create(sandbox, body(customer_creation="always"))

    paid = sandbox.complete(
        session.id, customer_details={"email": "jane@example.com", "name": "Jane"}
    )

    assert isinstance(paid, CheckoutSession)
    assert paid.status == "complete"
    assert paid.payment_status == "paid"
    assert paid.customer is not None
    assert paid.customer.startswith("cus_test_")
    assert sandbox.retrieve(session.id) == paid


def test_expire_returns_the_expired_session(sandbox: Sandbox) -> None:
    session = create(sandbox)

    assert sandbox.expire(session.id).status == "expired"


@pytest.mark.parametrize(
    ("details", "status", "param"),
    [
        pytest.param({"email": "nope"}, 400, "customer_details.email", id="bad-email"),
        pytest.param({"colour": "red"}, 400, "customer_details.colour", id="unknown-field"),
    ],
)
def test_complete_raises_a_sandbox_error_for_bad_details(
    sandbox: Sandbox, details: dict[str, str], status: int, param: str
) -> None:
    session = create(sandbox)

    with pytest.raises(SandboxError) as caught:
        sandbox.complete(session.id, customer_details=details)

    assert caught.value.status == status
    assert caught.value.param == param
    assert param in str(caught.value)


def test_helpers_raise_a_404_sandbox_error_for_an_unknown_session(sandbox: Sandbox) -> None:
    for helper in (sandbox.complete, sandbox.expire, sandbox.retrieve):
        with pytest.raises(SandboxError) as caught:
            helper("cs_test_nope")
        assert caught.value.status == 404
        assert caught.value.code == "resource_missing"


def test_the_default_catalogue_is_the_documented_one() -> None:
    assert {p.id: (p.currency, p.unit_amount, p.recurring_interval) for p in DEFAULT_PRICES} == {
        "price_test_tshirt": ("usd", 2000, None),
        "price_test_mug": ("usd", 1200, None),
        "price_test_poster_eur": ("eur", 1500, None),
        "price_test_monthly": ("usd", 900, "month"),
    }


def test_a_custom_catalogue_replaces_the_default(clock: FakeClock) -> None:
    with Sandbox(clock=clock, prices=[Price("price_gold", "chf", 99_00, "Gold")]) as sandbox:
        session = create(sandbox, body(line_items=[{"quantity": 3, "price": "price_gold"}]))
        with httpx2.Client(
            transport=SandboxTransport(sandbox),
            base_url=IN_PROCESS_BASE_URL,
            auth=(TEST_API_KEY, ""),
        ) as client:
            missing = client.post(
                "/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": "x"}
            )

    assert session.currency == "chf"
    assert session.amount_total == 3 * 99_00
    assert missing.json()["error"]["param"] == "line_items[0].price"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"currency": "dollars"}, "currency", id="long-currency"),
        pytest.param({"currency": "\u00e9ur"}, "currency", id="non-ascii-currency"),
        pytest.param({"unit_amount": -1}, "unit_amount", id="negative-amount"),
    ],
)
def test_a_price_checks_itself(kwargs: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "id": "price_x",
        "currency": "usd",
        "unit_amount": 100,
        "product": "X",
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        Price(**values)  # type: ignore[arg-type]


def test_the_sandbox_clock_sets_created_and_expires_at(clock: FakeClock) -> None:
    clock.advance(42)
    with Sandbox(clock=clock) as sandbox:
        session = create(sandbox)

    assert session.created == START + 42
    assert session.expires_at == START + 42 + 24 * 3600
