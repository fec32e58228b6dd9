"""The hosted checkout page, over raw HTTP in both modes, and in a real headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
from collections.abc import Iterator
from html import unescape
from typing import TYPE_CHECKING, Any

import httpx2
import pytest

from leanrails.sandbox import CANCEL_PAGE, SUCCESS_PAGE, TEST_API_KEY, Sandbox
from leanrails.sandbox._cards import TEST_CARDS, luhn_valid
from leanrails.sandbox._hosted import COOKIE
from leanrails.sandbox._html import format_amount

from _support.page import COUNT_WRAPPED_AMOUNTS, fill_checkout, other_origin
from _support.sandbox import (
    BASIC,
    SUCCESS_PATH,
    FakeClock,
    LiveServer,
    assert_error,
    body,
    price_data,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

FORM = {"email": "jane@example.com", "name": "Jane Smith"}
ADDRESS = {"line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "us"}
PAYS, DECLINED, NO_FUNDS, CONFIRMS = (
    "4242 4242 4242 4242",
    "4000 0000 0000 0002",
    "4000 0000 0000 9995",
    "4000 0025 0000 3155",
)
CARD = {"card_number": PAYS, "card_expiry": "12 / 34", "card_cvc": "123"}
SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


class Page:
    """Anonymous (browser-like) access to one session's hosted page, with a cookie jar."""

    def __init__(self, client: httpx2.Client, session: dict[str, Any]) -> None:
        self.client = client
        self.session = session
        self.path = f"/pay/{session['id']}"

    def get(self) -> httpx2.Response:
        return self.client.get(self.path)

    def token(self) -> str:
        """The CSRF token of the form a GET shows now (its cookie lands in the jar)."""
        return hidden_fields(self.get().text).get("csrf_token", "")

    def submit(self, fields: dict[str, str], **headers: str) -> httpx2.Response:
        """Fill the form as shown (with the paying card unless ``fields`` name another)."""
        data = {"csrf_token": self.token(), **CARD, **fields}
        return self.client.post(self.path, data=data, headers=headers)

    def status(self, api: Any) -> tuple[str, str]:
        session = api.get(f"/v1/checkout_sessions/{self.session['id']}").json()
        return session["status"], session["payment_status"]


def hidden_fields(html: str) -> dict[str, str]:
    found = re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', html)
    return {name: unescape(value) for name, value in found}


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


def test_an_app_deep_link_is_where_the_page_redirects_and_what_its_form_may_reach(
    open_page: Any,
) -> None:
    page = open_page(success_url="myapp://checkout/done?id={CHECKOUT_SESSION_ID}")

    answer = page.submit(FORM)

    assert answer.headers["location"] == f"myapp://checkout/done?id={page.session['id']}"
    assert "form-action 'self' myapp:;" in answer.headers["content-security-policy"]


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


# -- cards -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "status", "shown"),
    [
        pytest.param(PAYS, 303, None, id="visa-pays"),
        pytest.param("5555555555554444", 303, None, id="mastercard-pays"),
        pytest.param(DECLINED, 402, "Your card was declined.", id="declined"),
        pytest.param(NO_FUNDS, 402, "Your card has insufficient funds.", id="insufficient-funds"),
    ],
)
def test_each_test_card_has_its_documented_outcome(
    api: Any, open_page: Any, number: str, status: int, shown: str | None
) -> None:
    page = open_page()

    response = page.submit({**FORM, "card_number": number})

    assert response.status_code == status
    if shown is None:
        assert page.status(api) == ("complete", "paid")
        return
    assert page.status(api) == ("open", "unpaid")
    html = response.text
    assert 'role="alert"' in html
    assert shown in html
    assert re.search(r'<input id="card_number"[^>]*aria-invalid="true"', html)
    assert 'value="jane@example.com"' in html


def test_every_documented_test_card_is_on_the_page_and_luhn_valid(open_page: Any) -> None:
    html = open_page().get().text

    for card in TEST_CARDS:
        assert luhn_valid(card.number)
        assert card.spaced in html


