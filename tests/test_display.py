"""Rich display: requests, sessions, validation and API errors render as escaped HTML, key
masked, with a plain-text form nbval compares."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import textwrap
from types import SimpleNamespace
from typing import Any

import httpx2
import pytest
from pydantic import ValidationError

from leanrails import (
    APIStatusError,
    CheckoutSession,
    CheckoutSessionCreateParams,
    InvalidRequestError,
    LeanRails,
)
from leanrails import ValidationError as KitValidationError
from leanrails._display import (
    MASK,
    _code,
    api_error_html,
    api_error_text,
    register,
    request_html,
    session_html,
    session_text,
    unregister,
    validation_error_html,
)

from _support.hostile import fixed, retrieve_from

KEY = "sk_test_display0123456789abcdef"


def _unwrapped(page: str) -> str:
    """The HTML without the line-break opportunities (``<wbr>``) inside identifiers."""
    return page.replace("<wbr>", "")


BASIC = base64.b64encode(f"{KEY}:".encode()).decode()

SESSION: dict[str, Any] = {
    "id": "cs_test_a1b2c3",
    "object": "checkout.session",
    "mode": "payment",
    "status": "complete",
    "payment_status": "paid",
    "ui_mode": "hosted",
    "customer_creation": "always",
    "billing_address_collection": "required",
    "expires_at": 1_900_000_000,
    "metadata": {"order": "<42>"},
    "livemode": False,
    "created": 1_899_913_600,
    "url": "https://sandbox.leanrails.test/pay/cs_test_a1b2c3",
    "client_secret": None,
    "success_url": "https://example.com/ok?a=1&b=2",
    "cancel_url": None,
    "customer": "cus_test_x",
    "customer_email": None,
    "customer_details": {
        "email": "jsmith@example.com",
        "name": "J <Smith>",
        "phone": None,
        "address": {
            "city": "Springfield",
            "country": "US",
            "line1": "1 Test Street",
            "line2": None,
            "postal_code": "12345",
            "state": "IL",
        },
    },
    "payment_intent": "pi_test_y",
    "currency": "usd",
    "amount_subtotal": 4000,
    "amount_total": 4000,
    "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
    "client_reference_id": None,
}


def _request(**kwargs: Any) -> httpx2.Request:
    headers = {"Authorization": f"Basic {BASIC}", "Idempotency-Key": "idem-1"}
    headers.update(kwargs.pop("headers", {}))
    return httpx2.Request(
        "POST",
        kwargs.pop("url", "https://api.leanrails.com/v1/checkout_sessions"),
        headers=headers,
        **kwargs,
    )


def _assert_no_key(text: str) -> None:
    assert KEY not in text
    assert BASIC not in text
    assert KEY[len("sk_test_") :] not in text


# -- requests --------------------------------------------------------------------------------


def test_request_html_shows_method_url_headers_and_pretty_json_body() -> None:
    html = _unwrapped(
        request_html(_request(json={"mode": "payment", "line_items": [{"quantity": 2}]}))
    )

    assert "<strong>POST</strong>" in html
    assert "https://api.leanrails.com/v1/checkout_sessions" in html
    assert "Idempotency-Key" in html
    assert "idem-1" in html
    assert "application/json" in html
    # Pretty-printed, then escaped: the indentation and the escaped quotes are there.
    assert "\n  &quot;mode&quot;: &quot;payment&quot;," in html


def test_request_html_masks_the_authorization_header_and_keeps_its_scheme() -> None:
    html = _unwrapped(request_html(_request(json={})))

    assert f"Basic {MASK} (key masked)" in html
    _assert_no_key(html)


def test_request_html_masks_the_key_wherever_else_it_appears() -> None:
    request = _request(
        url=f"https://{KEY}:@api.leanrails.com/v1/checkout_sessions?echo={KEY}",
        json={"metadata": {"oops": f"pasted {KEY} here"}},
        headers={"X-Debug": KEY},
    )

    html = _unwrapped(request_html(request))

    _assert_no_key(html)
    assert html.count(MASK) >= 4


def test_request_html_escapes_every_value() -> None:
    request = _request(json={"metadata": {"<b>": "</code><script>alert(1)</script>"}})

    html = _unwrapped(request_html(request))

    assert "<script>" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;" in html


def test_request_html_says_when_there_is_no_body_or_it_was_not_read() -> None:
    empty = httpx2.Request("GET", "https://api.leanrails.com/v1/checkout_sessions/cs_1")
    streaming = httpx2.Request("POST", "https://api.leanrails.com/x", content=iter([b"{}"]))

    assert "No body." in request_html(empty)
    assert "a streaming body, not read" in request_html(streaming)


def test_request_html_shows_a_non_json_body_as_text() -> None:
    html = _unwrapped(request_html(_request(content=b"mode=payment&x=<y>")))

    assert "mode=payment&amp;x=&lt;y&gt;" in html


def test_request_html_of_a_request_built_by_the_client_hides_the_sandbox_key() -> None:
    from leanrails.sandbox import TEST_API_KEY

    with LeanRails.sandbox() as client:
        request = client.checkout_sessions.build(
            mode="payment",
            line_items=[{"price": "price_test_tshirt", "quantity": 2}],
            success_url="https://example.com/ok",
        )

    html = _unwrapped(request_html(request))

    assert TEST_API_KEY not in html
    assert base64.b64encode(f"{TEST_API_KEY}:".encode()).decode() not in html
    assert "price_test_tshirt" in html


# -- sessions --------------------------------------------------------------------------------


def test_session_html_has_one_row_per_field_with_nested_fields_in_path_form() -> None:
    html = _unwrapped(session_html(CheckoutSession.model_validate(SESSION)))

    for path in (
        "id",
        "status",
        "customer_details.email",
        "customer_details.address.city",
        "customer_details.address.line2",
        "total_details.amount_tax",
        "metadata",
        "client_reference_id",
    ):
        assert f"<code>{path}</code>" in html
    assert "<code>customer_details</code>" not in html  # flattened, not a blob
    assert "<code>null</code>" in html
    assert "<code>false</code>" in html


def test_session_html_shows_values_as_json_and_escapes_them() -> None:
    html = _unwrapped(session_html(CheckoutSession.model_validate(SESSION)))

    assert "&quot;J &lt;Smith&gt;&quot;" in html
    assert "{&quot;order&quot;: &quot;&lt;42&gt;&quot;}" in html
    assert "https://example.com/ok?a=1&amp;b=2" in html
    assert "<Smith>" not in html


def test_session_html_keeps_fields_the_reference_does_not_list() -> None:
    html = _unwrapped(
        session_html(CheckoutSession.model_validate({**SESSION, "shipping_cost": 500}))
    )

    assert "<code>shipping_cost</code>" in html
    assert "<code>500</code>" in html


def test_session_html_shows_null_customer_details_as_one_null_row() -> None:
    html = _unwrapped(
        session_html(CheckoutSession.model_validate({**SESSION, "customer_details": None}))
    )

    assert "<code>customer_details</code></th><td" in html
    assert "customer_details.email" not in html


# -- validation errors -----------------------------------------------------------------------


def _validation_error(**fields: Any) -> ValidationError:
    body: dict[str, Any] = {
        "mode": "payment",
        "line_items": [{"quantity": 1, "price": "price_test_tshirt"}],
        "success_url": "https://example.com/ok",
    }
    body.update(fields)
    with pytest.raises(ValidationError) as caught:
        CheckoutSessionCreateParams.model_validate(body)
    return caught.value


def test_validation_error_html_lists_api_path_message_and_input() -> None:
    error = _validation_error(
        line_items=[
            {"quantity": 1, "price_data": {"currency": "us", "product": "p", "unit_amount": 1}}
        ]
    )

    html = _unwrapped(validation_error_html(error))

    assert "<code>line_items[0].price_data.currency</code>" in html
    assert "at least 3 characters" in html
    assert "<code>&#x27;us&#x27;</code>" in html
    assert "CheckoutSessionCreateParams" in html


def test_validation_error_html_has_a_row_per_problem() -> None:
    error = _validation_error(quantity_typo=1, customer="bob")

    html = _unwrapped(validation_error_html(error))

    assert f"{error.error_count()} problems" in html
    assert html.count("<tr>") == error.error_count() + 1  # and the header row


def test_validation_error_html_truncates_a_huge_input() -> None:
    error = _validation_error(client_reference_id="x" * 10_000_000)

    html = _unwrapped(validation_error_html(error))

    assert len(html) < 5_000
    assert "characters)" in html


def test_validation_error_html_escapes_the_input() -> None:
    error = _validation_error(customer="<script>alert(1)</script>")

    html = _unwrapped(validation_error_html(error))

    assert "<script>" not in html
    assert "&lt;script&gt;" in html


# -- registration ----------------------------------------------------------------------------


def _shell() -> Any:
    from IPython.core.formatters import DisplayFormatter

    return SimpleNamespace(display_formatter=DisplayFormatter())


# -- API errors -------------------------------------------------------------------------------


def _api_error() -> APIStatusError:
    client = LeanRails.sandbox()
    with pytest.raises(InvalidRequestError) as caught:
        client.checkout_sessions.create(
            mode="payment",
            line_items=[{"price": "price_<nope>", "quantity": 1}],
            success_url="https://example.com/ok",
        )
    return caught.value


def test_api_error_text_names_the_class_then_each_field_on_its_own_line() -> None:
    error = _api_error()

    lines = api_error_text(error).splitlines()

    assert lines[0] == "InvalidRequestError"
    assert lines[1:4] == ["status: 400", "type: invalid_request_error", "code: resource_missing"]
    assert lines[4] == "param: line_items[0].price"
    assert lines[5].startswith("message: No such price: 'price_<nope>'")
    assert lines[6] == f"request_id: {error.request_id}"


def test_api_error_html_is_a_table_of_the_fields_with_values_escaped() -> None:
    error = _api_error()

    html = _unwrapped(api_error_html(error))

    assert '<div class="leanrails-api-error">' in html
    assert "<strong>InvalidRequestError</strong>" in html
    assert "<code>line_items[0].price</code>" in html
    assert "price_&lt;nope&gt;" in html
    assert "price_<nope>" not in html


def test_session_text_is_the_sessions_json() -> None:
    session = CheckoutSession.model_validate(SESSION)

    assert json.loads(session_text(session)) == SESSION
    assert session_text(session) == session.model_dump_json(indent=2)


@pytest.mark.parametrize(
    ("make", "marker", "text"),
    [
        pytest.param(
            lambda: CheckoutSession.model_validate(SESSION),
            "leanrails-session",
            session_text,
            id="session",
        ),
        pytest.param(
            lambda: KitValidationError.of(_validation_error(customer="bob")),
            "leanrails-validation-error",
            repr,
            id="validation-error",
        ),
        pytest.param(_api_error, "leanrails-api-error", api_error_text, id="api-error"),
    ],
)
def test_the_kits_own_objects_show_as_html_and_plain_text_with_no_registration(
    make: Any, marker: str, text: Any
) -> None:
    obj = make()

    data, _ = _shell().display_formatter.format(obj)

    assert marker in data["text/html"]
    assert data["text/plain"] == text(obj)


def test_register_gives_a_built_request_html_and_unregister_takes_it_back() -> None:
    shell = _shell()
    request = _request(json={"a": 1})

    register(shell)
    data, _ = shell.display_formatter.format(request)
    unregister(shell)
    after, _ = shell.display_formatter.format(request)

    assert "leanrails-request" in data["text/html"]
    assert data["text/plain"] == repr(request)
    assert "text/html" not in after


# What a user's own objects look like in IPython: a pydantic model's ValidationError, a
# request, the exception handler. Run in a fresh IPython, once without the kit and once after
# ``import leanrails``; then after ``%load_ext leanrails``, which is the opt-in.
LOOKS = textwrap.dedent(
    """
    import json, sys
    from IPython.testing.globalipapp import start_ipython
    shell = start_ipython()
    shell.display_formatter.active_types = ["text/plain", "text/html"]
    shell.run_cell(
        "import httpx2, pydantic\\n"
        "class Mine(pydantic.BaseModel):\\n"
        "    quantity: int\\n"
        "try:\\n"
        "    Mine(quantity='two')\\n"
        "except pydantic.ValidationError as exc:\\n"
        "    error = exc\\n"
        "request = httpx2.Request('POST', 'https://example.com/', json={'a': 1})\\n"
    )
    def looks():
        return {
            "error": shell.display_formatter.format(shell.user_ns["error"])[0],
            "request": shell.display_formatter.format(shell.user_ns["request"])[0],
            "handler": [c.__name__ for c in shell.custom_exceptions],
        }
    before = looks()
    shell.run_cell(sys.argv[1])
    after = looks()
    shell.run_cell("raise ValueError('mine')")
    print(json.dumps({
        "before": before,
        "after": after,
        "modules": sorted(m for m in sys.modules if m.startswith(("leanrails.", "email_"))),
    }))
    """
)


def _looks(cell: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", LOOKS, cell], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    looks: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return looks


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_import_leanrails_leaves_a_users_own_objects_looking_as_before() -> None:
    looks = _looks("import leanrails")

    assert looks["after"] == looks["before"]
    assert looks["before"]["handler"] == []
    assert "leanrails-validation-error" not in json.dumps(looks["after"])
    # Display, the IPython extension and email validation load on first use.
    assert not {"leanrails._display", "leanrails._jupyter", "email_validator"} & set(
        looks["modules"]
    )


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_load_ext_leanrails_is_the_opt_in_for_requests_and_kit_errors_only() -> None:
    looks = _looks("%load_ext leanrails")

    assert looks["after"]["error"] == looks["before"]["error"]  # not the kit's: untouched
    assert "leanrails-request" in looks["after"]["request"]["text/html"]
    assert looks["after"]["handler"] == ["ValidationError", "LeanRailsError"]


@pytest.mark.lab
@pytest.mark.timeout(120)
def test_a_kernel_renders_a_built_request_as_html_after_load_ext_leanrails() -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "%load_ext leanrails\n"
            "from leanrails import LeanRails\n"
            "client = LeanRails.sandbox()\n"
            "client.checkout_sessions.build(mode='payment', "
            "line_items=[{'price': 'price_test_tshirt', 'quantity': 1}], "
            "success_url='https://example.com/ok')"
        )
    ]
    NotebookClient(notebook, timeout=60, kernel_name="python3").execute()

    (output,) = notebook.cells[0].outputs
    assert "leanrails-request" in output["data"]["text/html"]
    assert "key masked" in output["data"]["text/html"]
    assert "sk_test_" not in json.dumps(output)


def test_rich_displays_cut_a_huge_value_a_server_sent() -> None:
    # A 5 MB field, from a real server through the real client: 5 MB of HTML before.
    huge = "x" * 5_000_000
    session_body = json.dumps({**SESSION, "client_reference_id": huge}).encode()
    error_body = json.dumps({"error": {"type": "api_error", "message": huge}}).encode()
    session = retrieve_from(fixed(200, session_body))
    with pytest.raises(APIStatusError) as caught:
        retrieve_from(fixed(400, error_body))
    assert session.client_reference_id == huge  # the data itself is whole
    for shown in (
        session_html(session),
        session_text(session),
        api_error_html(caught.value),
        api_error_text(caught.value),
    ):
        assert len(shown) < 20_000
        assert re.search(r"… \(5,000,00[02] characters\)", shown)
    assert json.loads(session_text(session))["id"] == session.id  # still JSON


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("line_items[0].quantity", "line_<wbr>items[<wbr>0].<wbr>quantity"),
        ("authentication_error", "authentication_<wbr>error"),
        ("https://example.com/a", "https://<wbr>example.<wbr>com/<wbr>a"),
        ("ReadTimeout", "ReadTimeout"),
        ("a. b", "a. b"),
    ],
)
def test_identifiers_may_wrap_only_after_underscore_dot_bracket_or_slash(
    value: str, shown: str
) -> None:
    assert _code(value) == f"<code>{shown}</code>"


def test_an_api_errors_param_wraps_at_its_separators() -> None:
    assert "<code>line_<wbr>items[<wbr>0].<wbr>price</code>" in api_error_html(_api_error())
