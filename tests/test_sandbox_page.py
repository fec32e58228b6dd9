"""The hosted checkout page, over raw HTTP in both modes, and in a real headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from browser import launch
from sandbox_support import BASIC, SUCCESS_PATH, FakeClock, LiveServer, body

from leanrails.sandbox import TEST_API_KEY, Sandbox
from leanrails.sandbox._page import format_amount

FORM = {"email": "jane@example.com", "name": "Jane Smith"}
ADDRESS = {"line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "us"}


class Page:
    """Anonymous (browser-like) access to one session's hosted page."""

    def __init__(self, client: httpx2.Client, session: dict[str, Any]) -> None:
        self.client = client
        self.session = session
        self.path = f"/pay/{session['id']}"

    def get(self) -> httpx2.Response:
        return self.client.get(self.path)

    def submit(self, fields: dict[str, str]) -> httpx2.Response:
        return self.client.post(self.path, data=fields)


@pytest.fixture
def open_page(api: Any) -> Iterator[Any]:
    """``open_page(**create_fields)`` creates a session and returns its ``Page``."""
    with api.anonymous() as client:

        def make(**changes: Any) -> Page:
            response = api.create(body(**changes))
            assert response.status_code == 200, response.text
            return Page(client, response.json())

        yield make


def test_the_page_shows_the_line_items_totals_and_a_form(api: Any, open_page: Any) -> None:
    page = open_page(cancel_url="https://shop.example.com/cart")

    response = page.get()

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert '<html lang="en">' in html
    assert "LeanRails T-shirt" in html
    assert "LeanRails mug" in html
    assert "USD 20.00" in html
    assert "USD 40.00" in html
    assert "USD 52.00" in html
    assert re.search(r'data-total="total-due">USD 52.00<', html)
    assert '<form method="post"' in html
    assert 'href="https://shop.example.com/cart"' in html
    assert page.session["url"].endswith(page.path)


def test_the_page_has_no_scripts_and_no_external_assets(open_page: Any) -> None:
    html = open_page(cancel_url="https://shop.example.com/cart").get().text

    assert "<script" not in html
    assert "<link" not in html
    assert "<img" not in html
    assert "src=" not in html
    assert re.findall(r'href="(https?://[^"]*)"', html) == ["https://shop.example.com/cart"]


def test_every_input_has_a_label(open_page: Any) -> None:
    html = open_page(billing_address_collection="required").get().text

    inputs = re.findall(r'<input id="([a-z0-9_]+)"', html)
    labels = set(re.findall(r'<label for="([a-z0-9_]+)"', html))
    assert inputs
    assert set(inputs) <= labels


def test_the_email_is_prefilled_from_customer_email(open_page: Any) -> None:
    html = open_page(customer_email="jsmith@example.com").get().text

    assert re.search(r'<input id="email"[^>]*value="jsmith@example.com"', html)


@pytest.mark.parametrize(
    ("collection", "shown"),
    [
        pytest.param("auto", False, id="auto-collects-no-address"),
        pytest.param("required", True, id="required-collects-one"),
    ],
)
def test_address_fields_are_required_only_when_the_session_requires_them(
    open_page: Any, collection: str, shown: bool
) -> None:
    html = open_page(billing_address_collection=collection).get().text

    for name in ("line1", "city", "postal_code", "country"):
        field = re.search(rf'<input id="{name}"[^>]*>', html)
        assert (field is not None) is shown
        if field is not None:
            assert " required" in field.group(0)
    assert ("Billing address" in html) is shown


def test_submitting_the_form_completes_the_session_and_redirects_to_success_url(
    api: Any, open_page: Any
) -> None:
    page = open_page()

    response = page.submit({**FORM, "phone": "+1 555 0100"})

    assert response.status_code == 303
    assert response.headers["location"] == (
        f"https://shop.example.com/done?session={page.session['id']}"
    )
    session = api.get(f"/v1/checkout_sessions/{page.session['id']}").json()
    assert session["status"] == "complete"
    assert session["payment_status"] == "paid"
    assert session["customer_details"] == {
        "email": "jane@example.com",
        "name": "Jane Smith",
        "phone": "+1 555 0100",
        "address": None,
    }


