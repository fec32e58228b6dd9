"""The reference page's examples, made by running the kit against an in-process sandbox.

Nothing here is typed by hand: the Python, JavaScript and curl samples are generated from one
request description (:data:`REQUEST`; the curl by :func:`leanrails.to_curl`), each runs as
printed against ``make sandbox`` (``tests/test_docs_samples.py`` runs them from the built
page), the response is the sandbox's body to that request, and each row of the error table is
a real request and the error it got back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx2

SANDBOX_URL = "http://127.0.0.1:12111"
"""Where ``make sandbox`` serves: each sample's base URL when ``LEANRAILS_BASE_URL`` is unset."""

REQUEST: dict[str, Any] = {
    "mode": "payment",
    "line_items": [
        {"price": "price_test_tshirt", "quantity": 2},
        {
            "price_data": {"currency": "usd", "product": "prod_stickers", "unit_amount": 350},
            "quantity": 1,
        },
    ],
    "success_url": "https://example.com/success",
    "cancel_url": "https://example.com/cart",
    "customer_email": "jenny@example.com",
    "metadata": {"order_id": "6735"},
}
"""The one request description every sample on the page is generated from."""


PYTHON_WIDTH = 50
"""The Python sample's longest line: it fits the code panel beside the fields at 1440 px,
which wraps a longer line at its spaces (to column 0, losing its indentation)."""


def _python_value(value: Any, indent: int) -> str:
    """``value`` as Python source, one item a line when it holds a container or would make
    the line longer than :data:`PYTHON_WIDTH` (black's style)."""
    pad, inner = "    " * indent, "    " * (indent + 1)
    if isinstance(value, dict) and value:
        nested = any(isinstance(v, dict | list) for v in value.values())
        items = [f"{json.dumps(k)}: {_python_value(v, indent + 1)}" for k, v in value.items()]
        if not nested and len(inner) + sum(len(i) + 2 for i in items) <= PYTHON_WIDTH:
            return "{" + ", ".join(items) + "}"
        return "{\n" + "".join(f"{inner}{i},\n" for i in items) + pad + "}"
    if isinstance(value, list) and value:
        items = [_python_value(v, indent + 1) for v in value]
        return "[\n" + "".join(f"{inner}{i},\n" for i in items) + pad + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def python_sample(request: Mapping[str, Any]) -> str:
    """``request`` as a Python script: the kit's client, its key and base URL from the env."""
    arguments = "".join(f"    {k}={_python_value(v, 1)},\n" for k, v in request.items())
    return (
        "import os\n\n"
        "from leanrails import LeanRails\n\n"
        "# The key comes from LEANRAILS_API_KEY, and each\n"
        "# create sends a new Idempotency-Key.\n"
        f'base_url = os.environ.get(\n    "LEANRAILS_BASE_URL",\n    "{SANDBOX_URL}",\n)\n'
        "client = LeanRails(base_url=base_url)\n"
        f"session = client.checkout_sessions.create(\n{arguments})\n"
        "print(session.id, session.url)\n"
    )


def javascript_sample(request: Mapping[str, Any]) -> str:
    """``request`` as an ES module for Node 18+ (its built-in ``fetch``), nothing installed."""
    body = json.dumps(dict(request), indent=2, ensure_ascii=False).replace("\n", "\n  ")
    return (
        "// create-session.mjs: run with node create-session.mjs (Node 18 or later),\n"
        "// with LEANRAILS_API_KEY (and LEANRAILS_BASE_URL) set.\n"
        f'const baseUrl = process.env.LEANRAILS_BASE_URL ?? "{SANDBOX_URL}";\n'
        'const key = Buffer.from(`${process.env.LEANRAILS_API_KEY}:`).toString("base64");\n'
        "const response = await fetch(`${baseUrl}/v1/checkout_sessions`, {\n"
        '  method: "POST",\n'
        "  headers: {\n"
        "    Authorization: `Basic ${key}`,\n"
        '    "Content-Type": "application/json",\n'
        '    "Idempotency-Key": crypto.randomUUID(), // a new one each run\n'
        "  },\n"
        f"  body: JSON.stringify({body}),\n"
        "});\n"
        "const session = await response.json();\n"
        "if (!response.ok) throw new Error(`${response.status}: ${session.error.message}`);\n"
        "console.log(session.id, session.url);\n"
    )


def curl_sample(request: Mapping[str, Any]) -> str:
    """``request`` as :func:`leanrails.to_curl` prints it (key and base URL from the env)."""
    from leanrails import LeanRails, to_curl
    from leanrails.sandbox import TEST_API_KEY

    with LeanRails(api_key=TEST_API_KEY, base_url=SANDBOX_URL) as client:
        return to_curl(client.checkout_sessions.build(**request))


@dataclass(frozen=True)
class RequestExample:
    """One request in each language, and the response JSON the sandbox gave it."""

    python: str
    javascript: str
    curl: str
    response: str

    def samples(self) -> dict[str, str]:
        """Each language's sample by the name its tab shows."""
        return {"Python": self.python, "JavaScript": self.javascript, "curl": self.curl}


@dataclass(frozen=True)
class ErrorExample:
    """What the sandbox answered to one bad request."""

    case: str
    status: int
    type: str
    code: str
    param: str
    message: str
    body: str = ""
    """The whole response body, as the sandbox sent it (pretty-printed)."""


def request_example(request: Mapping[str, Any] = REQUEST) -> RequestExample:
    """The samples of ``request``, and the body a fresh sandbox answers it with."""
    from leanrails import LeanRails

    with LeanRails.sandbox() as client:
        session = client.checkout_sessions.create(**request)
        # The body as the wire carries it, not re-serialized by the response model.
        raw = client.checkout_sessions.with_raw_response.retrieve(session.id)
        response = json.dumps(raw.http_response.json(), indent=2, ensure_ascii=False)
    return RequestExample(
        python=python_sample(request),
        javascript=javascript_sample(request),
        curl=curl_sample(request),
        response=response,
    )


_VALID: dict[str, Any] = {
    "mode": "payment",
    "line_items": [{"price": "price_test_tshirt", "quantity": 1}],
    "success_url": "https://example.com/success",
}

Send = Callable[[httpx2.Client], httpx2.Response]


def _create(
    body: Mapping[str, Any], key: str, headers: Mapping[str, str] = {}, **options: Any
) -> Send:
    def send(client: httpx2.Client) -> httpx2.Response:
        sent = {"Idempotency-Key": key, **headers}
        return client.post("/v1/checkout_sessions", json=dict(body), headers=sent, **options)

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
    (
        "The body is compressed (Content-Encoding)",
        _create(_VALID, "e", headers={"Content-Encoding": "gzip"}),
    ),
    ("The key may not do this (injected)", _after_fault(403)),
    ("The Idempotency-Key's first request is still running (injected)", _after_fault(409)),
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
                    body=json.dumps(response.json(), indent=2, ensure_ascii=False),
                )
            )
    return out
