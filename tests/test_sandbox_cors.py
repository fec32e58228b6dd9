"""``leanrails sandbox`` answers a docs page's browser requests (CORS), for the origins its
operator names and by default the local docs server's, and for no other.

The real console script on 127.0.0.1: raw preflights and requests, and a real Chromium on
a page of another origin that calls the API with ``fetch``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2
import pytest

from leanrails.sandbox import TEST_API_KEY

from _support.bounds import Served, answer_and_close, sandbox
from _support.page import other_origin
from _support.sandbox import BASIC, command, free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sandbox_cors")]

if TYPE_CHECKING:
    from playwright.sync_api import Browser

DOCS = "http://127.0.0.1:8000"
ALLOWED_HEADERS = "authorization, content-type, idempotency-key, x-api-version"


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``leanrails sandbox`` with its default CORS origins (``DOCS_PORT`` set to 8123)."""
    before = os.environ.get("DOCS_PORT")
    os.environ["DOCS_PORT"] = "8123"
    try:
        with sandbox(tmp_path_factory.mktemp("cors"), "--log-level", "warning") as server:
            yield server
    finally:
        if before is None:
            del os.environ["DOCS_PORT"]
        else:
            os.environ["DOCS_PORT"] = before


def _preflight(url: str, origin: str, headers: str = ALLOWED_HEADERS) -> httpx2.Response:
    return httpx2.options(
        f"{url}/v1/checkout_sessions",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": headers,
        },
        timeout=10,
    )


def _create(url: str, origin: str, key: str) -> httpx2.Response:
    return httpx2.post(
        f"{url}/v1/checkout_sessions",
        json=BASIC,
        auth=(TEST_API_KEY, ""),
        headers={"Origin": origin, "Idempotency-Key": key},
        timeout=10,
    )


def _assert_no_cors(response: httpx2.Response) -> None:
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize(
    "origin",
    [DOCS, "http://localhost:8000", "http://127.0.0.1:8123", "http://localhost:8123"],
)
def test_the_local_docs_servers_preflight_is_allowed_by_default(
    default: Served, origin: str
) -> None:
    response = _preflight(default.url, origin)

    assert response.status_code == 204, response.text
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-methods"] == "GET, POST"
    assert response.headers["access-control-allow-headers"].lower() == ALLOWED_HEADERS
    assert response.headers["vary"] == "Origin"
    assert "access-control-allow-credentials" not in response.headers


def test_a_create_from_the_docs_origin_can_read_its_answer_and_request_id(default: Served) -> None:
    first = _create(default.url, DOCS, "cors-create")
    again = _create(default.url, DOCS, "cors-create")

    assert first.status_code == 200, first.text
    assert first.headers["access-control-allow-origin"] == DOCS
    exposed = {name.strip() for name in first.headers["access-control-expose-headers"].split(",")}
    assert {"Request-Id", "Idempotent-Replayed"} <= exposed
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["access-control-allow-origin"] == DOCS


def test_an_error_from_the_docs_origin_is_readable_too(default: Served) -> None:
    response = httpx2.post(
        f"{default.url}/v1/checkout_sessions",
        json={**BASIC, "line_items": [{"price": "price_test_tshirt", "quantity": 0}]},
        auth=(TEST_API_KEY, ""),
        headers={"Origin": DOCS, "Idempotency-Key": "cors-error"},
        timeout=10,
    )

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "line_items[0].quantity"
    assert response.headers["access-control-allow-origin"] == DOCS


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "null", "http://127.0.0.1:8001", "http://127.0.0.1:8000.evil.example"],
)
def test_another_origin_is_refused_a_preflight_and_gets_no_cors_headers(
    default: Served, origin: str
) -> None:
    preflight = _preflight(default.url, origin)
    created = _create(default.url, origin, f"other-{origin}")

    assert preflight.status_code == 403
    assert preflight.json()["error"]["code"] == "cors_not_allowed"
    assert "--cors-origin" in preflight.json()["error"]["message"]
    _assert_no_cors(preflight)
    _assert_no_cors(created)
    assert created.headers["vary"] == "Origin"


