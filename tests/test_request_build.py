"""The client assembles a create's request itself (for speed): it is the request httpx2's
``build_request`` builds from the same arguments, byte for byte, whatever the HTTP client
carries (its own headers, base_url, params, cookies) and whatever the call adds."""

from __future__ import annotations

import functools
from typing import Any

import httpx2
import pytest

from leanrails._base_client import http_request

URL = httpx2.URL("https://api.leanrails.com/v1/checkout_sessions")
BODY = b'{"mode":"payment"}'

CLIENTS: dict[str, dict[str, Any]] = {
    "plain": {},
    "own headers": {"headers": {"User-Agent": "mine/1", "X-Trace": "a", "Accept": "text/plain"}},
    "repeated header": {"headers": [("X-Trace", "a"), ("x-trace", "b"), ("authorization", "x")]},
    "base_url": {"base_url": "https://elsewhere.example/prefix/"},
    "params": {"params": {"shop": "1"}},
    "cookies": {"cookies": {"session": "abc"}},
    "host header": {"headers": {"Host": "gateway.example"}},
    "length header": {"headers": {"Transfer-Encoding": "chunked"}},
}

HEADERS = {
    "typical": {
        "Authorization": "Basic c2tfdGVzdDo=",
        "Content-Type": "application/json",
        "Idempotency-Key": "key-1",
        "User-Agent": "leanrails-python/x",
    },
    "case and extras": {
        "Authorization": "Basic c2tfdGVzdDo=",
        "content-type": "application/json",
        "ACCEPT": "application/json",
        "X-Trace": "c",
        "X-API-Version": "2026-11-01",
    },
    "content-length given": {"Authorization": "Basic eA==", "Content-Length": "18"},
}


@functools.cache
def _clients(kind: str) -> tuple[httpx2.Client, httpx2.AsyncClient]:
    """The sync and async HTTP clients of a kind, made once for the module's 216 cases (each
    makes its TLS context, 35 ms); building a request changes nothing in them."""
    return httpx2.Client(**CLIENTS[kind]), httpx2.AsyncClient(**CLIENTS[kind])


def _same(built: httpx2.Request, expected: httpx2.Request) -> None:
    assert built.method == expected.method
    assert str(built.url) == str(expected.url)
    assert built.headers.raw == expected.headers.raw
    assert built.content == expected.content
    assert built.extensions == expected.extensions
    assert type(built.stream) is type(expected.stream)


@pytest.mark.parametrize("client_kind", CLIENTS)
@pytest.mark.parametrize("headers_kind", HEADERS)
@pytest.mark.parametrize("timeout", [30.0, httpx2.Timeout(9.0, connect=2.0), None])
@pytest.mark.parametrize("content", [BODY, b"{}", None])
def test_request_is_the_one_build_request_builds(
    client_kind: str,
    headers_kind: str,
    timeout: float | httpx2.Timeout | None,
    content: bytes | None,
) -> None:
    headers = HEADERS[headers_kind]
    method = "POST" if content is not None else "GET"
    for http in _clients(client_kind):
        built = http_request(http, method, URL, dict(headers), content, httpx2.Timeout(timeout))
        expected = http.build_request(
            method, URL, content=content, headers=dict(headers), timeout=timeout
        )
        _same(built, expected)


def test_request_with_a_query_is_the_one_build_request_builds() -> None:
    http = httpx2.Client(headers={"X-Trace": "a"})
    query: dict[str, str | int] = {"expand": "line_items", "n": 2}
    built = http_request(
        http, "POST", URL, dict(HEADERS["typical"]), BODY, httpx2.Timeout(5.0), query
    )
    expected = http.build_request(
        "POST", URL, params=query, content=BODY, headers=dict(HEADERS["typical"]), timeout=5.0
    )
    _same(built, expected)


def test_headers_changed_on_the_http_client_between_calls_are_sent() -> None:
    http = httpx2.Client()
    first = http_request(http, "POST", URL, dict(HEADERS["typical"]), BODY, httpx2.Timeout(5.0))
    http.headers["X-Added"] = "later"
    second = http_request(http, "POST", URL, dict(HEADERS["typical"]), BODY, httpx2.Timeout(5.0))
    assert "x-added" not in first.headers
    assert second.headers["x-added"] == "later"