def test_a_required_address_is_stored_with_the_country_uppercased(api: Any, open_page: Any) -> None:
    page = open_page(billing_address_collection="required")

    assert page.submit({**FORM, **ADDRESS}).status_code == 303

    details = api.get(f"/v1/checkout_sessions/{page.session['id']}").json()["customer_details"]
    assert details["address"] == {
        "line1": "1 Main St",
        "line2": None,
        "city": "Springfield",
        "state": None,
        "postal_code": "12345",
        "country": "US",
    }


@pytest.mark.parametrize(
    ("fields", "at_fault"),
    [
        pytest.param(
            {}, {"email", "name", "line1", "city", "postal_code", "country"}, id="empty-form"
        ),
        pytest.param({**FORM, **ADDRESS, "email": "jane"}, {"email"}, id="bad-email"),
        pytest.param({**FORM, **ADDRESS, "name": "   "}, {"name"}, id="blank-name"),
        pytest.param({**FORM, **ADDRESS, "name": "x" * 201}, {"name"}, id="name-too-long"),
        pytest.param(FORM, {"line1", "city", "postal_code", "country"}, id="address-missing"),
        pytest.param({**FORM, **ADDRESS, "country": "USA"}, {"country"}, id="3-letter-country"),
    ],
)
def test_an_invalid_form_is_shown_again_with_accessible_errors(
    api: Any, open_page: Any, fields: dict[str, str], at_fault: set[str]
) -> None:
    page = open_page(billing_address_collection="required")

    response = page.submit(fields)

    assert response.status_code == 400
    html = response.text
    assert 'role="alert"' in html
    invalid = set(re.findall(r'<input id="([a-z0-9_]+)"[^>]*aria-invalid="true"', html))
    assert invalid == at_fault
    for name in at_fault:
        assert f'aria-describedby="{name}-error"' in html
        assert f'id="{name}-error"' in html
    assert api.get(f"/v1/checkout_sessions/{page.session['id']}").json()["status"] == "open"


def test_submitted_values_are_kept_and_escaped_when_the_form_is_shown_again(
    open_page: Any,
) -> None:
    html = open_page().submit({"email": "jane@example.com", "name": '"><script>x</script>'})

    assert html.status_code == 303
    again = open_page().submit({"email": '"><b>not-an-email', "name": "Jane"}).text
    assert "<b>not-an-email" not in again
    assert 'value="&quot;&gt;&lt;b&gt;not-an-email"' in again
    assert 'value="Jane"' in again


def test_a_form_that_is_not_form_encoded_is_refused(open_page: Any) -> None:
    page = open_page()

    response = page.client.post(page.path, json=FORM)

    assert response.status_code == 400
    assert 'role="alert"' in response.text


def test_product_names_are_escaped(open_page: Any) -> None:
    item = {
        "quantity": 1,
        "price_data": {"currency": "usd", "product": "<i>Mug</i> & co", "unit_amount": 100},
    }
    html = open_page(line_items=[item]).get().text

    assert "&lt;i&gt;Mug&lt;/i&gt; &amp; co" in html
    assert "<i>Mug" not in html


def test_a_paid_session_shows_a_receipt_and_is_not_paid_twice(api: Any, open_page: Any) -> None:
    page = open_page()
    api.sandbox.complete(page.session["id"])

    shown = page.get()
    resubmitted = page.submit(FORM)

    assert shown.status_code == 200
    assert "Payment complete" in shown.text
    assert resubmitted.status_code == 200
    assert "Payment complete" in resubmitted.text


def test_an_expired_session_shows_410(api: Any, open_page: Any) -> None:
    page = open_page()
    api.clock.advance(24 * 3600)

    response = page.get()

    assert response.status_code == 410
    assert "expired" in response.text


def test_unknown_and_embedded_sessions_have_no_page(api: Any, open_page: Any) -> None:
    page = open_page()
    embedded = api.create(
        {"mode": "payment", "line_items": BASIC["line_items"], "ui_mode": "embedded"}
    ).json()

    assert page.client.get("/pay/cs_test_nope").status_code == 404
    assert page.client.get(f"/pay/{embedded['id']}").status_code == 404


def test_a_success_url_is_percent_encoded_into_the_location_header(open_page: Any) -> None:
    page = open_page(success_url="https://shop.example.com/merci café?id={CHECKOUT_SESSION_ID}")

    location = page.submit(FORM).headers["location"]

    assert location == f"https://shop.example.com/merci%20caf%C3%A9?id={page.session['id']}"


