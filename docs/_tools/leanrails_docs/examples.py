"""The reference page's examples, made by running the kit against an in-process sandbox.

Nothing here is typed by hand: the Python tab is source that :func:`request_example` executes,
the curl tab is :func:`leanrails.to_curl` of the same request, the response is the sandbox's
body, and each row of the error table is a real request and the error it got back.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx2

PYTHON = """\
from leanrails import LeanRails

# The sandbox; LeanRails() calls the API with LEANRAILS_API_KEY.
client = LeanRails.sandbox()
session = client.checkout_sessions.create(
    mode="payment",
    line_items=[
        {"price": "price_test_tshirt", "quantity": 2},
        {
            "price_data": {
                "currency": "usd",
                "product": "prod_stickers",
                "unit_amount": 350,
            },
            "quantity": 1,
        },
    ],
    success_url="https://example.com/success",
    cancel_url="https://example.com/cart",
    customer_email="jenny@example.com",
    metadata={"order_id": "6735"},
)
print(session.url)
"""


@dataclass(frozen=True)
class RequestExample:
    """One request in Python and curl, and the response JSON it got."""

    python: str
    curl: str
    response: str


@dataclass(frozen=True)
class ErrorExample:
    """What the sandbox answered to one bad request."""

    case: str
    status: int
    type: str
    code: str
    param: str
    message: str


def request_example() -> RequestExample:
    """Run :data:`PYTHON` against a fresh sandbox; the curl is the same call's request."""
    from leanrails import LeanRails, to_curl
    from leanrails.sandbox import TEST_API_KEY

    namespace: dict[str, Any] = {"print": lambda *args: None}
    exec(compile(PYTHON, "<reference example>", "exec"), namespace)
    with namespace["client"] as client:
        # The body as the wire carries it, not re-serialized by the response model.
        raw = client.checkout_sessions.with_raw_response.retrieve(namespace["session"].id)
        response = json.dumps(raw.http_response.json(), indent=2, ensure_ascii=False)
    with LeanRails(api_key=TEST_API_KEY) as live:
        request = live.checkout_sessions.build(**_create_arguments())
    return RequestExample(python=PYTHON, curl=to_curl(request), response=response)


def _create_arguments() -> dict[str, Any]:
    """The keyword arguments that :data:`PYTHON` gives ``create``, read from its source."""
    for node in ast.walk(ast.parse(PYTHON)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "create":
            return {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
    raise AssertionError("the example makes no create call")


_VALID: dict[str, Any] = {
    "mode": "payment",
    "line_items": [{"price": "price_test_tshirt", "quantity": 1}],
    "success_url": "https://example.com/success",
}

Send = Callable[[httpx2.Client], httpx2.Response]


def _create(body: Mapping[str, Any], key: str, **options: Any) -> Send:
    def send(client: httpx2.Client) -> httpx2.Response:
        headers = {"Idempotency-Key": key}
        return client.post("/v1/checkout_sessions", json=dict(body), headers=headers, **options)

    return send


def _after_fault(status: int) -> Send:
    def send(client: httpx2.Client) -> httpx2.Response:
        fault = {"fail_next": {"count": 1, "status": status}}
        headers = {"Idempotency-Key": f"fault-{status}"}
        client.post("/v1/test_helpers/faults", json=fault, headers=headers).raise_for_status()
        return _create(_VALID, f"faulted-{status}")(client)

    return send


def _reused_key(client: httpx2.Client) -> httpx2.Response:
    _create(_VALID, "reused")(client).raise_for_status()
    return _create({**_VALID, "metadata": {"order_id": "2"}}, "reused")(client)


ERROR_CASES: tuple[tuple[str, Send], ...] = (
    (
        "A value breaks a rule",
        _create({**_VALID, "line_items": [{"price": "price_test_tshirt", "quantity": 0}]}, "a"),
    ),
    ("A required parameter is missing", _create({"mode": "payment"}, "b")),
    (
        "An ID names nothing",
        _create({**_VALID, "line_items": [{"price": "price_nope", "quantity": 1}]}, "c"),
    ),
    ("The key is not a test key", _create(_VALID, "d", auth=("pk_live_publishable", ""))),
    ("An Idempotency-Key reused with another body", _reused_key),
    ("The key may not do this (injected)", _after_fault(403)),
    ("Too many requests (injected)", _after_fault(429)),
    ("The server failed (injected)", _after_fault(500)),
    ("The server is unavailable (injected)", _after_fault(503)),
)


def error_examples() -> list[ErrorExample]:
    """Each of :data:`ERROR_CASES` sent over HTTP to a fresh in-process sandbox."""
    from leanrails.sandbox import IN_PROCESS_BASE_URL, TEST_API_KEY, Sandbox, SandboxTransport

    out: list[ErrorExample] = []
    with httpx2.Client(
        transport=SandboxTransport(Sandbox()),
        base_url=IN_PROCESS_BASE_URL,
        auth=(TEST_API_KEY, ""),
    ) as client:
        for case, send in ERROR_CASES:
            response = send(client)
            error = response.json()["error"]
            out.append(
                ErrorExample(
                    case=case,
                    status=response.status_code,
                    type=error["type"],
                    code=error.get("code") or "",
                    param=error.get("param") or "",
                    message=error["message"],
                )
            )
    return out
