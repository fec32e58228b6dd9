"""Requests no client would send: methods, paths, raw headers and bodies, from hypothesis.

Whatever is asked, every answer keeps the same promises (``check_fuzzed_response``): no
5xx, every ``/v1`` error in the error shape, and no session created without a 200 saying
so. ``send_fuzzed`` runs them through any httpx2 client: the in-process transport, the test
uvicorn server, or (in ``tests/soak``) the ``leanrails sandbox`` process.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leanrails import CheckoutSession
from leanrails.sandbox import IN_PROCESS_BASE_URL, TEST_API_KEY, Sandbox, SandboxTransport

from _support.sandbox import BASIC, START, FakeClock

NOW = START
"""The sandbox tests' fixed clock; ``expires_at`` is judged by it."""

GOOD_AUTH = "Basic " + base64.b64encode(f"{TEST_API_KEY}:".encode()).decode()
PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
FUZZ_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=16,
)
"""Any JSON value (no NaN or infinities, which JSON cannot carry)."""


def _header_value() -> st.SearchStrategy[bytes]:
    """Any header value an HTTP server could hand on: printable text, or raw latin-1 bytes."""
    return st.one_of(
        st.text(PRINTABLE, max_size=300).map(lambda s: s.encode("latin-1")),
        st.binary(max_size=120).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
        st.integers(250, 260).map(lambda n: b"k" * n),  # around the 255-character limit
    )


def _basic(user: str, password: str = "") -> bytes:
    return b"Basic " + base64.b64encode(f"{user}:{password}".encode())


AUTHORIZATIONS = st.one_of(
    st.just(GOOD_AUTH.encode()),
    st.just(GOOD_AUTH.encode()),
    st.builds(_basic, st.text(max_size=30), st.text(max_size=5)),
    st.builds(_basic, st.text(PRINTABLE, max_size=20).map(lambda s: "sk_test_" + s)),
    st.builds(lambda b: b"Basic " + base64.b64encode(b), st.binary(max_size=30)),
    st.sampled_from([b"", b"Basic", b"Basic !!!", b"Bearer sk_test_sandbox", b"basic  "]),
    _header_value(),
)
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            b"application/json",
            b"application/json; charset=utf-8",
            b"APPLICATION/JSON",
            b"application/json;",
            b"text/plain",
            b"application/x-www-form-urlencoded",
            b"multipart/form-data; boundary=x",
        ]
    ),
    _header_value(),
)
KEYS = st.one_of(st.sampled_from([b"fuzz-1", b"fuzz-2", b"fuzz-3", b""]), _header_value())
"""A few fixed keys, so replays and same-key-other-body conflicts happen too."""

PATHS = st.one_of(
    st.just("/v1/checkout_sessions"),
    st.sampled_from(
        [
            "/v1/checkout_sessions",
            "/v1/checkout_sessions/cs_test_nope",
            "/v1/checkout_sessions/cs_test_nope/expire",
            "/v1/test_helpers/checkout_sessions/cs_test_nope/complete",
            "/v1/checkout_sessions/%00",
            "/v1/checkout_sessions/..%2F..%2Fopenapi.yaml",
            "/v1/checkout_sessions//expire",
            "/v1",
            "/v1/",
            "/openapi.yaml",
            "/",
            "/pay/cs_test_nope",
            "/pay/",
        ]
    ),
    st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="?#"),
        max_size=60,
    ).map(lambda p: "/" + p.lstrip("/")),  # never "//host": loopback only,
)
SESSION_PATHS = st.sampled_from(
    [
        "/v1/checkout_sessions/{}",
        "/v1/checkout_sessions/{}/expire",
        "/v1/test_helpers/checkout_sessions/{}/complete",
        "/pay/{}",
    ]
)
"""Paths of a session the fuzzer created earlier."""
METHODS = st.sampled_from(["POST", "POST", "POST", "GET", "GET", "PUT", "DELETE", "PATCH", "HEAD"])

DEEP_JSON = b"[" * 50_000 + b"]" * 50_000
EDGE_BODIES = st.sampled_from(
    [
        b"",
        b"{}",
        b"null",
        b"[]",
        b'"x"',
        b"{",
        b"\xff\xfe{}",
        b'{"mode": "payment", "mode": "x"}',
        DEEP_JSON,
        b'{"a": ' * 5000 + b"1" + b"}" * 5000,
        b" " * (1024 * 1024 + 1),
        json.dumps({**BASIC, "line_items": [BASIC["line_items"][0]] * 5000}).encode(),
        b"email=a%40b.co&name=x&country=us&line1=1&city=c&postal_code=1",
    ]
)


def _set_path(body: Any, path: tuple[Any, ...], value: Any) -> None:
    node = body
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


