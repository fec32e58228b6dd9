"""``leanrails conformance``: check a server against the contract, the sandbox and the guide.

Three parts share one request budget and one deadline:

- contract: the examples, the schema's rules one by one, the cross-field rules and a
  seeded sample of valid requests (:mod:`._cases`); each answer must be what the contract
  says and fit its schema;
- differential: every one of those requests also goes to the embedded sandbox, and the two
  answers must agree (:mod:`._judge`, which judges each exchange);
- guide: the kit's notebooks run against the server through a guard proxy, and their
  outputs are compared with the committed ones (:mod:`._guide`).

Everything that crosses to the server goes through :mod:`._server` (the test key only,
bounded answers, the deadline). The findings are merged by contract entry (:mod:`._report`).
"""

from __future__ import annotations

import base64
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx2

from ..sandbox import IN_PROCESS_BASE_URL, TEST_API_KEY, Sandbox, SandboxTransport
from ._cases import BASE, Case, all_cases
from ._guide import CellResult, GuideRun, kit_guide
from ._judge import CONTRACT, SANDBOX, Exchange, Judged, Observation, judge
from ._report import Findings, Report, guide_sections
from ._server import Answer, Budget, OutOfBudget, Refused, Server, check_base_url, check_key

__all__ = ["Options", "Refused", "Report", "run"]

CREATE = "/v1/checkout_sessions"


@dataclass(frozen=True)
class Options:
    """A run's settings; ``notebooks`` None runs the kit's own guide (never the folder the
    command runs in), a folder runs the notebooks the user named there."""

    base_url: str
    key: str | None
    max_requests: int = 600
    time_limit: float = 300
    samples: int = 20
    seed: int | None = None
    notebooks: Path | None = None
    guide: bool = True


def run(options: Options) -> Report:
    """Run every part against ``options.base_url``.

    Raises :class:`Refused` before any request when the key is not a test key or the URL
    could carry other credentials, and when the server cannot be reached at all.
    """
    key = check_key(options.key)
    base_url = check_base_url(options.base_url)
    seed = options.seed if options.seed is not None else random.randrange(10_000)
    budget = Budget(options.max_requests, options.time_limit)
    if options.notebooks is not None:
        notebooks = sorted(options.notebooks.glob("*.ipynb"))
    else:
        notebooks = kit_guide() or []
    findings = Findings(guide_sections(notebooks))
    counts: dict[str, str] = {}
    not_checked: list[str] = []
    server = Server(base_url, key, budget)
    with (
        Sandbox() as sandbox,
        httpx2.Client(transport=SandboxTransport(sandbox), base_url=IN_PROCESS_BASE_URL) as local,
    ):
        try:
            judged = _contract_part(all_cases(options.samples, seed), server, local)
            judged += _idempotency_part(server, local)
            for verdict in judged:
                for obs in verdict.observations:
                    findings.add(obs)
            refused = sum(1 for v in judged if v.case and v.case.expect == "refuse")
            counts["Contract"] = (
                f"{len(judged)} requests: {refused} that must be refused, "
                f"{len(judged) - refused} that must be accepted or agree with the sandbox "
                f"({options.samples} generated from the schema)"
            )
            counts["Differential"] = f"{len(judged)} of them also sent to the embedded sandbox"
            if options.guide and notebooks and budget.exhausted is None:
                helpers = _offers_helpers(server)
                guide = _guide_part(notebooks, server, local, key, budget, helpers)
                findings.add_cells(guide.cells)
                not_checked = _not_checked(guide.cells) + guide.skipped
                tally = Counter(cell.status for cell in guide.cells)
                counts["Guide"] = (
                    f"{len(notebooks)} notebooks, {len(guide.cells)} code cells: "
                    f"{tally['same']} as committed, {tally['differs']} differ, "
                    f"{tally['blocked'] + tally['not-checked']} not checked"
                    + ("" if helpers else " (the server offers no test helper to complete)")
                )
            elif not options.guide:
                counts["Guide"] = "skipped (--no-guide)"
            elif not notebooks:
                counts["Guide"] = (
                    f"skipped: no notebooks in {options.notebooks}"
                    if options.notebooks is not None
                    else "skipped: the kit's guide is not beside the package (--notebooks)"
                )
            else:
                counts["Guide"] = f"not run: {budget.exhausted}"
        except httpx2.TransportError as exc:
            raise Refused(
                f"the server at {base_url} could not be reached ({type(exc).__name__})"
            ) from None
        finally:
            server.close()
    findings.fold()
    return Report(
        base_url=base_url,
        key=key,
        findings=findings,
        requests=budget.used,
        seconds=budget.elapsed(),
        seed=seed,
        counts=counts,
        not_checked=not_checked,
        incomplete=budget.exhausted,
    )


