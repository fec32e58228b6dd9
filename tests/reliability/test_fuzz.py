"""Fuzzed requests, in-process and over real HTTP: no 5xx, errors in shape, no stray sessions."""

from __future__ import annotations

import pytest

from leanrails.sandbox import Sandbox

from _support.reliability.fuzzing import fuzz_counts, fuzz_in_process, fuzz_over_http
from _support.reliability.results import Tally
from _support.sandbox import FakeClock, LiveServer

pytestmark = pytest.mark.slow


def test_fuzzed_requests_never_get_a_5xx_and_create_only_what_a_200_reports(
    tally: Tally,
) -> None:
    outcome = fuzz_in_process(examples=700)

    assert outcome.tried >= 700
    assert outcome.created > 0, "the fuzzer never reached a successful create"
    tally.add("fuzz (in-process)", **fuzz_counts(outcome))


def test_fuzzed_requests_over_http_never_get_a_5xx_and_create_only_what_a_200_reports(
    live_server: LiveServer, tally: Tally
) -> None:
    with Sandbox(clock=FakeClock(), base_url=live_server.url) as sandbox:
        live_server.mount(sandbox)
        try:
            outcome = fuzz_over_http(live_server.url, sandbox, examples=200)
        finally:
            live_server.unmount()

    assert outcome.tried >= 200
    tally.add("fuzz (HTTP)", **fuzz_counts(outcome))
