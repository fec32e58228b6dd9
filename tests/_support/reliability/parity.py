"""The client against the sandbox: one input, one answer, whichever side judges it.

An input is a create's body (a JSON object) and its Idempotency-Key. It is judged

- by the client: ``checkout_sessions.build(**body, idempotency_key=key)``, every check the
  client makes before sending, and the ``param`` and ``code`` of the ``ValidationError``
  it raises;
- by the sandbox, raw: the body's JSON bytes POSTed with the key, through the in-process
  transport and through the ASGI app, and the ``error.code`` and ``error.param`` of a 400.

The verdicts must be equal: accepted by all three, or refused by all three with the same
code and param. A session the sandbox accepts must read back (``retrieve`` answers 200).
The client judging is a sandbox client, strict by default. A live client (``strict=False``)
judges too: on the reference's rules it refuses as the strict one does; on a kit convention
it sends, and its first ``ConventionWarning`` names the sandbox's param and code.

The price catalogue is the sandbox's data, which the client cannot see: each input is judged
by a fresh sandbox whose catalogue holds every price id the body names, one-time and in the
body's currency, so that what is compared is the rules, never the data.
"""

from __future__ import annotations

import base64
import json
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
from pydantic_core import to_json

import leanrails
from leanrails.sandbox import (
    IN_PROCESS_BASE_URL,
    TEST_API_KEY,
    Price,
    Sandbox,
    SandboxTransport,
    create_app,
)

Verdict = tuple[str, str | None]
"""``("accepted", None)``, or the refusal's ``(code, param)``."""

ACCEPTED: Verdict = ("accepted", None)
_AUTH = "Basic " + base64.b64encode(f"{TEST_API_KEY}:".encode()).decode()
_CALL_OPTIONS = frozenset(
    {
        "idempotency_key",
        "api_version",
        "timeout",
        "max_retries",
        "extra_headers",
        "extra_query",
        "extra_body",
    }
)
_CLIENT = leanrails.LeanRails.sandbox()
_LIVE = leanrails.LeanRails(api_key=TEST_API_KEY, base_url="http://127.0.0.1:9", strict=False)


@dataclass(frozen=True)
class Case:
    """One input: a body (any JSON object) and the Idempotency-Key sent with it."""

    body: dict[str, Any]
    key: str = "parity-key"
    raw: bytes | None = None
    """The body's bytes, when a case needs exact ones (the 1 MiB limit); else compact JSON."""

    def content(self) -> bytes:
        if self.raw is not None:
            return self.raw
        try:
            return to_json(self.body)
        except ValueError:  # a lone surrogate: JSON escapes it, UTF-8 cannot carry it
            return json.dumps(self.body).encode("ascii")


@dataclass(frozen=True)
class Judged:
    client: Verdict
    in_process: Verdict
    asgi: Verdict
    reads_back: bool
    live: Verdict = ACCEPTED
    warned: Verdict | None = None
    """The live client's first ConventionWarning, as (code, param)."""

    @property
    def agree(self) -> bool:
        if self.warned is None:
            live = self.live == self.client
        else:  # a convention: sent with a warning that names the sandbox's refusal
            live = self.live == ACCEPTED and self.warned == self.client
        return self.client == self.in_process == self.asgi and self.reads_back and live


def client_verdict(case: Case) -> Verdict | None:
    """What the client says before sending; None when the body's keys are call options."""
    if _CALL_OPTIONS & case.body.keys():
        return None
    body = case.body if case.raw is None else json.loads(case.raw)
    try:
        _CLIENT.checkout_sessions.build(**body, idempotency_key=case.key)
    except leanrails.ValidationError as exc:
        return (str(exc.code), exc.param)
    return ACCEPTED


