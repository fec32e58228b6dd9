"""``leanrails sandbox`` speaks HTTP as the RFCs say, and its capacity is not a stranger's.

Each test attacks the real console script on 127.0.0.1 over raw sockets, as an outsider
would: slow bodies against the request cap, request smuggling, oversized heads, encodings
and JSON the sandbox must not misread. Every answer is the API's JSON error.
"""

from __future__ import annotations

import gzip
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from leanrails.sandbox import TEST_API_KEY
from leanrails.sandbox._asgi import MAX_REQUESTS

from _support.bounds import (
    Served,
    answer_and_close,
    ensure_fd_limit,
    half_open,
    sandbox,
    timed_create,
)
from _support.sandbox import BASIC, basic

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sandbox_http")]

AUTH = basic(TEST_API_KEY).encode()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One ``leanrails sandbox`` for the tests that do not need their own."""
    with sandbox(tmp_path_factory.mktemp("http"), "--log-level", "warning") as server:
        yield server


def _create_request(key: str, payload: bytes, *, extra: bytes = b"") -> bytes:
    return (
        b"POST /v1/checkout_sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
        + AUTH
        + b"\r\nContent-Type: application/json\r\nIdempotency-Key: "
        + key.encode()
        + b"\r\n"
        + extra
        + b"Content-Length: %d\r\n\r\n" % len(payload)
        + payload
    )


def _parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """(status, headers in lower case, body) of the first response in ``raw``."""
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", len(rest)))
    return status, headers, rest[:length]


def _assert_json_error(raw: bytes, status: int, code: str) -> dict[str, Any]:
    """``raw`` is one response: the API's JSON error with ``status`` and ``code``, closing."""
    assert raw, "the server closed the connection without an answer"
    got, headers, body = _parse(raw)
    assert got == status, raw[:500]
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    assert headers["request-id"].startswith("req_")
    error: dict[str, Any] = json.loads(body)["error"]
    assert set(error) == {"type", "code", "message", "param"}
    assert error["code"] == code
    assert error["message"]
    return error