def test_a_percent_encoded_template_is_filled_in_the_redirect_and_the_receipt(
    open_page: Any,
) -> None:
    page = open_page(success_url="https://shop.example.com/done?id=%7BCHECKOUT_SESSION_ID%7D")
    expected = f"https://shop.example.com/done?id={page.session['id']}"

    location = page.submit(FORM).headers["location"]
    receipt = page.get().text

    assert location == expected
    assert f'href="{expected}"' in receipt


@pytest.mark.parametrize(
    ("details", "field"),
    [
        pytest.param({"name": "x" * 201}, "name", id="name-too-long"),
        pytest.param({"email": "a" * 190 + "@example.com"}, "email", id="email-too-long"),
        pytest.param({"email": "jane"}, "email", id="bad-email"),
        pytest.param({"address": {**ADDRESS, "country": "USA"}}, "country", id="3-letter-country"),
        pytest.param({"address": {**ADDRESS, "country": "\u00c9S"}}, "country", id="non-ascii"),
        pytest.param({"address": {**ADDRESS, "city": "x" * 201}}, "city", id="city-too-long"),
    ],
)
def test_the_page_refuses_what_the_complete_helper_refuses(
    api: Any, open_page: Any, details: dict[str, Any], field: str
) -> None:
    session_id = open_page(billing_address_collection="required").session["id"]
    page = open_page(billing_address_collection="required")
    valid = {**FORM, "address": ADDRESS}
    helper = api.post(
        f"/v1/test_helpers/checkout_sessions/{session_id}/complete",
        {"customer_details": {**valid, **details}},
    )
    form = {**FORM, **ADDRESS, **details, **details.get("address", {})}
    form.pop("address", None)

    submitted = page.submit(form)

    assert helper.status_code == 400
    assert helper.json()["error"]["param"].endswith(field)
    assert submitted.status_code == 400
    assert re.search(rf'<input id="{field}"[^>]*aria-invalid="true"', submitted.text)


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        pytest.param(5200, "usd", "USD 52.00", id="two-decimals"),
        pytest.param(5, "eur", "EUR 0.05", id="cents"),
        pytest.param(1500, "jpy", "JPY 1,500", id="zero-decimal"),
        pytest.param(123456789, "usd", "USD 1,234,567.89", id="thousands"),
    ],
)
def test_amounts_are_shown_in_major_units(amount: int, currency: str, shown: str) -> None:
    assert format_amount(amount, currency) == shown


# -- a real browser ----------------------------------------------------------------------------


@pytest.fixture
def browser_sandbox(live_server: LiveServer, clock: FakeClock) -> Iterator[Sandbox]:
    with Sandbox(clock=clock, base_url=live_server.url) as sandbox:
        live_server.mount(sandbox)
        try:
            yield sandbox
        finally:
            live_server.unmount()


@pytest.mark.browser
def test_a_customer_pays_on_the_hosted_page_in_chromium(
    live_server: LiveServer, browser_sandbox: Sandbox, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    success = f"{live_server.url}{SUCCESS_PATH}?session_id={{CHECKOUT_SESSION_ID}}"
    with httpx2.Client(base_url=live_server.url, auth=(TEST_API_KEY, "")) as api:
        created = api.post(
            "/v1/checkout_sessions",
            json=body(
                success_url=success,
                customer_email="jsmith@example.com",
                billing_address_collection="required",
            ),
            headers={"Idempotency-Key": "browser-1"},
        ).json()

        with sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                page = browser.new_page()
                page.goto(created["url"])
                expect(page.get_by_role("heading", level=1)).to_have_text("Pay USD 52.00")
                expect(page.get_by_label("Email")).to_have_value("jsmith@example.com")
                page.get_by_label("Name").fill("Jane Smith")
                page.get_by_label("Address line 1").fill("1 Main St")
                page.get_by_label("City").fill("Springfield")
                page.get_by_label("Postal code").fill("12345")
                page.get_by_label("Country").fill("US")
                page.get_by_role("button", name="Pay USD 52.00").click()
                page.wait_for_url(re.compile(re.escape(SUCCESS_PATH)))
                expect(page.get_by_role("heading", level=1)).to_have_text("Payment succeeded")
                landed = page.url
            finally:
                browser.close()

        session = api.get(f"/v1/checkout_sessions/{created['id']}").json()

    assert landed == f"{live_server.url}{SUCCESS_PATH}?session_id={created['id']}"
    assert session["status"] == "complete"
    assert session["payment_status"] == "paid"
    assert session["customer_details"]["name"] == "Jane Smith"
    assert session["customer_details"]["address"]["country"] == "US"
