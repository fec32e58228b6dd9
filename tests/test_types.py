"""The reusable constrained types keep the caller's text and explain a refusal."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from leanrails._types import AbsoluteUrl, Currency, Email, MaybeAbsent, Metadata, Omittable

URL = TypeAdapter(AbsoluteUrl)
EMAIL = TypeAdapter(Email)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://example.com/done", id="plain"),
        pytest.param("https://example.com/done?id={CHECKOUT_SESSION_ID}", id="stripe-template"),
        pytest.param("http://127.0.0.1:8000/x", id="loopback-with-port"),
    ],
)
def test_absolute_urls_are_kept_exactly_as_given(url: str) -> None:
    assert URL.validate_python(url) == url


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("example.com/done", id="no-scheme"),
        pytest.param("javascript:alert(1)", id="javascript"),
        pytest.param("https://", id="no-host"),
        pytest.param("", id="empty"),
    ],
)
def test_non_absolute_urls_are_refused_with_an_example(url: str) -> None:
    with pytest.raises(ValidationError, match=r"absolute http\(s\) URL, such as https://"):
        URL.validate_python(url)


def test_email_is_validated_but_not_rewritten() -> None:
    assert EMAIL.validate_python("J.Smith@Example.COM") == "J.Smith@Example.COM"


def test_email_refusal_says_why() -> None:
    with pytest.raises(ValidationError, match=r"must be an email address.*@-sign"):
        EMAIL.validate_python("jsmith.example.com")


def test_currency_is_three_letters() -> None:
    adapter = TypeAdapter(Currency)
    assert adapter.validate_python("eur") == "eur"
    with pytest.raises(ValidationError):
        adapter.validate_python("e1r")


def test_metadata_keeps_stripes_limits() -> None:
    adapter = TypeAdapter(Metadata)
    assert adapter.validate_python({"k": "v" * 500}) == {"k": "v" * 500}
    with pytest.raises(ValidationError):
        adapter.validate_python({"": "v"})


def test_omittable_accepts_none_but_documents_no_null() -> None:
    adapter = TypeAdapter(Omittable[int])
    assert adapter.validate_python(None) is None
    assert adapter.json_schema() == {"type": "integer"}


def test_omittable_refuses_json_null_which_the_contract_does_not_allow() -> None:
    adapter = TypeAdapter(Omittable[int])
    with pytest.raises(ValidationError, match="must not be null: leave the field out"):
        adapter.validate_json("null")


def test_maybe_absent_reads_a_response_null_leniently() -> None:
    adapter = TypeAdapter(MaybeAbsent[int])
    assert adapter.validate_json("null") is None
    assert adapter.json_schema() == {"type": "integer"}
