"""Faults on demand, set from Python and over HTTP, in both modes."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx2
import pytest

from leanrails.sandbox import SandboxTransport
from leanrails.sandbox._faults import MAX_DELAY_SECONDS, Faults
from leanrails.sandbox._shares import MAX_REQUESTS_PER_ACCOUNT

from _support.sandbox import BASIC, Api, assert_error

FAULTS = "/v1/test_helpers/faults"


def test_fail_next_answers_the_next_requests_with_the_status_then_recovers(api: Api) -> None:
    api.sandbox.fail_next(2, 503, retry_after=3)

    first, second = api.create(BASIC, key="k"), api.create(BASIC, key="k")
    third = api.create(BASIC, key="k")

    for failed in (first, second):
        assert_error(failed, 503, "api_error", "injected_fault")
        assert failed.headers["retry-after"] == "3"
    assert third.status_code == 200
    assert "idempotent-replayed" not in third.headers
    assert api.sandbox.session_count == 1


@pytest.mark.parametrize(
    ("status", "type"),
    [
        pytest.param(500, "api_error", id="500"),
        pytest.param(502, "api_error", id="502"),
        pytest.param(503, "api_error", id="503"),
        pytest.param(429, "rate_limit_error", id="429"),
        pytest.param(409, "idempotency_error", id="409"),
        pytest.param(400, "invalid_request_error", id="400"),
        pytest.param(401, "authentication_error", id="401"),
        pytest.param(403, "permission_error", id="403"),
    ],
)
def test_faults_set_over_http_fail_the_next_api_request_with_its_error_type(
    api: Api, status: int, type: str
) -> None:
    state = api.post(FAULTS, {"fail_next": {"count": 1, "status": status}})

    assert state.status_code == 200, state.text
    assert state.json()["fail_next"] == {"count": 1, "status": status, "retry_after": None}
    assert_error(api.create(BASIC), status, type)
    assert api.create(BASIC).status_code == 200


def test_a_failure_fault_also_hits_retrieve(api: Api) -> None:
    session_id = api.create(BASIC).json()["id"]
    api.sandbox.fail_next(1, 500)

    assert_error(api.get(f"/v1/checkout_sessions/{session_id}"), 500, "api_error")
    assert api.get(f"/v1/checkout_sessions/{session_id}").status_code == 200


def test_faults_spare_the_test_helpers_and_the_contract(api: Api) -> None:
    session_id = api.create(BASIC).json()["id"]
    api.sandbox.fail_next(100, 503)

    assert api.get(FAULTS).json()["fail_next"]["count"] == 100
    assert api.get("/openapi.yaml").status_code == 200
    complete = api.post(f"/v1/test_helpers/checkout_sessions/{session_id}/complete", {})
    assert complete.status_code == 200
    assert api.post(FAULTS, {"clear": True}).json()["fail_next"] is None
    assert api.create(BASIC).status_code == 200


def test_a_failure_fault_is_spent_even_by_an_invalid_request(api: Api) -> None:
    api.sandbox.fail_next(1, 503)

    assert api.create({"nonsense": True}).status_code == 503
    assert api.create({"nonsense": True}).status_code == 400


def test_drop_after_commit_stores_the_session_then_breaks_the_connection(api: Api) -> None:
    api.sandbox.drop_after_commit()

    with pytest.raises((httpx2.RemoteProtocolError, httpx2.ReadError)):
        api.create(BASIC, key="order-1")

    assert api.sandbox.session_count == 1
    retry = api.create(BASIC, key="order-1")
    assert retry.status_code == 200
    assert retry.headers["idempotent-replayed"] == "true"
    assert api.sandbox.session_count == 1


def test_drop_after_commit_set_over_http_drops_only_creates(api: Api) -> None:
    session_id = api.create(BASIC).json()["id"]
    api.post(FAULTS, {"drop_after_commit": 1})

    assert api.get(f"/v1/checkout_sessions/{session_id}").status_code == 200
    with pytest.raises((httpx2.RemoteProtocolError, httpx2.ReadError)):
        api.create(BASIC)
    assert api.create(BASIC).status_code == 200
    assert api.sandbox.session_count == 3


def test_a_delayed_response_is_held_until_the_faults_are_cleared(api: Api) -> None:
    session_id = api.create(BASIC).json()["id"]
    api.sandbox.delay_responses(60)
    results: list[httpx2.Response] = []
    reader = threading.Thread(
        target=lambda: results.append(api.get(f"/v1/checkout_sessions/{session_id}"))
    )
    reader.start()
    reader.join(0.05)
    assert results == []

    api.sandbox.clear_faults()
    reader.join(10)

    assert results[0].status_code == 200


def test_a_short_delay_holds_one_response_for_its_duration(api: Api) -> None:
    api.post(FAULTS, {"delay": {"seconds": 0.05, "count": 1}})

    started = time.monotonic()
    api.create(BASIC)
    held = time.monotonic() - started
    assert held >= 0.05
    assert api.get(FAULTS).json()["delay"] is None


@pytest.mark.parametrize(
    ("request_body", "code", "param"),
    [
        pytest.param(
            {"fail_next": {"count": -1}},
            "parameter_invalid",
            "fail_next.count",
            id="negative-count",
        ),
        pytest.param(
            {"fail_next": {"count": 1, "status": 200}},
            "parameter_invalid",
            "fail_next.status",
            id="success-status",
        ),
        pytest.param({"fail_next": {}}, "parameter_missing", "fail_next.count", id="count-missing"),
        pytest.param(
            {"delay": {"seconds": "1"}},
            "parameter_invalid",
            "delay.seconds",
            id="seconds-as-string",
        ),
        pytest.param(
            {"delay": {"seconds": MAX_DELAY_SECONDS + 0.5}},
            "parameter_invalid",
            "delay.seconds",
            id="delay-over-the-maximum",
        ),
        pytest.param({"explode": True}, "parameter_unknown", "explode", id="unknown-fault"),
    ],
)
def test_the_faults_route_rejects_bad_settings(
    api: Api, request_body: dict[str, Any], code: str, param: str
) -> None:
    response = api.post(FAULTS, request_body)

    assert_error(response, 400, "invalid_request_error", code, param)


def test_the_faults_route_needs_the_test_key(api: Api) -> None:
    with api.anonymous() as client:
        response = client.post(FAULTS, json={"clear": True}, headers={"Idempotency-Key": "k"})

    assert_error(response, 401, "authentication_error")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda s: s.fail_next(-1), "count", id="negative-count"),
        pytest.param(lambda s: s.fail_next(1, 302), "status", id="redirect-status"),
        pytest.param(lambda s: s.fail_next(1, retry_after=-1), "retry_after", id="negative-retry"),
        pytest.param(lambda s: s.delay_responses(-1), "seconds", id="negative-delay"),
        pytest.param(lambda s: s.drop_after_commit(-1), "count", id="negative-drops"),
    ],
)
def test_python_fault_controls_reject_impossible_settings(
    api: Api, call: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call(api.sandbox)


def test_a_clear_between_taking_a_delay_and_waiting_still_releases_it() -> None:
    faults = Faults()
    faults.delay(30)
    hold = faults.take_delay()
    assert hold is not None

    faults.clear()
    started = time.monotonic()
    hold.wait()

    assert time.monotonic() - started < 5
    assert faults.take_delay() is None


def test_a_counted_delay_is_used_up() -> None:
    faults = Faults()
    faults.delay(1, count=2)

    holds = [faults.take_delay() for _ in range(3)]

    assert [h is not None for h in holds] == [True, True, False]


def test_a_delay_longer_than_the_maximum_is_refused_from_python(api: Api) -> None:
    with pytest.raises(ValueError, match=f"seconds must be 0 to {MAX_DELAY_SECONDS}"):
        api.sandbox.delay_responses(MAX_DELAY_SECONDS + 1)

    api.sandbox.delay_responses(MAX_DELAY_SECONDS, count=1)
    assert api.get(FAULTS).status_code == 200  # the fault helpers are never delayed


def _client(api: Api, key: str) -> httpx2.Client:
    """A client of ``key`` with room for more requests at once than an account's share."""
    if api.mode == "http":
        limits = httpx2.Limits(max_connections=MAX_REQUESTS_PER_ACCOUNT + 10)
        return httpx2.Client(base_url=api.base_url, auth=(key, ""), timeout=60, limits=limits)
    transport = SandboxTransport(api.sandbox)
    return httpx2.Client(transport=transport, base_url=api.base_url, auth=(key, ""))