@st.composite
def near_valid_bodies(draw: st.DrawFn, max_edits: int = 2) -> bytes:
    """A valid create body with up to ``max_edits`` values replaced by any JSON."""
    body: dict[str, Any] = copy.deepcopy(BASIC)
    spots: list[tuple[Any, ...]] = [
        ("mode",),
        ("success_url",),
        ("line_items",),
        ("line_items", 0),
        ("line_items", 0, "quantity"),
        ("line_items", 0, "price"),
        ("line_items", 1, "price"),
        ("currency",),
        ("customer",),
        ("customer_email",),
        ("ui_mode",),
        ("expires_at",),
        ("metadata",),
        ("payment_intent_data",),
        ("unknown_field",),
    ]
    for _ in range(draw(st.integers(min(1, max_edits), max_edits))):
        spot = draw(st.sampled_from(spots))
        value = draw(
            FUZZ_JSON
            | st.sampled_from(
                [
                    "price_test_monthly",
                    "price_test_poster_eur",
                    "price_nope",
                    NOW + 3600,
                    NOW - 1,
                    {"currency": "eur", "product": "p", "unit_amount": 1},
                ]
            )
        )
        with contextlib.suppress(IndexError, KeyError, TypeError):
            _set_path(body, spot, value)
    return json.dumps(body).encode()


RESHAPED_FIELDS = [
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
def reshaped_bodies(draw: st.DrawFn) -> bytes:
    """A valid create body with fields removed or replaced, and maybe one odd line item."""
    body: dict[str, Any] = copy.deepcopy(BASIC)
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(RESHAPED_FIELDS))
        if draw(st.booleans()):
            body.pop(name, None)
        else:
            body[name] = draw(FUZZ_JSON)
    if draw(st.booleans()):
        price_data = st.fixed_dictionaries(
            {},
            optional={
                "currency": st.sampled_from(["usd", "EUR", "us", "???"]) | FUZZ_JSON,
                "product": FUZZ_JSON,
                "unit_amount": FUZZ_JSON,
                "recurring": FUZZ_JSON,
            },
        )
        item = st.fixed_dictionaries(
            {},
            optional={
                "quantity": FUZZ_JSON,
                "price": st.sampled_from(["price_test_tshirt", "price_test_monthly", "x"])
                | FUZZ_JSON,
                "price_data": price_data,
            },
        )
        body["line_items"] = [draw(item)]
    return json.dumps(body).encode()


BODIES = st.one_of(
    st.binary(max_size=600),
    FUZZ_JSON.map(lambda v: json.dumps(v).encode()),
    near_valid_bodies(),
    near_valid_bodies(),
    reshaped_bodies(),
    EDGE_BODIES,
)


@st.composite
def fuzz_requests(draw: st.DrawFn, session_ids: list[str]) -> dict[str, Any]:
    """One request: method, path (sometimes of a real session), raw headers and body.

    A third are well-formed creates whose body has zero to two values changed, so the
    validation, catalogue and idempotency paths are reached as often as the refusals.
    """
    if draw(st.integers(0, 2)) == 0:
        headers = [
            (b"Authorization", GOOD_AUTH.encode()),
            (b"Content-Type", b"application/json"),
            (b"Idempotency-Key", draw(KEYS | st.uuids().map(lambda u: str(u).encode()))),
        ]
        if draw(st.booleans()):
            headers.append((b"X-API-Version", draw(_header_value())))
        body = draw(near_valid_bodies(max_edits=draw(st.integers(0, 2))))
        return {
            "method": "POST",
            "url": "/v1/checkout_sessions",
            "headers": headers,
            "content": body,
        }
    headers = []
    if draw(st.integers(0, 9)) > 0:
        name = draw(st.sampled_from([b"Authorization", b"authorization", b"AUTHORIZATION"]))
        headers.append((name, draw(AUTHORIZATIONS)))
    if draw(st.integers(0, 3)) > 0:
        headers.append((b"Idempotency-Key", draw(KEYS)))
    if draw(st.integers(0, 9)) > 1:
        headers.append((b"Content-Type", draw(CONTENT_TYPES)))
    if draw(st.booleans()):
        headers.append((b"X-API-Version", draw(_header_value())))
    for _ in range(draw(st.integers(0, 2))):  # repeated or arbitrary extra headers
        name = draw(
            st.sampled_from([b"Idempotency-Key", b"Authorization", b"Content-Type", b"X-Fuzz"])
        )
        headers.append((name, draw(_header_value())))
    path = draw(PATHS)
    # Draw the same choices whatever the state, so hypothesis can replay an example.
    use_session, pick, template = draw(
        st.tuples(st.integers(0, 2), st.integers(0, 10**6), SESSION_PATHS)
    )
    if session_ids and use_session == 0:
        path = template.format(session_ids[pick % len(session_ids)])
    if draw(st.integers(0, 9)) == 0:
        path += "?" + draw(st.text(PRINTABLE.filter(lambda c: c != "#"), max_size=30))
    return {"method": draw(METHODS), "url": path, "headers": headers, "content": draw(BODIES)}