def _send(port: int, request: bytes, *, timeout: float = 10) -> bytes:
    """Send ``request`` on a new connection; everything the server sent until it closed."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(request)
    _, received = answer_and_close(sock, timeout)
    return received


# -- the request cap counts requests, not slow senders -------------------------------------


def test_more_slow_request_bodies_than_the_request_cap_do_not_shut_out_another_clients_create(
    tmp_path: Path,
) -> None:
    slow = MAX_REQUESTS + 50
    ensure_fd_limit(slow + 512)
    with sandbox(tmp_path, "--log-level", "warning") as server:
        # Each sends its head and one byte of a 100-byte body, then nothing: no key needed.
        connections = half_open(server.port, slow, partial_body_every=1)
        try:
            time.sleep(0.5)  # not an assertion: lets the server read every head first
            _, response = timed_create(server.url, "past-the-slow-bodies")
            _, again = timed_create(server.url, "and-another")
        finally:
            for connection in connections:
                connection.close()

    assert response.status_code == 200, response.text
    assert again.status_code == 200, again.text


# -- framing: RFC 9112 ----------------------------------------------------------------------


def test_a_request_with_both_content_length_and_chunked_is_refused_and_a_smuggled_create_never_runs(
    served: Served,
) -> None:
    smuggled_key = "smuggled-create"
    smuggled = _create_request(smuggled_key, json.dumps(BASIC).encode())
    # A front end that reads Content-Length sees one request; chunked framing ends after
    # "0\r\n\r\n" and would read the smuggled create as a second request.
    hidden = b"0\r\n\r\n" + smuggled
    outer = (
        b"POST /v1/checkout_sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
        + AUTH
        + b"\r\nContent-Type: application/json\r\nIdempotency-Key: outer\r\n"
        b"Transfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n" % len(hidden) + hidden
    )

    received = _send(served.port, outer)

    error = _assert_json_error(received, 400, "http_invalid")
    assert "Transfer-Encoding" in error["message"]
    assert received.count(b"HTTP/1.1 ") == 1  # one answer, then the connection closed
    with httpx2.Client(base_url=served.url, auth=(TEST_API_KEY, ""), timeout=10) as client:
        first_time = client.post(
            "/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": smuggled_key}
        )
    assert first_time.status_code == 200, first_time.text
    assert "idempotent-replayed" not in first_time.headers  # the smuggled one never ran


# -- heads too large: an answer, not a reset -------------------------------------------------


def test_a_one_megabyte_url_gets_414_as_json_not_a_reset(served: Served) -> None:
    request = b"GET /" + b"a" * 1024 * 1024 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    received = _send(served.port, request)

    _assert_json_error(received, 414, "url_too_long")


def test_a_one_megabyte_header_gets_431_as_json_not_a_reset(served: Served) -> None:
    request = _create_request(
        "big-header", json.dumps(BASIC).encode(), extra=b"X-Big: " + b"b" * 1024 * 1024 + b"\r\n"
    )

    received = _send(served.port, request)

    _assert_json_error(received, 431, "headers_too_large")


def test_a_head_over_the_limit_that_arrives_in_one_read_gets_414_or_431_too(
    served: Served,
) -> None:
    # Under 64 KiB, one read brings the whole head, and h11's own limit (on a head still
    # arriving) never sees it.
    long_url = b"GET /" + b"a" * 17 * 1024 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    big_header = _create_request(
        "big-header-one-read",
        json.dumps(BASIC).encode(),
        extra=b"X-Big: " + b"b" * 20 * 1024 + b"\r\n",
    )

    _assert_json_error(_send(served.port, long_url), 414, "url_too_long")
    _assert_json_error(_send(served.port, big_header), 431, "headers_too_large")


def test_malformed_http_gets_400_as_json(served: Served) -> None:
    received = _send(served.port, b"NOT HTTP AT ALL\r\n\r\n")

    _assert_json_error(received, 400, "http_invalid")


def test_the_header_deadline_408_is_json(tmp_path: Path) -> None:
    with sandbox(tmp_path, "--header-timeout", "1", "--log-level", "warning") as server:
        [stalled] = half_open(server.port, 1)
        _, received = answer_and_close(stalled, 10)

    _assert_json_error(received, 408, "request_timeout")


def test_the_body_deadline_408_is_json(tmp_path: Path) -> None:
    with sandbox(tmp_path, "--body-timeout", "1", "--log-level", "warning") as server:
        [stalled] = half_open(server.port, 1, partial_body_every=1)
        _, received = answer_and_close(stalled, 10)

    _assert_json_error(received, 408, "request_timeout")


def test_a_body_cut_off_by_shutdown_gets_503_as_json(tmp_path: Path) -> None:
    with sandbox(tmp_path, "--log-level", "warning") as server:
        [sending] = half_open(server.port, 1, partial_body_every=1)
        time.sleep(0.2)  # not an assertion: the server reads the head first
        server.stop()
        _, received = answer_and_close(sending, 10)

    error = _assert_json_error(received, 503, "shutting_down")
    assert error["type"] == "api_error"


def test_a_connection_closed_by_the_connection_cap_gets_503_as_json(tmp_path: Path) -> None:
    with sandbox(tmp_path, "--max-connections", "2", "--log-level", "warning") as server:
        oldest, other = half_open(server.port, 2, partial_body_every=1)
        time.sleep(0.2)  # not an assertion: the server reads both heads first
        with other, socket.create_connection(("127.0.0.1", server.port), timeout=10):
            _, received = answer_and_close(oldest, 10)

    _assert_json_error(received, 503, "too_many_connections")


# -- bodies the sandbox must not misread ----------------------------------------------------


@pytest.fixture
def client(served: Served) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=served.url, auth=(TEST_API_KEY, ""), timeout=10) as client:
        yield client


def _post(client: httpx2.Client, content: bytes, key: str, **headers: str) -> httpx2.Response:
    return client.post(
        "/v1/checkout_sessions",
        content=content,
        headers={"Content-Type": "application/json", "Idempotency-Key": key, **headers},
    )


def _assert_error(response: httpx2.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code
    message: str = error["message"]
    return message


def test_a_repeated_key_is_refused_so_a_script_url_cannot_hide_behind_a_second_one(
    client: httpx2.Client,
) -> None:
    content = (
        b'{"mode": "payment", "line_items": [{"price": "price_test_tshirt", "quantity": 1}], '
        b'"success_url": "javascript:alert(document.cookie)", '
        b'"success_url": "https://shop.example.com/done"}'
    )

    message = _assert_error(_post(client, content, "duplicate-success-url"), 400, "duplicate_key")

    assert "'success_url'" in message


def test_a_repeated_key_in_a_nested_object_is_refused(client: httpx2.Client) -> None:
    content = (
        b'{"mode": "payment", "success_url": "https://shop.example.com/done", "line_items": '
        b'[{"price": "price_test_tshirt", "quantity": 1, "quantity": 99}]}'
    )

    message = _assert_error(_post(client, content, "duplicate-quantity"), 400, "duplicate_key")

    assert "'quantity'" in message


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "GZIP"])
def test_a_compressed_body_is_refused_with_415(client: httpx2.Client, encoding: str) -> None:
    content = gzip.compress(json.dumps(BASIC).encode())

    message = _assert_error(
        _post(client, content, f"encoded-{encoding}", **{"Content-Encoding": encoding}),
        415,
        "content_encoding_unsupported",
    )

    assert encoding.lower() in message


def test_an_identity_content_encoding_is_read_as_is(client: httpx2.Client) -> None:
    response = _post(
        client, json.dumps(BASIC).encode(), "identity", **{"Content-Encoding": "identity"}
    )

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        pytest.param(b"1", "a number", id="integer"),
        pytest.param(b"1" * 5000, "a number", id="5000-digit-integer"),
        pytest.param(b"-2.5e3", "a number", id="float"),
        pytest.param(b'"1"', "a string", id="string"),
        pytest.param(b"true", "a boolean", id="boolean"),
        pytest.param(b"[1]", "an array", id="array"),
        pytest.param(b"null", "null", id="null"),
    ],
)
def test_a_body_that_is_not_an_object_is_called_what_it_is(
    client: httpx2.Client, content: bytes, kind: str
) -> None:
    message = _assert_error(_post(client, content, f"kind-{kind}"), 400, "body_not_object")

    assert message == f"The request body is not a JSON object: it is {kind}."


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_are_not_json(client: httpx2.Client, constant: bytes) -> None:
    content = json.dumps(BASIC).encode()[:-1] + b', "metadata": {"n": ' + constant + b"}}"

    _assert_error(_post(client, content, f"constant-{constant.decode()}"), 400, "json_invalid")


def _hosted_session(client: httpx2.Client, key: str) -> str:
    """A new hosted session's id."""
    created = client.post(
        "/v1/checkout_sessions",
        json={
            "mode": "payment",
            "line_items": [{"price": "price_test_tshirt", "quantity": 1}],
            "success_url": "https://example.com/done",
        },
        headers={"Idempotency-Key": key},
    )
    assert created.status_code == 200, created.text
    session_id: str = created.json()["id"]
    return session_id