def test_a_card_that_asks_for_confirmation_pays_once_the_customer_confirms(
    api: Any, open_page: Any
) -> None:
    page = open_page()

    step = page.submit({**FORM, "card_number": CONFIRMS})

    assert step.status_code == 200
    assert "<h1>Confirm your payment</h1>" in step.text
    assert "ending in <strong>3155</strong>" in step.text
    assert page.status(api) == ("open", "unpaid")
    confirmed = page.client.post(
        page.path, data={**hidden_fields(step.text), "confirm": "complete"}
    )
    assert confirmed.status_code == 303
    assert page.status(api) == ("complete", "paid")
    details = api.get(f"/v1/checkout_sessions/{page.session['id']}").json()["customer_details"]
    assert details["name"] == "Jane Smith"


def test_a_failed_confirmation_leaves_the_session_open_and_says_why(
    api: Any, open_page: Any
) -> None:
    page = open_page()
    step = page.submit({**FORM, "card_number": CONFIRMS})

    failed = page.client.post(page.path, data={**hidden_fields(step.text), "confirm": "fail"})

    assert failed.status_code == 402
    assert "Your bank could not confirm this payment" in failed.text
    assert page.status(api) == ("open", "unpaid")


def test_details_changed_between_the_two_steps_are_refused(api: Any, open_page: Any) -> None:
    page = open_page()
    step = page.submit({**FORM, "card_number": CONFIRMS})
    forged = {**hidden_fields(step.text), "name": "Someone Else", "confirm": "complete"}

    response = page.client.post(page.path, data=forged)

    assert response.status_code == 403
    assert page.status(api) == ("open", "unpaid")


@pytest.mark.parametrize(
    ("card", "field", "message"),
    [
        pytest.param({"card_number": ""}, "card_number", "Enter your card number", id="no-number"),
        pytest.param(
            {"card_number": "4242 4242 4242 4241"}, "card_number", "invalid", id="bad-checksum"
        ),
        pytest.param({"card_number": "4242 4242"}, "card_number", "invalid", id="too-short"),
        pytest.param(
            {"card_number": "4111 1111 1111 1111"}, "card_number", "test cards only", id="real-card"
        ),
        pytest.param({"card_expiry": ""}, "card_expiry", "expiry date", id="no-expiry"),
        pytest.param({"card_expiry": "13 / 30"}, "card_expiry", "MM / YY", id="month-13"),
        pytest.param({"card_expiry": "12-30"}, "card_expiry", "MM / YY", id="bad-format"),
        pytest.param({"card_expiry": "12 / 26"}, "card_expiry", "in the past", id="expired"),
        pytest.param({"card_expiry": "01 / 2099"}, "card_expiry", "year", id="too-far"),
        pytest.param({"card_cvc": ""}, "card_cvc", "security code", id="no-cvc"),
        pytest.param({"card_cvc": "12"}, "card_cvc", "3 or 4 digits", id="short-cvc"),
        pytest.param({"card_cvc": "12a"}, "card_cvc", "3 or 4 digits", id="letter-in-cvc"),
    ],
)
def test_invalid_card_fields_are_shown_again_and_nothing_is_paid(
    api: Any, open_page: Any, card: dict[str, str], field: str, message: str
) -> None:
    page = open_page()

    response = page.submit({**FORM, **card})

    assert response.status_code == 400
    html = response.text
    invalid = set(re.findall(r'<input id="([a-z0-9_]+)"[^>]*aria-invalid="true"', html))
    assert invalid == {field}
    assert re.search(rf'<p class="error" id="{field}-error">[^<]*{message}', html)
    assert page.status(api) == ("open", "unpaid")


@pytest.mark.parametrize(
    "expiry",
    [
        pytest.param("01 / 27", id="this-month"),
        pytest.param("1/27", id="no-spaces-one-digit-month"),
        pytest.param("02/2027", id="four-digit-year"),
    ],
)
def test_expiry_dates_from_this_month_on_are_accepted(open_page: Any, expiry: str) -> None:
    # the fake clock stands in January 2027
    assert open_page().submit({**FORM, "card_expiry": expiry}).status_code == 303