@dataclass
class FuzzOutcome:
    """What a run of fuzzed requests did to one sandbox."""

    tried: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    created: int = 0
    session_ids: list[str] = field(default_factory=list)


def check_fuzzed_response(
    request: dict[str, Any], response: httpx2.Response, outcome: FuzzOutcome
) -> None:
    """The promises every answer keeps, whatever was asked."""
    outcome.tried += 1
    outcome.statuses[response.status_code] += 1
    where = f"{request['method']} {request['url']!r} -> {response.status_code}"
    assert response.status_code < 500, f"{where}: {response.text[:500]}"
    assert response.headers["request-id"].startswith("req_"), where
    api = request["url"].startswith("/v1")
    if api and response.status_code >= 400:
        assert response.headers["content-type"] == "application/json", where
    if api and response.status_code >= 400 and request["method"] != "HEAD":  # HEAD: no body
        error = response.json()["error"]
        assert set(error) == {"type", "code", "message", "param"}, where
        assert isinstance(error["type"], str), where
        assert isinstance(error["message"], str), where
        assert error["message"], where
        assert error["param"] is None or isinstance(error["param"], str), where
    is_create = (
        request["method"] == "POST"
        and request["url"].split("?")[0] == "/v1/checkout_sessions"
        and response.status_code == 200
    )
    if is_create and response.headers.get("idempotent-replayed") != "true":
        session = CheckoutSession.model_validate_json(response.content)
        outcome.created += 1
        outcome.session_ids.append(session.id)


def http_safe(value: bytes) -> bytes:
    """A header value an HTTP/1.1 client can send: no control bytes, no edge whitespace."""
    kept = bytes(b for b in value if (0x20 <= b != 0x7F) or b == 0x09)
    return kept.strip(b" \t")


def send_fuzzed(
    client: httpx2.Client, examples: int, *, over_http: bool, budget: float | None = None
) -> FuzzOutcome:
    """Send ``examples`` fuzzed requests through ``client``, each answer checked.

    Over HTTP, header values are first made sendable (``http_safe``). The requests go in
    hypothesis runs of at most 250, so a ``budget`` (seconds) can end the whole between
    runs, or within one by sending no more, without hypothesis's data generation depending
    on the clock.
    """
    outcome = FuzzOutcome()
    deadline = None if budget is None else time.monotonic() + budget

    def out_of_time() -> bool:
        return deadline is not None and time.monotonic() > deadline

    def one_run(size: int) -> None:
        @settings(
            max_examples=size,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(data=st.data())
        def one_request(data: st.DataObject) -> None:
            request = data.draw(fuzz_requests(outcome.session_ids), label="request")
            if out_of_time():
                return
            if over_http:
                request["headers"] = [(name, http_safe(v)) for name, v in request["headers"]]
            response = client.request(**request)
            check_fuzzed_response(request, response, outcome)

        one_request()

    while outcome.tried < examples and not out_of_time():
        one_run(min(250, examples - outcome.tried))
    return outcome


def fuzz_in_process(examples: int) -> FuzzOutcome:
    """Send ``examples`` fuzzed requests to a fresh in-process sandbox."""
    with (
        Sandbox(clock=FakeClock()) as sandbox,
        httpx2.Client(transport=SandboxTransport(sandbox), base_url=IN_PROCESS_BASE_URL) as client,
    ):
        outcome = send_fuzzed(client, examples, over_http=False)
        assert sandbox.faults.state()["fail_next"] is None
        assert sandbox.session_count == outcome.created
    return outcome


def fuzz_over_http(url: str, sandbox: Sandbox, examples: int) -> FuzzOutcome:
    """Send ``examples`` fuzzed requests to ``sandbox`` served at ``url``."""
    with httpx2.Client(base_url=url, timeout=10) as client:
        outcome = send_fuzzed(client, examples, over_http=True)
    assert sandbox.faults.state()["fail_next"] is None
    assert sandbox.session_count == outcome.created
    return outcome


def fuzz_counts(outcome: FuzzOutcome) -> dict[str, int]:
    """What a fuzz run did, as tally counts."""
    return {
        "inputs_tried": outcome.tried,
        "answers_5xx": sum(n for status, n in outcome.statuses.items() if status >= 500),
        "sessions_created": outcome.created,
        **{f"status_{status}": n for status, n in sorted(outcome.statuses.items())},
    }