@pytest.mark.parametrize(
    ("method", "headers"),
    [("DELETE", ALLOWED_HEADERS), ("POST", "authorization, x-secret"), ("POST", "cookie")],
)
def test_a_preflight_for_another_method_or_header_is_refused(
    default: Served, method: str, headers: str
) -> None:
    response = httpx2.options(
        f"{default.url}/v1/checkout_sessions",
        headers={
            "Origin": DOCS,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
        timeout=10,
    )

    assert response.status_code == 403
    _assert_no_cors(response)


def test_the_hosted_pages_are_never_shared_with_another_origin(default: Served) -> None:
    created = _create(default.url, DOCS, "cors-page").json()

    page = httpx2.get(created["url"], headers={"Origin": DOCS}, timeout=10)
    preflight = httpx2.options(
        created["url"],
        headers={"Origin": DOCS, "Access-Control-Request-Method": "POST"},
        timeout=10,
    )

    assert page.status_code == 200
    _assert_no_cors(page)
    assert preflight.status_code == 403
    _assert_no_cors(preflight)


def test_cors_origin_replaces_the_default_and_may_be_repeated(tmp_path: Path) -> None:
    with sandbox(
        tmp_path,
        "--cors-origin",
        "https://docs.example.com",
        "--cors-origin",
        "http://127.0.0.1:9000/",
        "--log-level",
        "warning",
    ) as server:
        named = _preflight(server.url, "https://docs.example.com")
        slash = _preflight(server.url, "http://127.0.0.1:9000")
        docs = _preflight(server.url, DOCS)

    assert named.status_code == 204
    assert slash.status_code == 204
    assert docs.status_code == 403


@pytest.mark.parametrize(
    "value", ["*", "127.0.0.1:8000", "http://127.0.0.1:8000/docs", "ftp://x", "http://u:p@x"]
)
def test_a_cors_origin_that_is_not_an_origin_is_refused_at_start(value: str) -> None:
    result = subprocess.run(
        command("sandbox", "--port", str(free_port()), "--cors-origin", value),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert result.stderr.startswith("--cors-origin: ")


# -- a real browser ----------------------------------------------------------------------------

_TRY_IT = """<!doctype html><html lang=en><title>Try it</title><script>
window.result = fetch(%(url)s + "/v1/checkout_sessions", {
  method: "POST",
  headers: {
    "Authorization": "Basic " + btoa(%(key)s + ":"),
    "Content-Type": "application/json",
    "Idempotency-Key": "try-it-" + Math.random(),
  },
  body: JSON.stringify(%(body)s),
}).then(async (r) => ({status: r.status, requestId: r.headers.get("Request-Id"),
                       body: await r.json()}))
  .catch((e) => ({error: String(e)}));
</script></html>"""


@pytest.mark.browser
def test_a_page_on_a_named_origin_creates_a_session_from_the_browser_and_another_cannot(
    tmp_path: Path, chromium: Browser
) -> None:
    pages: dict[str, str] = {}  # filled once the sandbox's port is known
    with (
        other_origin(pages) as docs,
        other_origin(pages) as stranger,
        sandbox(tmp_path, "--cors-origin", docs, "--log-level", "warning") as server,
    ):
        pages["/try"] = _TRY_IT % {
            "url": json.dumps(server.url),
            "key": json.dumps(TEST_API_KEY),
            "body": json.dumps(BASIC),
        }
        allowed: Any = _run_page(chromium, f"{docs}/try")
        refused: Any = _run_page(chromium, f"{stranger}/try")

    assert allowed["status"] == 200, allowed
    assert allowed["requestId"].startswith("req_")
    assert allowed["body"]["object"] == "checkout.session"
    assert "Failed to fetch" in refused["error"]


def _run_page(browser: Browser, url: str) -> Any:
    page = browser.new_page()
    try:
        page.goto(url)
        return page.evaluate("window.result")
    finally:
        page.close()


def test_an_error_the_app_writes_before_routing_is_readable_by_the_docs_origin(
    default: Served,
) -> None:
    request = (
        b"POST /v1/checkout_sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: "
        + DOCS.encode()
        + b"\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", default.port), timeout=10) as sock:
        sock.sendall(request)
        _, received = answer_and_close(sock, 10)

    head = received.partition(b"\r\n\r\n")[0].lower()
    assert head.startswith(b"http/1.1 400 ")
    assert b"access-control-allow-origin: " + DOCS.encode() in head