def test_the_security_code_is_never_shown_again(open_page: Any) -> None:
    html = open_page().submit({**FORM, "card_number": DECLINED, "card_cvc": "987"}).text
    # Random hex (the CSRF token, ids) may hold "987" by chance: it is not the code shown.
    shown = re.sub(r"[0-9a-f]{16,}", "", html)

    assert "987" not in shown
    assert re.search(r'<input id="card_cvc"[^>]*value=""', html)


def test_a_session_with_nothing_to_pay_asks_for_no_card(api: Any, open_page: Any) -> None:
    free = {"quantity": 1, "price_data": price_data(unit_amount=0)}
    page = open_page(line_items=[free])

    html = page.get().text
    response = page.client.post(page.path, data={"csrf_token": page.token(), **FORM})

    assert 'id="card_number"' not in html
    assert response.status_code == 303
    assert page.status(api) == ("complete", "no_payment_required")


# -- only its own form can pay ---------------------------------------------------------------


def test_every_answer_of_the_page_carries_the_security_headers(api: Any, open_page: Any) -> None:
    page = open_page()
    answers = {
        "form": page.get(),
        "invalid": page.submit({}),
        "refused": page.submit(FORM, Origin="https://evil.example"),
        "not-found": page.client.get("/pay/cs_test_nope"),
        "redirect": page.submit(FORM),
        "receipt": page.get(),
    }

    for name, answer in answers.items():
        for header, value in SECURITY_HEADERS.items():
            assert answer.headers.get(header) == value, (name, header)
        policy = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy, name
        assert "default-src 'none'" in policy, name


def test_the_policy_allows_only_the_hashed_stylesheet_and_forms_to_the_page_and_success_url(
    open_page: Any,
) -> None:
    response = open_page().get()

    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["content-security-policy"].split(";")
    )
    style = re.search(r"<style>(.*?)</style>", response.text, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert policy == {
        "default-src": "'none'",
        "style-src": f"'sha256-{digest}'",
        "form-action": "'self' https://shop.example.com",
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
    }
    assert "unsafe" not in response.headers["content-security-policy"]


def test_the_csrf_cookie_is_http_only_strict_and_scoped_to_the_page(open_page: Any) -> None:
    page = open_page()

    cookie = page.get().headers["set-cookie"]

    attributes = [part.strip() for part in cookie.split(";")]
    assert attributes[0].startswith(f"{COOKIE}=")
    assert set(attributes[1:]) >= {f"Path={page.path}", "HttpOnly", "SameSite=Strict"}


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": "https://evil.example"}, id="other-origin"),
        pytest.param({"Origin": "null"}, id="opaque-origin"),
        pytest.param({"Sec-Fetch-Site": "cross-site"}, id="cross-site"),
        pytest.param(
            {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:1"}, id="other-port"
        ),
    ],
)
def test_a_cross_origin_post_is_refused_even_with_a_valid_token(
    api: Any, open_page: Any, headers: dict[str, str]
) -> None:
    page = open_page()

    response = page.submit(FORM, **headers)

    assert response.status_code == 403
    assert "<h1>Payment refused</h1>" in response.text
    assert page.status(api) == ("open", "unpaid")


def test_a_post_from_the_page_itself_is_accepted(api: Any, open_page: Any) -> None:
    page = open_page()
    origin = api.base_url.rstrip("/")

    response = page.submit(FORM, Origin=origin, **{"Sec-Fetch-Site": "same-origin"})

    assert response.status_code == 303
    assert page.status(api) == ("complete", "paid")


def test_a_post_without_the_cookie_and_token_pair_is_shown_the_form_again(
    api: Any, open_page: Any
) -> None:
    page = open_page()
    other = open_page()
    with api.anonymous() as fresh:
        cases = {
            "no-token": page.client.post(page.path, data={**FORM, **CARD}),
            "wrong-token": page.client.post(
                page.path, data={**FORM, **CARD, "csrf_token": "0" * 64}
            ),
            "other-sessions-token": page.client.post(
                page.path, data={**FORM, **CARD, "csrf_token": other.token()}
            ),
            "no-cookie": fresh.post(page.path, data={**FORM, **CARD, "csrf_token": page.token()}),
        }

    for name, response in cases.items():
        assert response.status_code == 403, name
        assert "could not be verified" in response.text, name
        assert hidden_fields(response.text)["csrf_token"], name
    assert page.status(api) == ("open", "unpaid")
    assert page.submit(FORM).status_code == 303


