"""to_curl: the reference's layout, masked by default, and safe to paste into a shell."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from typing import Any

import httpx2
import pytest

from leanrails import LeanRails, to_curl

KEY = "sk_test_51HqLyjWDarjtT1zdp7dcQx"
TOKEN = base64.b64encode(f"{KEY}:".encode()).decode()
BODY: dict[str, Any] = {
    "mode": "payment",
    "line_items": [{"quantity": 2, "price": "price_test_tshirt"}],
    "success_url": "https://example.com/done",
}


@pytest.fixture
def client() -> Any:
    with LeanRails(KEY, http_client=httpx2.Client()) as client:
        yield client
        client._http_client.close()


def test_renders_the_reference_layout_with_the_key_masked(client: LeanRails) -> None:
    request = client.checkout_sessions.build(**BODY, idempotency_key="order-6735")
    assert to_curl(request) == (
        "curl --request POST \\\n"
        '  --url "${LEANRAILS_BASE_URL:-https://api.leanrails.com}/v1/checkout_sessions" \\\n'
        '  --user "$LEANRAILS_API_KEY:" \\\n'
        "  --header 'Content-Type: application/json' \\\n"
        "  --header \"Idempotency-Key: $(od -An -N16 -tx1 /dev/urandom | tr -d ' \\n')\" \\\n"
        "  --data '\n"
        "{\n"
        '  "mode": "payment",\n'
        '  "line_items": [\n'
        "    {\n"
        '      "quantity": 2,\n'
        '      "price": "price_test_tshirt"\n'
        "    }\n"
        "  ],\n"
        '  "success_url": "https://example.com/done"\n'
        "}\n"
        "'"
    )


def test_reveal_key_shows_the_real_basic_header(client: LeanRails) -> None:
    request = client.checkout_sessions.build(**BODY)
    shown = to_curl(request, reveal_key=True)
    assert f"  --header 'Authorization: Basic {TOKEN}' \\\n" in shown
    assert "LEANRAILS_API_KEY" not in shown


def test_masked_output_contains_neither_the_key_nor_its_encoding(client: LeanRails) -> None:
    shown = to_curl(client.checkout_sessions.build(**BODY))
    assert KEY not in shown
    assert TOKEN not in shown


def test_api_version_header_is_shown_when_set(client: LeanRails) -> None:
    request = client.checkout_sessions.build(**BODY, api_version="2026-01-01")
    assert "  --header 'X-API-Version: 2026-01-01' \\\n" in to_curl(request)


def test_a_request_without_a_body_has_no_data() -> None:
    request = httpx2.Request("GET", "https://api.leanrails.com/v1/checkout_sessions/cs_1")
    assert to_curl(request) == (
        "curl --request GET \\\n"
        '  --url "${LEANRAILS_BASE_URL:-https://api.leanrails.com}/v1/checkout_sessions/cs_1"'
    )


def test_replay_keeps_the_requests_own_idempotency_key(client: LeanRails) -> None:
    request = client.checkout_sessions.build(**BODY, idempotency_key="order-6735")
    assert "  --header 'Idempotency-Key: order-6735' \\\n" in to_curl(request, replay=True)


def test_the_in_process_sandbox_says_how_to_reach_it() -> None:
    request = LeanRails.sandbox().checkout_sessions.build(**BODY)
    comment, _, url, *_ = to_curl(request).splitlines()
    assert comment.startswith("# LeanRails.sandbox() has no address")
    assert "leanrails sandbox" in comment
    assert url == '  --url "${LEANRAILS_BASE_URL:-http://127.0.0.1:12111}/v1/checkout_sessions" \\'


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://api.leanrails.com/v1/checkout_sessions/cs_1?a=1&b=$x",
            "\"${LEANRAILS_BASE_URL:-https://api.leanrails.com}\"'/v1/checkout_sessions/cs_1?a=1&b=$x'",
        ),
        (
            "https://gw.example/leanrails/v1/checkout_sessions",
            '"${LEANRAILS_BASE_URL:-https://gw.example/leanrails}/v1/checkout_sessions"',
        ),
        ("https://example.com/x?a=1&b=2", "'https://example.com/x?a=1&b=2'"),
        (
            "https://example.com/v1/a?$(id)",
            "\"${LEANRAILS_BASE_URL:-https://example.com}\"'/v1/a?$(id)'",
        ),
    ],
    ids=[
        "query-with-shell-characters",
        "base-with-a-path",
        "not-an-api-path",
        "command-substitution",
    ],
)
def test_the_base_url_comes_from_the_environment_and_the_rest_stays_literal(
    url: str, shown: str
) -> None:
    assert f"--url {shown}" in to_curl(httpx2.Request("GET", url))


def test_a_body_that_is_not_json_is_sent_raw() -> None:
    request = httpx2.Request("POST", "https://example.com/", content=b"@/etc/passwd")
    assert to_curl(request).endswith("--data-raw @/etc/passwd")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param({"note": "it's O'Brien's"}, id="single-quotes"),
        pytest.param({"note": "$HOME `id` $(id) \\n"}, id="shell-expansions"),
        pytest.param({"note": "naïve ☃"}, id="unicode"),
    ],
)
def test_pasted_into_bash_curl_receives_exactly_the_json_and_the_key(
    client: LeanRails, metadata: dict[str, str]
) -> None:
    request = client.checkout_sessions.build(**BODY, metadata=metadata)
    # A stand-in curl that prints its arguments, NUL-separated: nothing is sent anywhere.
    script = "curl() { printf '%s\\0' \"$@\"; }\n" + to_curl(request)
    result = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        check=True,
        env={"LEANRAILS_API_KEY": KEY, "PATH": "/usr/bin:/bin"},
    )
    args = result.stdout.decode().split("\0")[:-1]
    assert args[args.index("--user") + 1] == f"{KEY}:"
    assert json.loads(args[args.index("--data") + 1]) == json.loads(request.content)