def test_a_key_holding_its_whole_share_disturbs_no_other_key_and_can_still_clear(
    api: Api,
) -> None:
    attacker = "sk_test_attacker"
    api.sandbox.delay_responses(MAX_DELAY_SECONDS, api_key=attacker)
    answers: list[int] = []
    with _client(api, attacker) as bad:

        def held() -> None:
            answers.append(bad.get("/v1/checkout_sessions/cs_test_held").status_code)

        threads = [threading.Thread(target=held) for _ in range(MAX_REQUESTS_PER_ACCOUNT)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30  # a hang guard, not a timing assertion
        while api.sandbox.held < MAX_REQUESTS_PER_ACCOUNT and time.monotonic() < deadline:
            time.sleep(0.01)
        assert api.sandbox.held == MAX_REQUESTS_PER_ACCOUNT

        over_share = bad.get("/v1/checkout_sessions/cs_test_held")
        others_create = api.create(BASIC)
        others_read = api.get(f"/v1/checkout_sessions/{others_create.json()['id']}")
        clear = bad.post(FAULTS, json={"clear": True}, headers={"Idempotency-Key": "clear"})
        for thread in threads:
            thread.join(30)

    assert_error(over_share, 429, "rate_limit_error", "account_busy")
    assert over_share.headers["retry-after"] == "1"
    assert others_create.status_code == 200
    assert others_read.status_code == 200
    assert clear.status_code == 200
    assert answers == [404] * MAX_REQUESTS_PER_ACCOUNT  # released by the clear
    assert api.sandbox.held == 0