# -- the sandbox's own success and cancel pages ----------------------------------------------


def test_paying_lands_on_the_sandboxs_own_success_page_which_shows_the_outcome(
    api: Any, open_page: Any
) -> None:
    page = open_page(success_url=api.sandbox.success_url)
    session_id = page.session["id"]

    paid = page.submit(FORM)
    location = paid.headers["location"]
    assert location == f"{api.base_url.rstrip('/')}/checkout/success?session_id={session_id}"
    landed = page.client.get(location)

    assert landed.status_code == 200
    assert landed.headers["content-type"] == "text/html; charset=utf-8"
    for header, value in SECURITY_HEADERS.items():
        assert landed.headers.get(header) == value, header
    assert landed.headers["content-security-policy"].startswith("default-src 'none';")
    assert "<h1>Payment complete</h1>" in landed.text
    assert f"<code>{session_id}</code>" in landed.text
    assert '<span data-field="status">complete</span>' in landed.text
    assert '<span data-field="payment_status">paid</span>' in landed.text
    assert '<span data-field="amount_total">USD 52.00</span>' in landed.text


def test_the_success_page_of_an_unpaid_session_says_so_and_links_back_to_the_checkout(
    api: Any, open_page: Any
) -> None:
    page = open_page(success_url=api.sandbox.success_url)

    landed = page.client.get(f"/checkout/success?session_id={page.session['id']}")

    assert landed.status_code == 200
    assert "<h1>Not paid yet</h1>" in landed.text
    assert '<span data-field="payment_status">unpaid</span>' in landed.text
    assert f'<a href="{page.session["url"]}">Return to the checkout</a>' in landed.text


def test_the_cancel_link_lands_on_the_sandboxs_own_cancel_page_with_the_session(
    api: Any, open_page: Any
) -> None:
    page = open_page(cancel_url=api.sandbox.cancel_url)
    session_id = page.session["id"]
    cancel = f"{api.base_url.rstrip('/')}/checkout/cancel?session_id={session_id}"

    checkout = page.get().text
    landed = page.client.get(cancel)

    assert f'<a href="{cancel}">Cancel and return</a>' in checkout
    assert landed.status_code == 200
    assert "<h1>Checkout cancelled</h1>" in landed.text
    assert '<span data-field="status">open</span>' in landed.text
    assert page.status(api) == ("open", "unpaid")


@pytest.mark.parametrize("query", ["", "?session_id=", "?session_id=cs_test_nope"])
@pytest.mark.parametrize("path", ["/checkout/success", "/checkout/cancel"])
def test_the_landing_pages_without_a_known_session_answer_404_with_the_headers(
    api: Any, path: str, query: str
) -> None:
    with api.anonymous() as client:
        response = client.get(path + query)

    assert response.status_code == 404
    assert "Checkout session not found" in response.text
    assert response.headers["x-frame-options"] == "DENY"


def test_the_sandboxs_landing_urls_are_its_base_url_and_the_documented_paths(
    sandbox: Sandbox,
) -> None:
    assert SUCCESS_PAGE == "/checkout/success?session_id={CHECKOUT_SESSION_ID}"
    assert CANCEL_PAGE == "/checkout/cancel?session_id={CHECKOUT_SESSION_ID}"
    assert sandbox.success_url == sandbox.base_url + SUCCESS_PAGE
    assert sandbox.cancel_url == sandbox.base_url + CANCEL_PAGE


def test_example_com_urls_keep_working_with_the_landing_pages_there(open_page: Any) -> None:
    page = open_page(success_url="https://example.com/success?session_id={CHECKOUT_SESSION_ID}")

    paid = page.submit(FORM)

    assert (
        paid.headers["location"] == f"https://example.com/success?session_id={page.session['id']}"
    )


# -- the page trusts only its own origin -----------------------------------------------------