@pytest.mark.parametrize("path", ["/", "/openapi.yaml", "/pay/{id}"])
def test_head_answers_as_get_would_without_a_body(served: Served, path: str) -> None:
    with httpx2.Client(base_url=served.url, auth=(TEST_API_KEY, ""), timeout=10) as client:
        session_id = _hosted_session(client, f"head-{path}")
        url = path.format(id=session_id)
        got, head = client.get(url), client.head(url)
    assert got.status_code == 200
    assert head.status_code == 200
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.content == b""


def test_head_takes_no_faults_count_and_the_next_get_meets_the_fault(served: Served) -> None:
    # RFC 9110 §9.1: HEAD is GET without the body. A fault set for "the next request" is
    # the next GET's or POST's: a monitor's or link checker's HEAD must not use it up.
    auth = ("sk_test_head_faults", "")
    with httpx2.Client(base_url=served.url, auth=auth, timeout=10) as client:
        session_id = _hosted_session(client, "head-faults")
        url = f"/v1/checkout_sessions/{session_id}"
        faults = {"fail_next": {"count": 1, "status": 503}, "delay": {"seconds": 0.01, "count": 1}}
        client.post("/v1/test_helpers/faults", json=faults, headers={"Idempotency-Key": "set"})
        heads = [client.head(url) for _ in range(3)]
        state = client.get("/v1/test_helpers/faults").json()
        failed, delayed, read = client.get(url), client.get(url), client.get(url)

    assert [(h.status_code, h.content) for h in heads] == [(200, b"")] * 3
    assert heads[0].headers["content-length"] == read.headers["content-length"]
    assert state["fail_next"]["count"] == 1
    assert state["delay"]["count"] == 1
    assert failed.status_code == 503
    assert (delayed.status_code, read.status_code) == (200, 200)
    assert state["object"] == "sandbox.faults"


def test_head_on_the_hosted_page_mints_no_csrf_cookie(served: Served) -> None:
    with httpx2.Client(base_url=served.url, auth=(TEST_API_KEY, ""), timeout=10) as client:
        session_id = _hosted_session(client, "head-cookie")
        page = f"/pay/{session_id}"
        head = client.head(page)
        got = client.get(page)

    assert head.status_code == 200
    assert "set-cookie" not in head.headers
    assert "set-cookie" in got.headers  # a GET mints it, as before
    assert head.headers["content-security-policy"] == got.headers["content-security-policy"]