def live_verdict(case: Case) -> tuple[Verdict, Verdict | None]:
    """What a live client (``strict=False``) says before sending, and its first warning."""
    body = case.body if case.raw is None else json.loads(case.raw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", leanrails.ConventionWarning)
        try:
            _LIVE.checkout_sessions.build(**body, idempotency_key=case.key)
        except leanrails.ValidationError as exc:
            return (str(exc.code), exc.param), None
    warned = [w.message for w in caught if isinstance(w.message, leanrails.ConventionWarning)]
    return ACCEPTED, ((warned[0].code, warned[0].param) if warned else None)


def _catalogue(body: dict[str, Any]) -> list[Price]:
    """A one-time price for every price id the body names, in the body's currency."""
    items = body.get("line_items")
    items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    currency = body.get("currency")
    if not isinstance(currency, str):
        inline = [i.get("price_data") for i in items]
        currency = next(
            (d["currency"] for d in inline if isinstance(d, dict) and "currency" in d), "usd"
        )
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isascii()):
        currency = "usd"
    if not currency.isalpha():
        currency = "usd"
    ids = {i["price"] for i in items if isinstance(i.get("price"), str)}
    return [Price(price_id, currency.lower(), 100, "prod_parity") for price_id in ids]


def _headers(case: Case) -> list[tuple[bytes, bytes]]:
    return [
        (b"Authorization", _AUTH.encode()),
        (b"Content-Type", b"application/json"),
        (b"Idempotency-Key", case.key.encode("utf-8")),
    ]


def _verdict(response: httpx2.Response) -> Verdict:
    if response.status_code == 200:
        return ACCEPTED
    error = response.json()["error"]
    return (error["code"], error["param"])


def _reads_back(response: httpx2.Response, client: httpx2.Client) -> bool:
    if response.status_code != 200:
        return True
    session_id = response.json()["id"]
    return client.get(
        f"/v1/checkout_sessions/{session_id}", headers={"Authorization": _AUTH}
    ).is_success


async def _reads_back_async(response: httpx2.Response, client: httpx2.AsyncClient) -> bool:
    if response.status_code != 200:
        return True
    session_id = response.json()["id"]
    answer = await client.get(
        f"/v1/checkout_sessions/{session_id}", headers={"Authorization": _AUTH}
    )
    return answer.is_success


async def judge(case: Case) -> Judged | None:
    """The three verdicts on ``case`` (None: not a body ``create`` can take as keywords)."""
    client = client_verdict(case)
    if client is None:
        return None
    prices = _catalogue(case.body)
    content = case.content()
    with httpx2.Client(
        transport=SandboxTransport(Sandbox(prices=prices)), base_url=IN_PROCESS_BASE_URL
    ) as http:
        answer = http.post("/v1/checkout_sessions", content=content, headers=_headers(case))
        in_process, reads_back = _verdict(answer), _reads_back(answer, http)
    transport = httpx2.ASGITransport(app=create_app(Sandbox(prices=prices)))
    async with httpx2.AsyncClient(transport=transport, base_url=IN_PROCESS_BASE_URL) as http_a:
        answer = await http_a.post("/v1/checkout_sessions", content=content, headers=_headers(case))
        asgi = _verdict(answer)
        reads_back = reads_back and await _reads_back_async(answer, http_a)
    live, warned = live_verdict(case)
    return Judged(client, in_process, asgi, reads_back, live, warned)


@dataclass
class Report:
    """What a run of the differential saw: its counts, and every disagreement."""

    counts: Counter[str]
    disagreements: list[tuple[Case, Judged]]

    async def add(self, case: Case, label: str) -> None:
        judged = await judge(case)
        if judged is None:
            self.counts["skipped_call_option_keys"] += 1
            return
        self.counts["inputs"] += 1
        self.counts[f"inputs_{label}"] += 1
        self.counts["accepted" if judged.client == ACCEPTED else "refused"] += 1
        if judged.client == ACCEPTED:
            self.counts["accepted_and_read_back"] += judged.reads_back
        elif judged.warned is None:
            self.counts["refused_reference_rules"] += 1
        else:
            self.counts["convention_warned_by_client_refused_by_sandbox"] += 1
        if not judged.agree:
            self.counts["disagreements"] += 1
            self.disagreements.append((case, judged))


def iter_lines(report: Report) -> Iterator[str]:
    """The disagreements, one line each, for an assertion message."""
    for case, judged in report.disagreements[:10]:
        body = repr(case.body)
        shown = body if len(body) < 300 else body[:300] + "…"
        yield f"{judged} key={case.key[:40]!r} body={shown}"