@pytest.mark.parametrize("path", ["/pay/{id}", "/"])
def test_a_page_asked_for_under_a_foreign_host_is_refused(
    api: Any, open_page: Any, path: str
) -> None:
    page = open_page()
    port = httpx2.URL(api.base_url).port
    foreign = f"rebound.evil.example:{port}" if port else "rebound.evil.example"

    response = page.client.get(path.format(id=page.session["id"]), headers={"Host": foreign})

    assert response.status_code == 421
    assert "csrf_token" not in response.text
    assert "sk_test" not in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


def test_a_dns_rebinding_post_with_a_foreign_host_pays_nothing(api: Any, open_page: Any) -> None:
    page = open_page()
    port = httpx2.URL(api.base_url).port
    foreign = f"rebound.evil.example:{port}" if port else "rebound.evil.example"
    token = page.token()  # the cookie and token of a real form, the best an attacker could have

    response = page.client.post(
        page.path,
        data={"csrf_token": token, **CARD, **FORM},
        headers={"Host": foreign, "Origin": f"http://{foreign}", "Sec-Fetch-Site": "same-origin"},
    )

    assert response.status_code == 421
    assert page.status(api) == ("open", "unpaid")


def test_a_loopback_sandbox_answers_under_each_loopback_name_of_its_port(
    live_server: LiveServer, served: httpx2.Client
) -> None:
    port = httpx2.URL(live_server.url).port
    assert port is not None
    created = create(served, live_server)

    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
        response = served.get(f"/pay/{created['id']}", headers={"Host": host})
        assert response.status_code == 200, host
    for host in (f"localhost:{port + 1}", "localhost", f"127.0.0.1.evil.example:{port}"):
        response = served.get(f"/pay/{created['id']}", headers={"Host": host})
        assert response.status_code == 421, host


def _form_action(response: httpx2.Response) -> str:
    policy = response.headers["content-security-policy"]
    [directive] = [part.strip() for part in policy.split(";") if "form-action" in part]
    return directive


@pytest.mark.parametrize(
    ("success_url", "form_action"),
    [
        pytest.param("https:evil.example", "form-action 'self'", id="https-without-host"),
        pytest.param("http:evil.example/done", "form-action 'self'", id="http-without-host"),
        pytest.param(
            "https://shop.example.com:8443/done?id={CHECKOUT_SESSION_ID}",
            "form-action 'self' https://shop.example.com:8443",
            id="with-port",
        ),
        pytest.param(
            "https://user:pw@Shop.Example.com/done",
            "form-action 'self' https://shop.example.com",
            id="userinfo-and-case",
        ),
        pytest.param(
            "http://[::1]:9000/done", "form-action 'self' http://[::1]:9000", id="ipv6-literal"
        ),
        pytest.param("myapp://checkout/done", "form-action 'self' myapp:", id="app-deep-link"),
    ],
)
def test_form_action_is_the_exact_origin_of_success_url_never_a_whole_scheme(
    open_page: Any, success_url: str, form_action: str
) -> None:
    page = open_page(success_url=success_url)

    assert _form_action(page.get()) == form_action


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "view-source:https://shop.example.com/",
        "intent://scan/#Intent;scheme=zxing;end",
        "blob:https://shop.example.com/0b6c",
        "ms-msdt:/id%20PCWDiagnostic",
        "MS-OFFICECMD:%7B%7D",
        "search-ms:query=x",
        "filesystem:https://shop.example.com/temporary/x",
    ],
)
@pytest.mark.parametrize("param", ["success_url", "cancel_url"])
def test_a_deep_link_with_a_dangerous_scheme_is_refused(api: Any, url: str, param: str) -> None:
    response = api.create(body(**{param: url}))

    error = assert_error(response, 400, "invalid_request_error", param=param)
    assert "file:" in error["message"]


def test_the_index_page_carries_the_csp_and_security_headers(api: Any) -> None:
    with api.anonymous() as client:
        response = client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    for header, value in SECURITY_HEADERS.items():
        assert response.headers.get(header) == value, header
    policy = response.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'; style-src 'sha256-")
    assert "form-action 'self';" in policy


