"""The client and the sandbox give one answer for one input: the same code, the same param."""

from __future__ import annotations

import pickle
import time

import anyio
import pytest

import leanrails
from leanrails.testing import record_retries

from _support.reliability.parity import iter_lines, run_differential
from _support.reliability.results import Tally

pytestmark = pytest.mark.slow


@pytest.mark.timeout(120)
def test_client_and_sandbox_refuse_and_accept_exactly_the_same_inputs(tally: Tally) -> None:
    report = anyio.run(run_differential, 12, 15, int(time.time()))
    counts = dict(sorted(report.counts.items()))
    tally.add("parity (client vs sandbox in-process and ASGI)", **counts)
    print(f"parity: {counts['inputs']} inputs, {counts.get('disagreements', 0)} disagreements")

    assert report.counts["disagreements"] == 0, "\n".join(iter_lines(report))
    assert report.counts["inputs_generated"] >= 150
    assert report.counts["accepted"] >= 40
    assert report.counts["refused"] >= 100
    # Both kinds counted: the reference's rules refused alike by both clients and the
    # sandbox; the conventions sent by a live client with a warning, refused by the sandbox.
    assert report.counts["refused_reference_rules"] >= 80
    assert report.counts["convention_warned_by_client_refused_by_sandbox"] >= 30


def test_every_session_an_input_created_reads_back() -> None:
    report = anyio.run(run_differential, 1, 0, int(time.time()))

    assert report.counts["accepted"] > 0
    assert report.counts["accepted_and_read_back"] == report.counts["accepted"]


@pytest.mark.parametrize("key", [" leading", "trailing ", "café"])
def test_a_bad_idempotency_key_is_refused_before_sending_over_http_too(key: str) -> None:
    with (
        leanrails.LeanRails.sandbox(serve=True) as client,
        record_retries() as retries,
        pytest.raises(leanrails.ValidationError) as caught,
    ):
        client.checkout_sessions.create(
            mode="payment",
            line_items=[{"price": "price_test_tshirt", "quantity": 1}],
            success_url="https://example.com/done",
            idempotency_key=key,
        )

    assert (caught.value.code, caught.value.param) == ("parameter_invalid", "Idempotency-Key")
    assert "Idempotency-Key" in str(caught.value)
    assert retries == []


def test_a_body_over_1_mib_is_refused_before_sending_extra_body_included() -> None:
    with (
        leanrails.LeanRails.sandbox() as client,
        pytest.raises(leanrails.ValidationError) as caught,
    ):
        client.checkout_sessions.create(
            mode="payment",
            line_items=[{"price": "price_test_tshirt", "quantity": 1}],
            success_url="https://example.com/done",
            extra_body={"note": "x" * 1024 * 1024},
        )

    assert (caught.value.code, caught.value.param) == ("body_too_large", None)


def test_the_client_error_pickles_with_its_param_and_code() -> None:
    with (
        leanrails.LeanRails.sandbox() as client,
        pytest.raises(leanrails.ValidationError) as caught,
    ):
        client.checkout_sessions.create(mode="payment", line_items=[{"quantity": 1}])

    again = pickle.loads(pickle.dumps(caught.value))

    assert type(again) is leanrails.ValidationError
    assert (again.param, again.code) == ("line_items[0]", "parameter_invalid")
