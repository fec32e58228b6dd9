"""An account per test key: two keys never see each other's sessions, replays or faults."""

from __future__ import annotations

import pytest

from leanrails.sandbox import TEST_API_KEY

from _support.sandbox import BASIC, Api, assert_error

pytestmark = pytest.mark.every_store  # the same tests on memory, SQLite and PostgreSQL

OTHER = ("sk_test_other_ci_job", "")
FAULTS = "/v1/test_helpers/faults"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/v1/checkout_sessions/{id}", id="retrieve"),
        pytest.param("POST", "/v1/checkout_sessions/{id}/expire", id="expire"),
        pytest.param("POST", "/v1/test_helpers/checkout_sessions/{id}/complete", id="complete"),
    ],
)
def test_another_key_gets_404_for_a_session_it_did_not_create(
    api: Api, method: str, path: str
) -> None:
    session = api.create(BASIC).json()
    url = path.format(id=session["id"])

    answer = api.get(url, auth=OTHER) if method == "GET" else api.post(url, {}, auth=OTHER)

    assert_error(answer, 404, "invalid_request_error", param="id")
    assert api.get(f"/v1/checkout_sessions/{session['id']}").json()["status"] == "open"


def test_the_same_idempotency_key_under_two_keys_makes_two_sessions(api: Api) -> None:
    mine = api.create(BASIC, key="shared-key")
    theirs = api.create({**BASIC, "metadata": {"job": "other"}}, key="shared-key", auth=OTHER)

    assert mine.status_code == theirs.status_code == 200
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    replay = api.create(BASIC, key="shared-key")
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == mine.json()["id"]


def test_a_fault_set_over_http_by_one_key_never_fires_for_another(api: Api) -> None:
    api.post(FAULTS, {"fail_next": {"count": 5, "status": 503}}, auth=OTHER)

    mine = api.create(BASIC)
    shown = api.get(FAULTS).json()

    assert mine.status_code == 200
    assert shown["fail_next"] is None
    assert_error(api.create(BASIC, auth=OTHER), 503, "api_error", "injected_fault")


def test_python_fault_helpers_act_on_the_documented_key_unless_given_another(api: Api) -> None:
    api.sandbox.fail_next(1, 500)
    api.sandbox.fail_next(1, 429, api_key=OTHER[0])

    assert_error(api.create(BASIC, auth=OTHER), 429, "rate_limit_error")
    assert_error(api.create(BASIC, auth=(TEST_API_KEY, "")), 500, "api_error")
    assert api.create(BASIC).status_code == 200
    assert api.create(BASIC, auth=OTHER).status_code == 200


def test_the_hosted_page_of_any_key_s_session_opens_without_a_key(api: Api) -> None:
    session = api.create(BASIC, auth=OTHER).json()

    with api.anonymous() as browser:
        page = browser.get(f"/pay/{session['id']}")

    assert page.status_code == 200