def test_control_and_bidi_override_characters_are_neutralised_on_the_page(
    open_page: Any,
) -> None:
    name = "Invoice\u202egpj.exe\x00\u2066\x1b[31m\u200f"
    item = {"quantity": 1, "price_data": {"currency": "usd", "product": name, "unit_amount": 100}}

    html = open_page(line_items=[item]).get().text

    for char in ("\u202e", "\x00", "\u2066", "\x1b", "\u200f"):
        assert char not in html, repr(char)
    assert "Invoice\ufffdgpj.exe\ufffd\ufffd\ufffd[31m\ufffd" in html


# -- a real browser ----------------------------------------------------------------------------


@pytest.fixture
def browser_sandbox(live_server: LiveServer, clock: FakeClock) -> Iterator[Sandbox]:
    with Sandbox(clock=clock, base_url=live_server.url) as sandbox:
        live_server.mount(sandbox)
        try:
            yield sandbox
        finally:
            live_server.unmount()


@pytest.fixture
def served(live_server: LiveServer, browser_sandbox: Sandbox) -> Iterator[httpx2.Client]:
    """An API client of the sandbox the browser tests' pages are served from."""
    with httpx2.Client(base_url=live_server.url, auth=(TEST_API_KEY, ""), timeout=10) as api:
        yield api


def create(api: httpx2.Client, live_server: LiveServer, **changes: Any) -> dict[str, Any]:
    success = f"{live_server.url}{SUCCESS_PATH}?session_id={{CHECKOUT_SESSION_ID}}"
    response = api.post(
        "/v1/checkout_sessions",
        json=body(**{"success_url": success, **changes}),
        headers={"Idempotency-Key": f"browser-{next(_KEYS)}"},
    )
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


_KEYS = itertools.count()


def state(api: httpx2.Client, session_id: str) -> tuple[str, str]:
    session = api.get(f"/v1/checkout_sessions/{session_id}").json()
    return session["status"], session["payment_status"]


