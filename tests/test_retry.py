"""The retry policy on its own: which responses are retried, and how long to wait."""

from __future__ import annotations

import email.utils

import httpx2
import pytest

from leanrails._retry import backoff, parse_retry_after, retry_delay

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(NOW + seconds_from_now, usegmt=True)


@pytest.mark.parametrize(
    ("retries_taken", "full"),
    [
        pytest.param(0, 0.5, id="first"),
        pytest.param(1, 1.0, id="second"),
        pytest.param(2, 2.0, id="third"),
        pytest.param(3, 4.0, id="fourth"),
        pytest.param(4, 8.0, id="fifth-at-cap"),
        pytest.param(10, 8.0, id="capped"),
    ],
)
def test_backoff_doubles_from_half_a_second_to_an_8_second_cap(
    retries_taken: int, full: float
) -> None:
    assert backoff(retries_taken, rand=0.0) == full
    assert backoff(retries_taken, rand=0.999) == pytest.approx(full * 0.75025)


def test_backoff_jitter_only_shortens_the_wait() -> None:
    delays = {backoff(2) for _ in range(200)}
    assert all(1.5 <= delay <= 2.0 for delay in delays)
    assert len(delays) > 1


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        pytest.param(None, None, id="absent"),
        pytest.param("5", 5.0, id="seconds"),
        pytest.param(" 5 ", 5.0, id="padded"),
        pytest.param("1.5", 1.5, id="fractional"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("-3", 0.0, id="negative-is-now"),
        pytest.param(http_date(30), 30.0, id="http-date"),
        pytest.param(http_date(-30), 0.0, id="http-date-past"),
        pytest.param("Thu, 01 Jan 2026 00:00:30", None, id="http-date-without-zone"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("", None, id="empty"),
        pytest.param("nan", None, id="nan"),
        pytest.param("inf", None, id="infinite"),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(
    value: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


def reply(status: int, retry_after: str | None = None) -> httpx2.Response:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    return httpx2.Response(status, headers=headers)


@pytest.mark.parametrize("status", [409, 429, 500, 502, 503, 504])
def test_retried_statuses_wait_the_backoff(status: int) -> None:
    delay = retry_delay(1, 2, reply(status))
    assert delay is not None
    assert 0.75 <= delay <= 1.0


@pytest.mark.parametrize("status", [200, 201, 301, 400, 401, 403, 404, 405, 410, 422, 501, 505])
def test_other_statuses_are_never_retried(status: int) -> None:
    assert retry_delay(0, 5, reply(status)) is None


def test_connection_errors_and_timeouts_are_retried() -> None:
    delay = retry_delay(0, 2, None)
    assert delay is not None
    assert 0.375 <= delay <= 0.5


@pytest.mark.parametrize("response", [None, reply(503)])
def test_no_retry_once_max_retries_are_taken(response: httpx2.Response | None) -> None:
    assert retry_delay(2, 2, response) is None
    assert retry_delay(0, 0, response) is None


@pytest.mark.parametrize(
    ("retry_after", "delay"),
    [
        pytest.param("12", 12.0, id="exact-not-jittered"),
        pytest.param("60", 60.0, id="at-the-cap"),
        pytest.param("60.5", None, id="over-the-cap"),
        pytest.param("3600", None, id="an-hour"),
    ],
)
def test_retry_after_is_honoured_up_to_60_seconds(retry_after: str, delay: float | None) -> None:
    assert retry_delay(0, 2, reply(429, retry_after)) == delay


def test_retry_after_on_a_non_retried_status_does_not_make_it_retried() -> None:
    assert retry_delay(0, 2, reply(400, "1")) is None
