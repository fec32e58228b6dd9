"""Benchmarks 2, 2b and 2s: the client's overhead over a bare ``httpx2.Client.post``.

- **2**: ``client.checkout_sessions.create(**body)`` through an ``httpx2.MockTransport``
  that answers a canned session, against ``httpx2.Client.post`` of the same JSON through
  the same transport (with the same headers: Basic auth and a fresh UUID4
  ``Idempotency-Key``). The ratio is the whole price of the kit per call: validating the
  request, building it, and validating the response into a ``CheckoutSession``.
- **2b**: the same two calls against the sandbox served by uvicorn over loopback (in its
  own process), where the network stack and the server's work dilute the client's share.
- **2s**: ``create()`` through ``LeanRails.sandbox(serve=True)`` (uvicorn in a thread of the
  caller's process, one kept-alive connection) against 2b's ``create()`` to the sandbox's own
  process: what serving in-process costs. A Nagle stall (no ``TCP_NODELAY`` on the server's
  connections) made it 44 ms a call, about 60x.

**2** repeats one request (the client's cache of email syntax checks is warm); **2c** and
**2b** give every call a new customer email (the cache never hits). Both sides of a row
send the same bodies in the same order.

Row 2's baseline is the call a user would write without the kit: ``.post(json=...)`` and
``response.json()`` (issue 23: at most 1.0x); ``details.ratio_against_post`` gives the
ratio to the bare ``.post()`` too. Row 2c's baseline is the bare ``.post()`` (at most 1.3x),
with ``details.ratio_against_post_with_json`` beside it.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import httpx2

from leanrails import LeanRails
from leanrails.sandbox import TEST_API_KEY

from ._payloads import (
    BASIC_AUTH,
    CANNED_SESSION_JSON,
    TYPICAL_BODY,
    customers_label,
    with_new_customers,
)
from ._report import Row, timed_row
from ._servers import serving
from ._timing import compare

TARGET_MOCK = 1.0
"""Row 2, against the post with its response parsed (``.json()``)."""
TARGET_MOCK_NEW_CUSTOMERS = 1.3
"""Row 2c, against the bare post."""
TARGET_LOOPBACK = 1.15
TARGET_SERVED = 2.0
"""Row 2s: the client and the server share one process and its GIL, so the two calls'
work adds up instead of overlapping; within 2x of the separate process."""
API = "https://api.leanrails.com"
PATH = "/v1/checkout_sessions"


def _canned(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(
        200,
        content=CANNED_SESSION_JSON,
        headers={"Content-Type": "application/json", "Request-Id": "req_bench"},
    )


def _bodies(new_customers: bool) -> tuple[Iterator[dict[str, Any]], Iterator[dict[str, Any]]]:
    bodies = with_new_customers() if new_customers else [TYPICAL_BODY]
    return itertools.cycle(bodies), itertools.cycle(bodies)


def _bare_post(http: httpx2.Client, url: str, body: dict[str, Any]) -> httpx2.Response:
    response = http.post(
        url,
        json=body,
        headers={"Authorization": BASIC_AUTH, "Idempotency-Key": str(uuid.uuid4())},
    )
    response.raise_for_status()
    return response


class MockSetup:
    """Both sides wired to one MockTransport; close() when done."""

    def __init__(self, *, new_customers: bool) -> None:
        transport = httpx2.MockTransport(_canned)
        self.kit_http = httpx2.Client(transport=transport)
        self.client = LeanRails(api_key=TEST_API_KEY, base_url=API, http_client=self.kit_http)
        self.http = httpx2.Client(transport=transport)
        self.kit_bodies, self.bare_bodies = _bodies(new_customers)

    def create(self) -> object:
        return self.client.checkout_sessions.create(**next(self.kit_bodies))

    def post(self) -> object:
        return _bare_post(self.http, API + PATH, next(self.bare_bodies))

    def post_and_parse(self) -> object:
        return _bare_post(self.http, API + PATH, next(self.bare_bodies)).json()

    def close(self) -> None:
        self.kit_http.close()
        self.http.close()


def run_mock(*, batches: int, new_customers: bool = False) -> Row:
    """Row 2 compares ``create()`` with the call a user would write without the kit, the
    post with its response parsed (issue 23: at most 1.0x); 2c still with the bare post."""
    setup = MockSetup(new_customers=new_customers)
    main, other = (setup.post, setup.post_and_parse)
    if not new_customers:
        main, other = other, main
    try:
        result = compare(setup.create, main, batches=batches)
        aside = compare(setup.create, other, batches=max(6, batches // 3))
    finally:
        setup.close()
    if new_customers:
        details = {
            "baseline_with_json_s": aside.baseline,
            "ratio_against_post_with_json": aside.ratio,
        }
    else:
        details = {"baseline_without_json_s": aside.baseline, "ratio_against_post": aside.ratio}
    return timed_row(
        "2c" if new_customers else "2",
        "client create() through a canned MockTransport" + customers_label(new_customers),
        result,
        baseline="httpx2.Client.post" if new_customers else "httpx2.Client.post + .json()",
        limit=TARGET_MOCK_NEW_CUSTOMERS if new_customers else TARGET_MOCK,
        beside=" (stripe/openai: 3.0-3.5x)",
        details=details,
    )


def run_loopback(*, batches: int) -> Row:
    with (
        serving("sandbox") as server,
        LeanRails(api_key=TEST_API_KEY, base_url=server.url, max_retries=0) as client,
        httpx2.Client() as http,
    ):
        url = server.url + PATH
        kit_bodies, bare_bodies = _bodies(new_customers=True)

        def create() -> object:
            return client.checkout_sessions.create(**next(kit_bodies))

        def post() -> object:
            return _bare_post(http, url, next(bare_bodies))

        result = compare(create, post, batches=batches, batch_seconds=0.1)
    return timed_row(
        "2b",
        "client create() to the sandbox over loopback (uvicorn), new customers",
        result,
        baseline="httpx2.Client.post",
        limit=TARGET_LOOPBACK,
        beside=" (stripe/openai: 1.5-1.9x)",
    )


def run_served(*, batches: int) -> Row:
    with (
        serving("sandbox") as server,
        LeanRails(api_key=TEST_API_KEY, base_url=server.url, max_retries=0) as apart,
        LeanRails.sandbox(serve=True, max_retries=0) as served,
    ):
        served_bodies, apart_bodies = _bodies(new_customers=True)

        def create_served() -> object:
            return served.checkout_sessions.create(**next(served_bodies))

        def create_apart() -> object:
            return apart.checkout_sessions.create(**next(apart_bodies))

        result = compare(create_served, create_apart, batches=batches, batch_seconds=0.1)
    return timed_row(
        "2s",
        "client create() through LeanRails.sandbox(serve=True), new customers",
        result,
        baseline="create() to the sandbox's own process, 2b",
        limit=TARGET_SERVED,
    )


def profile_target(new_customers: bool) -> None:
    setup = MockSetup(new_customers=new_customers)
    try:
        for _ in range(2000):
            setup.create()
    finally:
        setup.close()
