"""``leanrails sandbox`` is bounded whatever clients do: slow or stalled requests time out,
idle half-open connections cannot starve a real request, a shutdown is quick, a locked
database answers 503 instead of stalling, and repeated errors cannot flood the log.

Each test runs the real console script on 127.0.0.1 and talks to it over raw sockets.
The tests assert what happens (answered, closed, status), with generous timeouts only as hang
guards; the times are figures (bounds.json), held to their limits by ``make soak``, which runs
this file too on a machine left to it (:func:`_support.bounds.timed`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from leanrails.sandbox import TEST_API_KEY
from leanrails.sandbox._log_limit import RateLimitedLog

from _support.bounds import (
    PARTIAL_BODY,
    PARTIAL_HEAD,
    answer_and_close,
    ensure_fd_limit,
    exited_by_itself,
    half_open,
    read_response,
    sandbox,
    timed,
    timed_create,
)
from _support.reliability.results import Tally, tally_for
from _support.sandbox import BASIC, basic

MEGABYTE = 1024 * 1024


@pytest.fixture(scope="module")
def figures(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """The measured figures (milliseconds, bytes), printed in the summary as bounds.json."""
    tally = tally_for(request, "bounds figures (times held to limits by make soak)", "bounds.json")
    yield tally
    tally.write()


@pytest.mark.slow
def test_a_connection_that_stops_in_its_headers_gets_408_and_is_closed_at_the_header_timeout(
    tmp_path: Path, figures: Tally
) -> None:
    with sandbox(tmp_path, "--header-timeout", "1") as served:
        silent = socket.create_connection(("127.0.0.1", served.port))
        [stalled] = half_open(served.port, 1)

        stalled_after, answer = answer_and_close(stalled, 10)
        silent_after, nothing = answer_and_close(silent, 10)

    timed(figures, "header timeout 1 s", stalled_closed=(stalled_after, 0.8, 3))
    timed(figures, "header timeout 1 s", silent_closed=(silent_after, 0, 3))
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b"connection: close" in answer
    assert nothing == b""


@pytest.mark.slow
def test_a_kept_alive_connection_that_stops_in_its_next_headers_gets_408_at_the_header_timeout(
    tmp_path: Path, figures: Tally
) -> None:
    with sandbox(tmp_path, "--header-timeout", "1") as served:
        kept = socket.create_connection(("127.0.0.1", served.port), timeout=10)
        kept.sendall(b"GET /openapi.yaml HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = read_response(kept)
        kept.sendall(PARTIAL_HEAD)

        after, answer = answer_and_close(kept, 10)

    timed(figures, "header timeout 1 s", kept_alive_closed=(after, 0, 3))
    assert first.startswith(b"HTTP/1.1 200 OK\r\n")
    # The header timeout's answer: the 5 s keep-alive timeout closes without one.
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")


@pytest.mark.slow
def test_a_body_that_trickles_or_stops_gets_408_and_is_closed_at_the_body_timeout(
    tmp_path: Path, figures: Tally
) -> None:
    with sandbox(tmp_path, "--body-timeout", "1") as served:
        [stopped] = half_open(served.port, 1, partial_body_every=1)
        with socket.create_connection(("127.0.0.1", served.port)) as trickling:
            trickling.sendall(PARTIAL_BODY)
            started = time.monotonic()
            closed_at = None
            for _ in range(150):  # a byte every 0.2 s: a deadline, not an idle timeout
                time.sleep(0.2)
                try:
                    trickling.sendall(b" ")
                except OSError:
                    closed_at = time.monotonic() - started
                    break

        stopped_after, answer = answer_and_close(stopped, 10)

    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert closed_at is not None, "a body trickling for 30 s was never cut off"
    timed(figures, "body timeout 1 s", stopped_closed=(stopped_after, 0, 2))
    timed(figures, "body timeout 1 s", trickling_closed=(closed_at, 0, 3))


@pytest.mark.slow
def test_sigterm_ends_the_server_within_a_few_seconds_while_a_client_is_sending_a_body(
    tmp_path: Path, figures: Tally
) -> None:
    with sandbox(tmp_path) as served:
        [sending] = half_open(served.port, 1, partial_body_every=1)
        time.sleep(0.2)

        seconds = served.stop()
        _, answer = answer_and_close(sending, 5)

    timed(figures, "sigterm with a partial body", exit=(seconds, 0, 3))
    assert exited_by_itself(served)
    assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")


@pytest.mark.slow
@pytest.mark.parametrize(
    "fd_limit",
    [
        pytest.param(None, id="this-machines-fd-limit"),
        # The connection cap is then below 2,000: the oldest half-open ones are closed.
        pytest.param(1024, id="fd-limit-1024"),
    ],
)
def test_with_2000_half_open_connections_a_create_answers_within_1_s_and_the_log_stays_small(
    tmp_path: Path, fd_limit: int | None, figures: Tally
) -> None:
    ensure_fd_limit(2000 + 512)
    with sandbox(tmp_path, fd_limit=fd_limit) as served:
        connections = half_open(served.port, 2000, partial_body_every=10)
        try:
            seconds, response = timed_create(served.url, "past-2000-half-open")
            stopped_in = served.stop()
        finally:
            for connection in connections:
                connection.close()

    log_bytes = served.log.stat().st_size
    section = f"2000 half-open, fd limit {fd_limit or 'of this machine'}"
    figures.add(section, log_bytes=log_bytes)
    timed(figures, section, create=(seconds, 0, 1), sigterm_exit=(stopped_in, 0, 3))
    assert response.status_code == 200, response.text  # answered, within its 10 s hang guard
    assert exited_by_itself(served)
    assert log_bytes < MEGABYTE


@pytest.mark.slow
def test_a_locked_database_answers_503_with_retry_after_at_once_while_get_root_answers(
    tmp_path: Path, figures: Tally
) -> None:
    db = tmp_path / "locked.db"
    with sandbox(tmp_path, "--db", str(db), "--log-level", "warning") as served:
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process's write, never finished
        try:
            creates, root = asyncio.run(_creates_and_root(served.url, 10))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        _, after = timed_create(served.url, "after-unlock")

    timed(
        figures,
        "10 creates on a locked database",
        slowest_503=(max(seconds for seconds, _ in creates), 0, 1),
        get_root=(root[0], 0, 0.5),
    )
    # Answered while the lock is still held: not waiting for it.
    for _, response in creates:
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "1"
        assert response.json()["error"]["code"] == "database_busy"
    assert root[1].status_code == 200
    assert after.status_code == 200


async def _creates_and_root(
    url: str, count: int
) -> tuple[list[tuple[float, httpx2.Response]], tuple[float, httpx2.Response]]:
    """``count`` creates at once, and a ``GET /`` sent while they wait for the database."""
    async with httpx2.AsyncClient(base_url=url, auth=(TEST_API_KEY, ""), timeout=10) as client:

        async def timed(method: str, path: str, **kwargs: object) -> tuple[float, httpx2.Response]:
            started = time.monotonic()
            response = await client.request(method, path, **kwargs)  # type: ignore[arg-type]
            return time.monotonic() - started, response

        async def root() -> tuple[float, httpx2.Response]:
            await asyncio.sleep(0.05)
            return await timed("GET", "/")

        creates = [
            timed("POST", "/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": f"k{n}"})
            for n in range(count)
        ]
        *answers, root_answer = await asyncio.gather(*creates, root())
        return answers, root_answer


@pytest.mark.slow
def test_a_client_that_half_closes_after_its_request_still_gets_the_answer_with_db(
    tmp_path: Path, figures: Tally
) -> None:
    body = json.dumps(BASIC).encode()
    request = (
        b"POST /v1/checkout_sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
        b"application/json\r\nIdempotency-Key: half-closed\r\nAuthorization: "
        + basic(TEST_API_KEY).encode()
        + b"\r\nContent-Length: %d\r\n\r\n" % len(body)
        + body
    )
    with sandbox(tmp_path, "--db", str(tmp_path / "half.db"), "--log-level", "warning") as served:
        sock = socket.create_connection(("127.0.0.1", served.port), timeout=10)
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)  # nothing more: the answer comes from a worker thread

        seconds, answer = answer_and_close(sock, 10)

    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    # Closed once answered, not at the 5 s keep-alive timeout.
    timed(figures, "half-closed client with --db", closed=(seconds, 0, 3))


# -- the log ---------------------------------------------------------------------------


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def flood() -> tuple[logging.Logger, _Lines, list[float]]:
    now = [0.0]
    logger = logging.getLogger("leanrails.tests.flood")
    logger.propagate = False
    for old in list(logger.filters) + list(logger.handlers):
        logger.removeFilter(old)
        logger.removeHandler(old)  # type: ignore[arg-type]
    lines = _Lines()
    logger.addHandler(lines)
    logger.addFilter(RateLimitedLog(10.0, clock=lambda: now[0]))
    return logger, lines, now


def _out_of_files(logger: logging.Logger, fd: int) -> None:
    try:
        raise OSError(24, "Too many open files")
    except OSError:
        logger.exception("socket.accept() out of system resource\nsocket: <socket fd=%d>", fd)


def test_a_repeated_error_is_one_line_per_interval_with_a_count_of_those_dropped(
    flood: tuple[logging.Logger, _Lines, list[float]],
) -> None:
    logger, lines, now = flood

    for fd in range(10_000):
        _out_of_files(logger, fd)
    now[0] += 10
    _out_of_files(logger, 10_000)

    first, second = lines.lines
    assert first.startswith("ERROR socket.accept() out of system resource\nTraceback")
    assert second == (
        "ERROR socket.accept() out of system resource (OSError: [Errno 24] Too many open "
        "files) [9999 more like this in the last 10 s]"
    )
    assert len(first) + len(second) < 1000


def test_each_kind_of_message_gets_its_own_line(
    flood: tuple[logging.Logger, _Lines, list[float]],
) -> None:
    logger, lines, _ = flood

    for n in range(100):
        logger.warning("Invalid HTTP request received.")
        logger.warning("connection cap (%d) reached", n)
        _out_of_files(logger, n)

    assert [line.split("\n")[0] for line in lines.lines] == [
        "WARNING Invalid HTTP request received.",
        "WARNING connection cap (0) reached",
        "ERROR socket.accept() out of system resource",
    ]