# -- the inputs ---------------------------------------------------------------------------

INLINE = {"currency": "usd", "product": "prod_parity", "unit_amount": 100}
BASE: dict[str, Any] = {
    "mode": "payment",
    "line_items": [{"quantity": 1, "price_data": INLINE}],
    "success_url": "https://example.com/done",
}


def _with(**changes: Any) -> dict[str, Any]:
    return {**BASE, **changes}


def _item(**price_data: Any) -> dict[str, Any]:
    return {"quantity": 1, "price_data": {**INLINE, **price_data}}


def _sized(size: int) -> Case:
    """A body of exactly ``size`` bytes of compact JSON (its product name is too long)."""
    body = _with(line_items=[_item(product="")])
    padding = size - len(to_json(body))
    body = _with(line_items=[_item(product="x" * padding)])
    assert len(to_json(body)) == size
    return Case(body)


def targeted_cases(now: int) -> Iterator[tuple[str, Case]]:
    """The cases of issue 12, labelled; ``now`` is the clock both sides read."""
    from leanrails._conventions import MAX_AMOUNT, MAX_LINE_ITEMS, MAX_QUANTITY
    from leanrails._rules import MAX_BODY_BYTES

    yield "valid", Case(BASE)
    # JSON null: not sent for an optional parameter, missing for a required one.
    optional = [
        name
        for name, field in leanrails.CheckoutSessionCreateParams.model_fields.items()
        if not field.is_required() and name != "success_url"
    ]
    for name in optional:
        yield "null", Case(_with(**{name: None}))
    yield "null", Case(_with(success_url=None))
    yield "null", Case(_with(success_url=None, ui_mode="embedded"))
    yield "null", Case(_with(mode=None))
    yield "null", Case(_with(line_items=None))
    yield "null", Case(_with(line_items=[None]))
    yield "null", Case(_with(line_items=[{"quantity": None, "price_data": INLINE}]))
    yield "null", Case(_with(line_items=[{"quantity": 1, "price": None, "price_data": INLINE}]))
    yield "null", Case(_with(line_items=[_item(currency=None)]))
    yield "null", Case(_with(line_items=[_item(tax_behavior=None, recurring=None)]))
    yield "null", Case(_with(metadata={"k": None}))
    yield "null", Case(_with(payment_intent_data={"description": None}))
    yield "null", Case(_with(colour=None))
    # One currency, with and without currency.
    two = [_item(), _item(currency="eur")]
    yield "currency", Case(_with(line_items=two))
    yield "currency", Case(_with(line_items=two, currency="usd"))
    yield "currency", Case(_with(line_items=two, currency="eur"))
    yield "currency", Case(_with(line_items=[_item(), _item(currency="USD")]))
    yield "currency", Case(_with(currency="USD"))
    yield "currency", Case(_with(currency="gbp"))
    yield "currency", Case(_with(line_items=[{"quantity": 1, "price": "price_p"}, _item()]))
    # Integer bounds: at and past each maximum, 10**20, a 4,300-digit number.
    huge = 10**4299
    for bound, path in ((MAX_AMOUNT, "unit_amount"), (MAX_QUANTITY, "quantity")):
        for value in (bound, bound + 1, 10**20, huge, -1, 0):
            if path == "quantity":
                items = [{"quantity": value, "price_data": INLINE}]
            else:
                items = [_item(unit_amount=value)]
            yield "integers", Case(_with(line_items=items))
    for value in (MAX_AMOUNT, MAX_AMOUNT + 1, 10**20, huge):
        fee = {"application_fee_amount": value}
        yield "integers", Case(_with(payment_intent_data=fee))
    most = [{"quantity": MAX_QUANTITY, "price_data": {**INLINE, "unit_amount": MAX_AMOUNT}}]
    yield "integers", Case(_with(line_items=most * MAX_LINE_ITEMS))
    # Line items and body size.
    for count in (MAX_LINE_ITEMS, MAX_LINE_ITEMS + 1):
        yield "line_items", Case(_with(line_items=[_item()] * count))
    for size in (MAX_BODY_BYTES - 1, MAX_BODY_BYTES, MAX_BODY_BYTES + 1, 2 * MAX_BODY_BYTES):
        yield "body_size", _sized(size)
    yield "body_size", Case(_with(line_items=[_item()] * 24_000))
    # Idempotency keys.
    for key in (
        " leading",
        "trailing ",
        " ",
        "in side",
        "tab\tinside",
        "\ttab-first",
        "café",
        "nul\x00",
        "bell\x07",
        "",
        "k" * 255,
        "k" * 256,
        "550e8400-e29b-41d4-a716-446655440000",
    ):
        yield "idempotency_key", Case(BASE, key=key)
    # URIs, good and bad, in both URL parameters.
    for url in (
        "myapp://checkout/done",
        "https://example.com/done?session_id={CHECKOUT_SESSION_ID}",
        "https://example.com/done/%7BCHECKOUT_SESSION_ID%7D",
        "https://[2001:db8::1]:8443/done#top",
        "urn:example:done",
        "http://localhost:8000/done",
        "https://exa mple.com/a b",
        "example.com/done",
        "/done",
        "https://example.com/100%",
        "https://example.com/done\n",
        "https://example.com/\x00",
        "https://exämple.com/done",
        "https://example.com/#a#b",
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,hi",
        "vbscript:msgbox",
        "",
        "https://example.com/" + "x" * 5000,
    ):
        yield "uri", Case(_with(success_url=url))
        yield "uri", Case(_with(cancel_url=url))
    # The same mistake, the same code and param.
    yield "rules", Case({k: v for k, v in BASE.items() if k != "success_url"})
    yield "rules", Case({k: v for k, v in BASE.items() if k != "mode"})
    yield "rules", Case(_with(succes_url="https://example.com/done"))
    yield "rules", Case(_with(expires_at=now + 3600))
    yield "rules", Case(_with(expires_at=now + 60))
    yield "rules", Case(_with(line_items=[_item(recurring={"interval": "month"})]))
    # Conventions the issue names: a live client sends them, the sandbox refuses them.
    yield (
        "conventions",
        Case(_with(line_items=[{"quantity": 1, "price": "price_p", "price_data": INLINE}])),
    )
    yield "conventions", Case(_with(metadata={"": "v"}))
    yield "conventions", Case(_with(metadata={"k" * 41: "v"}))
    yield "conventions", Case(_with(metadata={str(i): "v" for i in range(51)}))
    yield "conventions", Case(_with(metadata={"k": "v" * 501}))
    yield "conventions", Case(_with(payment_intent_data={"statement_descriptor": "x" * 23}))
    yield "conventions", Case(_with(payment_intent_data={"description": "x" * 5001}))
    yield "conventions", Case(_with(client_reference_id=""))
    for email in ('"john doe"@example.com', "a@[192.168.0.1]", "a@localhost", "jsmith@x.invalid"):
        yield "conventions", Case(_with(customer_email=email))
    yield "conventions", Case(_with(currency="eur"))


def generated_bodies(examples: int, mutations: int) -> list[dict[str, Any]]:
    """``examples`` bodies drawn from the contract (as the models-vs-contract differential
    draws them), each followed by ``mutations`` mutations of it; the same every run."""
    from hypothesis import given, seed
    from hypothesis import strategies as st

    from _support.reliability.differential import BODIES, SHORT_RUN, mutations_of

    bodies: list[dict[str, Any]] = []

    @SHORT_RUN
    @given(data=st.data())
    def draw(data: st.DataObject) -> None:
        body = data.draw(BODIES, label="body")
        bodies.append(body)
        bodies.extend(data.draw(mutations_of(body)) for _ in range(mutations))

    run = 0
    while len(bodies) < examples * (1 + mutations):
        seed(run)(draw)()
        run += 1
    return bodies[: examples * (1 + mutations)]


async def run_differential(examples: int, mutations: int, now: int) -> Report:
    """The targeted cases, then the generated ones, each judged by the three."""
    report = Report(Counter(), [])
    for label, case in targeted_cases(now):
        await report.add(case, label)
    for index, body in enumerate(generated_bodies(examples, mutations)):
        await report.add(Case(body, key=f"parity-{index}"), "generated")
    return report
