"""``leanrails.explore()``: the request builder, driven through its widgets' values.

The browser test (``test_explore_lab.py``) types into it in a real JupyterLab; these
tests check what the form sends, validates and shows, against the real sandbox.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from leanrails import (
    APIResponseValidationError,
    CheckoutSession,
    InvalidRequestError,
    LeanRails,
    explore,
)
from leanrails._contract import component
from leanrails._curl import FRESH_IDEMPOTENCY_KEY
from leanrails._explore import INSTALL_HINT
from leanrails._explore_form import EXAMPLE, Explorer

from _support.hostile import fixed, hostile_server


@pytest.fixture
def client() -> Iterator[LeanRails]:
    with LeanRails.sandbox() as client:
        yield client


@pytest.fixture
def builder(client: LeanRails) -> Explorer:
    return explore(client)


def _unwrapped(page: str) -> str:
    """HTML without the line-break opportunities (``<wbr>``) the display puts in identifiers."""
    return page.replace("<wbr>", "")


def _type(builder: Explorer, path: str, text: str | None) -> None:
    """Set the field at an API path such as ``line_items[0].quantity``, as typing would."""
    node: Any = builder.form
    for part in path.replace("[", ".").replace("]", "").split("."):
        node = node.items[int(part)] if part.isdigit() else node.fields[part]
    node.input.value = text


def test_the_form_starts_with_a_valid_example_request(builder: Explorer) -> None:
    assert builder.body == {
        "mode": "payment",
        "line_items": [{"quantity": 2, "price": "price_test_tshirt"}],
        "success_url": "https://example.com/success",
    }
    assert builder.problems is None
    assert not builder.send_button.disabled


def test_every_parameter_of_the_contract_has_a_field(builder: Explorer) -> None:
    contract = component("CheckoutSessionCreateParams")["properties"]
    assert list(builder.form.fields) == list(contract)
    fields: dict[str, Any] = builder.form.fields
    item = fields["line_items"].items[0]
    assert set(item.fields) == {"quantity", "price", "price_data"}
    assert set(item.fields["price_data"].fields["recurring"].fields) == {
        "interval",
        "interval_count",
    }


def test_a_field_carries_its_description_from_the_contract(builder: Explorer) -> None:
    fields: dict[str, Any] = builder.form.fields
    tooltip = fields["success_url"].input.tooltip
    assert "redirect to after a successful payment" in tooltip


@pytest.mark.parametrize(
    ("path", "text", "problem"),
    [
        pytest.param("line_items[0].quantity", "two", "line_items[0].quantity", id="not-integer"),
        pytest.param("line_items[0].quantity", "0", "line_items[0].quantity", id="quantity-0"),
        pytest.param("success_url", "", "success_url", id="success-url-cleared"),
        pytest.param("success_url", "example.com", "success_url", id="relative-url"),
        pytest.param("currency", "dollars", "currency", id="currency-too-long"),
        pytest.param("customer_email", "nobody", "customer_email", id="bad-email"),
    ],
)
def test_typing_a_mistake_shows_it_at_its_api_path_and_fixing_it_clears_it(
    builder: Explorer, path: str, text: str, problem: str
) -> None:
    _type(builder, path, text)
    assert builder.problems is not None
    assert [error["loc"] for error in builder.problems.errors()] == [(problem,)]
    assert f"<code>{problem}</code>" in _unwrapped(builder.status.value)
    assert builder.send_button.disabled
    assert builder.curl == ""
    _type(builder, "line_items[0].quantity", "2")
    _type(builder, "success_url", "https://example.com/success")
    _type(builder, "currency", "")
    _type(builder, "customer_email", "")
    assert builder.problems is None
    assert "Valid" in builder.status.value


def test_line_items_are_added_and_removed(builder: Explorer) -> None:
    items: Any = builder.form.fields["line_items"]
    items.add()
    _type(builder, "line_items[1].quantity", "1")
    _type(builder, "line_items[1].price_data.currency", "usd")
    _type(builder, "line_items[1].price_data.product", "prod_sticker")
    _type(builder, "line_items[1].price_data.unit_amount", "150")
    assert builder.problems is None
    assert builder.body["line_items"][1] == {
        "quantity": 1,
        "price_data": {"currency": "usd", "product": "prod_sticker", "unit_amount": 150},
    }
    items.remove(0)
    assert builder.body["line_items"] == [
        {
            "quantity": 1,
            "price_data": {"currency": "usd", "product": "prod_sticker", "unit_amount": 150},
        }
    ]
    items.remove(0)
    assert builder.problems is not None
    assert [error["loc"] for error in builder.problems.errors()] == [("line_items",)]


def test_curl_is_the_request_send_makes_with_the_key_masked(
    builder: Explorer, client: LeanRails
) -> None:
    assert '--user "$LEANRAILS_API_KEY:"' in builder.curl
    assert client.api_key not in builder.curl
    # Run in a terminal, it sends a key of its own each time (to_curl), not the form's.
    assert f"Idempotency-Key: {FRESH_IDEMPOTENCY_KEY}" in builder.curl
    assert client.api_key not in builder.request_view.value


def test_the_python_call_runs_and_creates_what_the_form_describes(
    builder: Explorer, client: LeanRails
) -> None:
    _type(builder, "metadata", "order_id=6735\nsource=explore")
    _type(builder, "payment_intent_data.capture_method", "manual")
    namespace: dict[str, object] = {"client": client}
    exec(builder.python, namespace)
    session = namespace["session"]
    assert isinstance(session, CheckoutSession)
    assert session.metadata == {"order_id": "6735", "source": "explore"}
    assert session.amount_total == 4000


def test_send_creates_the_session_and_shows_it(builder: Explorer, client: LeanRails) -> None:
    first_key = builder.idempotency_key
    session = builder.send()
    assert isinstance(session, CheckoutSession)
    assert client.checkout_sessions.retrieve(session.id).id == session.id
    assert session.id in _unwrapped(builder.response_view.value)
    assert "leanrails-session" in builder.response_view.value
    # The next Send is a new create: a new key.
    assert builder.idempotency_key != first_key


def test_send_shows_the_api_error(builder: Explorer) -> None:
    _type(builder, "line_items[0].price", "price_nope")
    error = builder.send()
    assert isinstance(error, InvalidRequestError)
    assert "resource_missing" in builder.response_view.value
    assert "line_items[0].price" in _unwrapped(builder.response_view.value)


def test_send_shows_every_kit_error_in_the_pane_even_a_response_that_is_no_session() -> None:
    # A server answering 200 with something that is not a session: the error is shown.
    with (
        hostile_server(fixed(200, b'{"not": "a session"}')) as server,
        LeanRails(api_key="sk_test_sandbox", base_url=server.url, max_retries=0) as client,
    ):
        builder = explore(client)
        before = builder.response_view.value
        error = builder.send()
    assert isinstance(error, APIResponseValidationError)
    assert builder.response_view.value != before
    assert "APIResponseValidationError" in builder.response_view.value
    assert "not a CheckoutSession" in builder.response_view.value


def test_explore_fills_the_form_from_a_body(client: LeanRails) -> None:
    body = {**EXAMPLE, "client_reference_id": "order-42"}
    builder = explore(client, **body)
    assert builder.body["client_reference_id"] == "order-42"
    assert builder.problems is None


def test_explore_takes_only_a_sync_client() -> None:
    with pytest.raises(TypeError, match="explore\\(\\) sends with a LeanRails client"):
        explore("https://example.com")  # type: ignore[arg-type]


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEANRAILS_")}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )


def test_importing_leanrails_imports_no_widget_library() -> None:
    ran = _python(
        "import sys, leanrails; print('ipywidgets' in sys.modules, 'yaml' in sys.modules)"
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["False", "False"]


@pytest.mark.slow
def test_without_the_lab_extra_explore_says_in_one_line_what_to_install() -> None:
    ran = _python(
        "import sys\n"
        "sys.modules['ipywidgets'] = None\n"
        "import leanrails\n"
        "try:\n"
        "    leanrails.explore()\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == INSTALL_HINT + "\n"
    assert "pip install 'leanrails[lab]'" in INSTALL_HINT


def test_the_plain_text_form_names_the_builder_and_its_server(builder: Explorer) -> None:
    text = builder._repr_mimebundle_()["text/plain"]
    assert text == (
        "LeanRails request builder: POST /v1/checkout_sessions to https://sandbox.leanrails.test"
    )
