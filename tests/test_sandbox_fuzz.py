"""Bad input, fuzzed over real HTTP: no answer is a 5xx, none hangs, every error has the shape."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandbox_support import BASIC, FakeClock, LiveServer

from leanrails.sandbox import TEST_API_KEY, Sandbox

HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=300).map(
    str.strip  # h11 refuses to send a header value with surrounding whitespace
)
GOOD_AUTH = "Basic " + base64.b64encode(f"{TEST_API_KEY}:".encode()).decode()

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=20), inner, max_size=5)
    ),
    max_leaves=20,
)

FIELD_NAMES = [
    *BASIC.keys(),
    "customer",
    "customer_email",
    "customer_creation",
    "ui_mode",
    "billing_address_collection",
    "client_reference_id",
    "payment_intent_data",
    "currency",
    "expires_at",
    "metadata",
    "unknown",
]


@st.composite
def near_valid_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A valid create body with a few fields replaced, removed or added at random."""
    result: dict[str, Any] = json.loads(json.dumps(BASIC))
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(FIELD_NAMES))
        if draw(st.booleans()):
            result.pop(name, None)
        else:
            result[name] = draw(JSON)
    if draw(st.booleans()):
        item = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "quantity": JSON,
                    "price": st.sampled_from(["price_test_tshirt", "price_test_monthly", "x"])
                    | JSON,
                    "price_data": st.fixed_dictionaries(
                        {},
                        optional={
                            "currency": st.sampled_from(["usd", "EUR", "us", "???"]) | JSON,
                            "product": JSON,
                            "unit_amount": JSON,
                            "recurring": JSON,
                        },
                    ),
                },
            )
        )
        result["line_items"] = [item]
    return result


BODIES = st.one_of(
    st.binary(max_size=2000),
    JSON.map(lambda v: json.dumps(v).encode()),
    near_valid_bodies().map(lambda v: json.dumps(v).encode()),
)

PATHS = st.one_of(
    st.sampled_from(
        [
            "/v1/checkout_sessions",
            "/v1/checkout_sessions/cs_test_nope",
            "/v1/checkout_sessions/cs_test_nope/expire",
            "/v1/test_helpers/checkout_sessions/cs_test_nope/complete",
            "/v1/",
            "/v1",
            "/openapi.yaml",
        ]
    ),
    st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="?#"), max_size=60
    ).map(lambda p: "/v1/" + p),
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    headers: dict[str, str] = {}
    auth = draw(st.sampled_from(["good", "none", "random"]))
    if auth == "good":
        headers["Authorization"] = GOOD_AUTH
    elif auth == "random":
        headers["Authorization"] = draw(HEADER_TEXT)
    if draw(st.booleans()):
        headers["Idempotency-Key"] = draw(HEADER_TEXT)
    content_type = draw(st.sampled_from(["application/json", "none", "text/plain", "random"]))
    if content_type == "random":
        headers["Content-Type"] = draw(HEADER_TEXT)
    elif content_type != "none":
        headers["Content-Type"] = content_type
    if draw(st.booleans()):
        headers["X-API-Version"] = draw(HEADER_TEXT)
    return {
        "method": draw(st.sampled_from(["POST", "POST", "GET", "PUT", "DELETE", "PATCH"])),
        "url": draw(PATHS),
        "headers": headers,
        "content": draw(BODIES),
    }


@pytest.fixture(scope="module")
def fuzz_target(live_server: LiveServer) -> Iterator[tuple[httpx2.Client, Sandbox]]:
    with Sandbox(clock=FakeClock(), base_url=live_server.url) as sandbox:
        live_server.mount(sandbox)
        client = httpx2.Client(base_url=live_server.url, timeout=10)
        try:
            yield client, sandbox
        finally:
            client.close()
            live_server.unmount()


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(request=requests())
def test_no_input_makes_the_server_answer_5xx_and_every_error_has_the_shape(
    fuzz_target: tuple[httpx2.Client, Sandbox], request: dict[str, Any]
) -> None:
    client, sandbox = fuzz_target
    response = client.request(**request)

    assert response.status_code < 500, response.text
    assert response.headers["request-id"].startswith("req_")
    if response.status_code >= 400:
        error = response.json()["error"]
        assert set(error) == {"type", "code", "message", "param"}
        assert isinstance(error["type"], str)
        assert isinstance(error["message"], str)
    assert sandbox.faults.state()["fail_next"] is None