@pytest.mark.browser
def test_a_customer_pays_on_the_hosted_page_in_chromium(
    live_server: LiveServer, served: httpx2.Client, chromium: Browser
) -> None:
    from playwright.sync_api import expect

    created = create(
        served,
        live_server,
        customer_email="jsmith@example.com",
        billing_address_collection="required",
    )
    page = chromium.new_page()
    page.goto(created["url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay USD 52.00")
    expect(page.get_by_label("Email")).to_have_value("jsmith@example.com")
    page.get_by_label("Address line 1").fill("1 Main St")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("Postal code").fill("12345")
    page.get_by_label("Country").fill("US")
    fill_checkout(page, "4242 4242 4242 4242")
    page.get_by_role("button", name="Pay USD 52.00").click()
    page.wait_for_url(re.compile(re.escape(SUCCESS_PATH)))
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment succeeded")

    session = served.get(f"/v1/checkout_sessions/{created['id']}").json()
    assert page.url == f"{live_server.url}{SUCCESS_PATH}?session_id={created['id']}"
    assert (session["status"], session["payment_status"]) == ("complete", "paid")
    assert session["customer_details"]["name"] == "Jane Smith"
    assert session["customer_details"]["address"]["country"] == "US"


@pytest.mark.browser
def test_a_customer_pays_with_4242_and_lands_on_the_sandboxs_own_success_page_in_chromium(
    live_server: LiveServer, browser_sandbox: Sandbox, served: httpx2.Client, chromium: Browser
) -> None:
    from playwright.sync_api import expect

    created = create(served, live_server, success_url=browser_sandbox.success_url)
    page = chromium.new_page()
    page.goto(created["url"])
    fill_checkout(page, "4242 4242 4242 4242")
    page.get_by_label("Email").fill("jsmith@example.com")
    page.get_by_role("button", name="Pay USD 52.00").click()
    page.wait_for_url(re.compile(re.escape("/checkout/success?")))

    assert page.url == f"{live_server.url}/checkout/success?session_id={created['id']}"
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment complete")
    expect(page.locator("[data-field=status]")).to_have_text("complete")
    expect(page.locator("[data-field=payment_status]")).to_have_text("paid")
    expect(page.locator("[data-field=amount_total]")).to_have_text("USD 52.00")
    expect(page.get_by_text(created["id"])).to_be_visible()
    assert state(served, created["id"]) == ("complete", "paid")


@pytest.mark.browser
def test_a_declined_card_leaves_the_session_unpaid_and_the_page_says_why_in_chromium(
    live_server: LiveServer, served: httpx2.Client, chromium: Browser
) -> None:
    from playwright.sync_api import expect

    created = create(served, live_server, customer_email="jsmith@example.com")
    page = chromium.new_page()
    page.goto(created["url"])
    fill_checkout(page, "4000 0000 0000 0002")
    page.get_by_role("button", name="Pay USD 52.00").click()

    expect(page.get_by_role("alert")).to_contain_text("Your card was declined.")
    expect(page.get_by_label("Card number")).to_have_attribute("aria-invalid", "true")
    assert state(served, created["id"]) == ("open", "unpaid")
    assert page.url == created["url"]

    fill_checkout(page, "4242 4242 4242 4242")
    page.get_by_role("button", name="Pay USD 52.00").click()
    page.wait_for_url(re.compile(re.escape(SUCCESS_PATH)))
    assert state(served, created["id"]) == ("complete", "paid")


@pytest.mark.browser
def test_a_card_that_asks_for_confirmation_pays_after_the_bank_step_in_chromium(
    live_server: LiveServer, served: httpx2.Client, chromium: Browser
) -> None:
    from playwright.sync_api import expect

    created = create(served, live_server, customer_email="jsmith@example.com")
    page = chromium.new_page()
    page.goto(created["url"])
    fill_checkout(page, "4000 0025 0000 3155")
    page.get_by_role("button", name="Pay USD 52.00").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your payment")
    assert state(served, created["id"]) == ("open", "unpaid")
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url(re.compile(re.escape(SUCCESS_PATH)))
    assert state(served, created["id"]) == ("complete", "paid")


@pytest.mark.browser
@pytest.mark.parametrize("width", [pytest.param(390, id="phone"), pytest.param(1280, id="desktop")])
def test_line_items_fit_without_wrapping_amounts_in_chromium(
    live_server: LiveServer, served: httpx2.Client, chromium: Browser, width: int
) -> None:
    item = {
        "quantity": 12,
        "price_data": {
            "currency": "usd",
            "product": "LeanRails hoodie, organic cotton, extra large",
            "unit_amount": 1_234_500,
        },
    }
    created = create(served, live_server, line_items=[*BASIC["line_items"], item])
    page = chromium.new_page(viewport={"width": width, "height": 900})
    page.goto(created["url"])

    assert page.evaluate(COUNT_WRAPPED_AMOUNTS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for header in ("Item", "Quantity", "Amount"):
        assert page.get_by_role("columnheader", name=header).is_visible()


@pytest.mark.browser
def test_a_page_on_another_origin_can_neither_frame_the_checkout_nor_pay_with_it(
    live_server: LiveServer, served: httpx2.Client, chromium: Browser
) -> None:
    from playwright.sync_api import expect

    created = create(served, live_server)
    with httpx2.Client() as outsider:  # a token the other site could fetch for itself
        token = hidden_fields(outsider.get(created["url"]).text)["csrf_token"]
    fields = {**FORM, **CARD, "csrf_token": token}
    inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())
    pages = {
        "/frame": f'<!doctype html><title>framing</title><iframe src="{created["url"]}"></iframe>',
        "/submit": (
            f'<!doctype html><title>forging</title><form method="post" action="{created["url"]}">'
            f"{inputs}</form><script>document.forms[0].submit()</script>"
        ),
    }
    with other_origin(pages) as origin:
        page = chromium.new_page()
        page.goto(created["url"])  # the customer has the checkout open: its cookie is set
        with page.expect_console_message(lambda m: "frame" in m.text) as refusal:
            page.goto(f"{origin}/frame")
        framed = page.frames[1]
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.goto(f"{origin}/submit")
        answer = posted.value

    assert "frame-ancestors 'none'" in refusal.value.text
    assert framed.url != created["url"]
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment refused")
    assert state(served, created["id"]) == ("open", "unpaid")
