"""The reusable constrained types keep the caller's text and explain a refusal."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from leanrails import CheckoutSessionCreateParams, LineItem
from leanrails._conventions import email_fault, faults
from leanrails._types import AbsoluteUri, Currency, Email, MaybeAbsent, Metadata, Omittable

ITEM = LineItem(quantity=1, price="price_test_tshirt")

URL = TypeAdapter(AbsoluteUri)
EMAIL = TypeAdapter(Email)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://example.com/done", id="plain"),
        pytest.param("https://example.com/done?id={CHECKOUT_SESSION_ID}", id="stripe-template"),
        pytest.param("http://127.0.0.1:8000/x", id="loopback-with-port"),
        pytest.param("myapp://checkout/done", id="mobile-deep-link"),
        pytest.param("https://example.com/done/%7BCHECKOUT_SESSION_ID%7D", id="encoded-template"),
        pytest.param("https://[2001:db8::1]/done#top", id="ipv6-literal"),
        pytest.param("urn:example:done", id="no-authority"),
    ],
)
def test_absolute_uris_are_kept_exactly_as_given(url: str) -> None:
    assert URL.validate_python(url) == url


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("example.com/done", id="no-scheme"),
        pytest.param("/done", id="relative"),
        pytest.param("https://exa mple.com/a b", id="spaces"),
        pytest.param("https://example.com/\n", id="control-character"),
        pytest.param("https://example.com/100%", id="bad-percent-escape"),
        pytest.param("https://example.com/café", id="non-ascii"),
        pytest.param("https://[zz]/done", id="bad-ip-literal"),
        pytest.param("https://example.com/#a#b", id="two-fragments"),
        pytest.param("", id="empty"),
    ],
)
def test_what_is_not_an_rfc_3986_uri_is_refused_with_examples(url: str) -> None:
    with pytest.raises(ValidationError, match=r"absolute URI \(RFC 3986\), such as https://"):
        URL.validate_python(url)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("javascript:alert(1)", id="javascript"),
        pytest.param("JavaScript:alert(1)", id="javascript-mixed-case"),
        pytest.param("data:text/html,hi", id="data"),
        pytest.param("vbscript:msgbox", id="vbscript"),
        pytest.param("file:///etc/passwd", id="file"),
        pytest.param("FILE://server/share", id="file-upper-case"),
        pytest.param("view-source:https://example.com/", id="view-source"),
        pytest.param("intent://scan/#Intent;scheme=zxing;end", id="intent"),
        pytest.param("blob:https://example.com/0b6c", id="blob"),
        pytest.param("ms-msdt:/id%20PCWDiagnostic", id="ms-msdt"),
        pytest.param("ms-officecmd:%7B%7D", id="ms-officecmd"),
        pytest.param("search-ms:query=x", id="search-ms"),
        pytest.param("filesystem:https://example.com/temporary/x", id="filesystem"),
        pytest.param("hcp://services/search?query=x", id="hcp-windows-help-center"),
        pytest.param("smb://attacker.example/share", id="smb-leaks-windows-credentials"),
        pytest.param("microsoft-edge:https://example.com/", id="microsoft-edge"),
        pytest.param("edge://settings", id="edge-internals"),
        pytest.param("feed:javascript:alert(1)", id="feed"),
    ],
)
def test_uris_that_would_run_in_the_page_are_uris_and_a_kit_convention_refuses_them(
    url: str,
) -> None:
    assert URL.validate_python(url) == url
    params = CheckoutSessionCreateParams(mode="payment", line_items=[ITEM], success_url=url)
    [fault] = faults(params)
    assert (fault.param, fault.rule) == ("success_url", "uri_scheme")


def test_email_is_validated_but_not_rewritten() -> None:
    assert EMAIL.validate_python("J.Smith@Example.COM") == "J.Smith@Example.COM"


@pytest.mark.parametrize(
    "email",
    [
        pytest.param('"john doe"@example.com', id="quoted-local-part"),
        pytest.param('"a\\"b"@example.com', id="quoted-pair"),
        pytest.param("a@[192.168.0.1]", id="ipv4-literal"),
        pytest.param("a@[IPv6:2001:db8::1]", id="ipv6-literal"),
        pytest.param("a@[x-tag:abc]", id="general-literal"),
        pytest.param("a@localhost", id="dotless-domain"),
        pytest.param("!#$%&'*+-/=?^_`{|}~@example.com", id="every-atext"),
        pytest.param("jörg@bücher.example", id="utf8-rfc-6531"),
    ],
)
def test_email_takes_every_address_format_email_allows(email: str) -> None:
    assert EMAIL.validate_python(email) == email


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("jsmith.example.com", id="no-at-sign"),
        pytest.param("jsmith@", id="no-domain"),
        pytest.param("@example.com", id="no-local-part"),
        pytest.param("a b@example.com", id="unquoted-space"),
        pytest.param("a..b@example.com", id="two-dots"),
        pytest.param(".a@example.com", id="leading-dot"),
        pytest.param('"a@example.com', id="unclosed-quote"),
        pytest.param("a@-example.com", id="label-starts-with-hyphen"),
        pytest.param("a@example..com", id="empty-label"),
        pytest.param("a@[999.1.1.1]", id="bad-ipv4-literal"),
        pytest.param("a@[IPv6:zz::1]", id="bad-ipv6-literal"),
        pytest.param("a@example.com\n", id="control-character"),
    ],
)
def test_email_refuses_what_format_email_does_not_allow(email: str) -> None:
    with pytest.raises(ValidationError, match=r"must be an email address \(RFC 5321\)"):
        EMAIL.validate_python(email)


@pytest.mark.parametrize(
    ("email", "why"),
    [
        pytest.param('"john doe"@example.com', "quoted local part", id="quoted"),
        pytest.param("a@[192.168.0.1]", "address literal", id="literal"),
        pytest.param("a@localhost", "domain", id="dotless"),
        pytest.param("a@shop.invalid", "domain", id="special-use"),
        pytest.param("a@1.2.3.4", "domain", id="numeric-tld"),
        pytest.param("a" * 65 + "@example.com", "local part over 64", id="long-local-part"),
        pytest.param("a@" + "b" * 250 + ".com", "254", id="long-address"),
    ],
)
def test_what_mail_is_not_delivered_to_is_a_convention_not_a_format(email: str, why: str) -> None:
    assert EMAIL.validate_python(email) == email
    assert why in (email_fault(email) or "")


@pytest.mark.parametrize("email", ["jsmith@example.com", "qa@shop.test", "jörg@bücher.example"])
def test_an_everyday_address_breaks_no_convention(email: str) -> None:
    assert email_fault(email) is None


def test_currency_is_three_letters() -> None:
    adapter = TypeAdapter(Currency)
    assert adapter.validate_python("eur") == "eur"
    with pytest.raises(ValidationError):
        adapter.validate_python("e1r")


def test_metadata_is_string_pairs_and_stripes_limits_are_conventions() -> None:
    adapter = TypeAdapter(Metadata)
    assert adapter.validate_python({"": "v" * 501}) == {"": "v" * 501}
    with pytest.raises(ValidationError):
        adapter.validate_python({"k": 1})


def test_omittable_accepts_none_but_documents_no_null() -> None:
    adapter = TypeAdapter(Omittable[int])
    assert adapter.validate_python(None) is None
    assert adapter.json_schema() == {"type": "integer"}


def test_omittable_reads_json_null_as_not_sent_as_python_none() -> None:
    adapter = TypeAdapter(Omittable[int])
    assert adapter.validate_json("null") is None


def test_maybe_absent_reads_a_response_null_leniently() -> None:
    adapter = TypeAdapter(MaybeAbsent[int])
    assert adapter.validate_json("null") is None
    assert adapter.json_schema() == {"type": "integer"}