def _headers(key: str, authenticate: bool) -> dict[str, str]:
    headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
    if authenticate:
        token = base64.b64encode(f"{TEST_API_KEY}:".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return headers


def _both(
    name: str,
    body: bytes,
    server: Server,
    local: httpx2.Client,
    *,
    key: str | None = None,
    authenticate: bool = True,
    case: Case | None = None,
) -> Exchange:
    key = key or f"conformance-{uuid.uuid4()}"
    theirs = server.send(
        "POST",
        CREATE,
        body=body,
        headers={"Idempotency-Key": key, "Content-Type": "application/json"},
        authenticate=authenticate,
    )
    mine = local.post(CREATE, content=body, headers=_headers(key, authenticate))
    return Exchange(
        name, body, theirs, Answer(mine.status_code, dict(mine.headers), mine.content), case
    )


def _contract_part(cases: list[Case], server: Server, local: httpx2.Client) -> list[Judged]:
    done: list[Judged] = []
    for case in cases:
        try:
            exchange = _both(
                case.name,
                case.wire(int(time.time())),
                server,
                local,
                authenticate=case.authenticate,
                case=case,
            )
        except OutOfBudget:
            break
        judge(exchange)
        done.append(exchange.judged())
    return done


def _idempotency_part(server: Server, local: httpx2.Client) -> list[Judged]:
    """A replayed create, and a key reused with another body."""
    body = json.dumps(BASE).encode()
    key = f"conformance-{uuid.uuid4()}"
    try:
        first = _both("Idempotency-Key: first request", body, server, local, key=key)
        again = _both("Idempotency-Key: the same request again", body, server, local, key=key)
        other = json.dumps({**BASE, "metadata": {"changed": "yes"}}).encode()
        reused = _both("Idempotency-Key: reused with another body", other, server, local, key=key)
    except OutOfBudget:
        return []
    for exchange in (first, again, reused):
        judge(exchange)
    header = again.server.headers.get("idempotent-replayed")
    same = (first.server.json() or {}) == (again.server.json() or {})
    if again.server.status == 200 and not (header == "true" and same):
        again.observations.append(
            Observation(
                "Idempotency-Key",
                "replay",
                "the server does not replay a repeated request as the kit documents",
                f"{again.name}: Idempotent-Replayed {header!r}, same body: {same}",
                frozenset({CONTRACT, SANDBOX}),
                convention=True,
            )
        )
    return [first.judged(), again.judged(), reused.judged()]


def _offers_helpers(server: Server) -> bool:
    """Whether the server completes a session with the sandbox's test helper (two requests)."""
    try:
        created = server.send("POST", CREATE, body=json.dumps(BASE).encode())
        session = created.json()
        if created.status != 200 or not isinstance(session, dict):
            return False
        path = f"/v1/test_helpers/checkout_sessions/{session.get('id')}/complete"
        return server.send("POST", path, body=b"{}").status == 200
    except OutOfBudget:
        return False


def _guide_part(
    notebooks: list[Path],
    server: Server,
    local: httpx2.Client,
    key: str,
    budget: Budget,
    helpers: bool,
) -> GuideRun:
    from ._guide import Proxy, run_guide

    with Proxy(server, local, helpers=helpers) as proxy:
        return run_guide(notebooks, proxy, key, time_left=budget.time_left)


def _not_checked(cells: list[CellResult]) -> list[str]:
    """Per notebook: the cells held back, why, and the cells that differ only after them."""
    lines = []
    for notebook in dict.fromkeys(cell.notebook for cell in cells):
        mine = [cell for cell in cells if cell.notebook == notebook]
        reasons: dict[str, list[int]] = {}
        for cell in mine:
            if cell.status == "blocked":
                why = "; ".join(sorted({d.split(": ", 1)[-1] for d in cell.detail.split("; ")}))
                reasons.setdefault(why, []).append(cell.index)
        for why, indexes in reasons.items():
            lines.append(f"{notebook} cells {_numbers(indexes)}: need {why}")
        after = [cell.index for cell in mine if cell.status == "not-checked"]
        if after:
            lines.append(f"{notebook} cells {_numbers(after)}: differ only after those")
    return lines


def _numbers(indexes: list[int]) -> str:
    return ", ".join(str(i) for i in indexes)
