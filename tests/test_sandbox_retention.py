"""Bounded memory: an account keeps its newest sessions, and sessions are evicted a week
after they were created; an evicted session's id answers as one that never existed."""

from __future__ import annotations

import pytest

from leanrails.sandbox import _sessions
from leanrails.sandbox._store import MAX_SESSIONS_PER_ACCOUNT, SESSION_RETENTION_SECONDS

from _support.sandbox import BASIC, Api, assert_error

pytestmark = pytest.mark.every_store  # the same tests on memory, SQLite and PostgreSQL

OTHER = ("sk_test_other_ci_job", "")
KEPT = 3
"""The cap these tests set, instead of the real one, to stay quick."""


def status(api: Api, session_id: str, auth: tuple[str, str] | None = None) -> int:
    path = f"/v1/checkout_sessions/{session_id}"
    answer = api.get(path) if auth is None else api.get(path, auth=auth)
    return answer.status_code


def test_the_documented_retention() -> None:
    assert MAX_SESSIONS_PER_ACCOUNT == 10_000
    assert SESSION_RETENTION_SECONDS == 7 * 24 * 60 * 60


def test_a_create_past_the_cap_evicts_the_accounts_oldest_session_and_no_one_elses(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_sessions, "MAX_SESSIONS_PER_ACCOUNT", KEPT)
    theirs = api.create(BASIC, auth=OTHER).json()["id"]
    mine = [api.create(BASIC).json()["id"] for _ in range(KEPT + 2)]

    assert [status(api, s) for s in mine] == [404, 404] + [200] * KEPT
    assert status(api, theirs, OTHER) == 200
    assert api.sandbox.session_count == KEPT + 1
    evicted = api.get(f"/v1/checkout_sessions/{mine[0]}")
    assert_error(evicted, 404, "invalid_request_error", "resource_missing", "id")
    assert evicted.json()["error"]["message"] == f"No such checkout session: id {mine[0]!r}."
    with api.anonymous() as browser:
        assert browser.get(f"/pay/{mine[0]}").status_code == 404


def test_sessions_are_evicted_a_week_after_they_were_created(api: Api) -> None:
    old = api.create(BASIC).json()["id"]
    api.clock.advance(SESSION_RETENTION_SECONDS - 60)
    recent = api.create(BASIC).json()["id"]
    api.clock.advance(2 * 60 * 60)  # the next create, an hour or more later, evicts

    newest = api.create(BASIC).json()["id"]

    assert status(api, old) == 404
    assert status(api, recent) == 200
    assert status(api, newest) == 200
    assert api.sandbox.session_count == 2


def test_an_evicted_session_cannot_be_completed_or_expired(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_sessions, "MAX_SESSIONS_PER_ACCOUNT", 1)
    evicted = api.create(BASIC).json()["id"]
    api.create(BASIC)

    for path in (
        f"/v1/test_helpers/checkout_sessions/{evicted}/complete",
        f"/v1/checkout_sessions/{evicted}/expire",
    ):
        assert_error(api.post(path, {}), 404, "invalid_request_error", "resource_missing", "id")
