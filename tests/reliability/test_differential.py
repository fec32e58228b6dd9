"""The models accept exactly what ``openapi.yaml`` does, read as the kit declares."""

from __future__ import annotations

from typing import Any

import pytest

from leanrails import CheckoutSessionCreateParams

from _support.reliability.differential import (
    CONTRACT_VALIDATOR,
    KIT_READING,
    REFERENCE_RULES,
    SCHEMAS,
    differential,
    model_accepts,
    without_nulls,
)
from _support.reliability.results import Tally
from _support.sandbox import BASIC

pytestmark = pytest.mark.slow


def test_the_contract_names_exactly_the_reference_rules_this_test_checks() -> None:
    rules = SCHEMAS["CheckoutSessionCreateParams"]["x-leanrails-rules"]
    named = {rule["id"] for rule in rules if rule["source"] != "convention"}

    assert named == REFERENCE_RULES


@pytest.mark.timeout(300)
def test_models_and_contract_agree_on_generated_and_mutated_requests(tally: Tally) -> None:
    counts = differential(examples=20, mutations=30)

    assert counts["accepted"] >= 5
    assert counts["rejected_by_schema"] > 100
    assert counts["rejected_by_x_leanrails_rules_only"] > 0
    tally.add("differential (models vs openapi.yaml)", **dict(sorted(counts.items())))


@pytest.mark.parametrize(
    ("changes", "kit_reading_rejects"),
    [
        pytest.param({"line_items": [{"quantity": 2.0, "price": "p"}]}, "type", id="2.0"),
        pytest.param({"success_url": "https://example.com/done\n"}, "format", id="url-newline"),
        pytest.param({"customer_email": "a b@example.com"}, "format", id="email-space"),
        pytest.param({"customer_email": "a@@b"}, "format", id="email-two-at-signs"),
    ],
)
def test_the_kit_reads_the_contract_more_narrowly_in_the_declared_places(
    changes: dict[str, Any], kit_reading_rejects: str
) -> None:
    body = {**BASIC, "success_url": "https://shop.example.com/done", **changes}

    assert CONTRACT_VALIDATOR.is_valid(body)
    assert [e.validator for e in KIT_READING.iter_errors(body)] == [kit_reading_rejects]
    assert model_accepts(body) == (False, False)


def test_json_null_and_python_none_both_mean_not_sent_as_the_contract_says() -> None:
    optional = [
        name
        for name, spec in CheckoutSessionCreateParams.model_fields.items()
        if not spec.is_required()
    ]
    verdicts = {}
    for name in optional:
        body = {**BASIC, "success_url": "https://shop.example.com/done", "ui_mode": "embedded"}
        body[name] = None
        assert not CONTRACT_VALIDATOR.is_valid(body), name
        assert CONTRACT_VALIDATOR.is_valid(without_nulls(body)), name
        verdicts[name] = model_accepts(body)

    assert len(optional) >= 12
    assert verdicts == dict.fromkeys(optional, (True, True))
    assert SCHEMAS["CheckoutSessionCreateParams"]["x-leanrails-null"] == "not-sent"


@pytest.mark.parametrize(
    ("url", "contract", "kit"),
    [
        pytest.param("myapp://checkout/done", True, True, id="deep-link"),
        pytest.param("ftp://example.com/done", True, True, id="ftp"),
        pytest.param("https://example.com/d?s=%7BCHECKOUT_SESSION_ID%7D", True, True, id="escaped"),
        pytest.param("https://example.com/d?s={CHECKOUT_SESSION_ID}", False, True, id="template"),
        pytest.param("https://exa mple.com/a b", False, False, id="spaces"),
        pytest.param("https://example.com/100%", False, False, id="bad-escape"),
        pytest.param("example.com/done", False, False, id="no-scheme"),
    ],
)
def test_urls_are_rfc_3986_uris_that_may_carry_the_session_id_template(
    url: str, contract: bool, kit: bool
) -> None:
    # Stripe's {CHECKOUT_SESSION_ID} template must pass where a URL carries it, though RFC
    # 3986 has no braces: the one place the kit reads format: uri more widely.
    body = {**BASIC, "success_url": url}

    assert CONTRACT_VALIDATOR.is_valid(body) == contract
    assert KIT_READING.is_valid(body) == kit
    assert model_accepts(body) == (kit, kit)
