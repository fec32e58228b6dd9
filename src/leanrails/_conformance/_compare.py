"""Judging one request: the server's answer against the contract, and against the sandbox's.

Each check yields :class:`Observation` values keyed by contract entry and kind, so that the
same drift seen by several requests, or by both parts, becomes one finding. For one answer
at most one observation is kept per entry, the most telling first: a renamed field, then a
broken schema rule, then anything else.
"""

from __future__ import annotations

from ._answer_shape import shape
from ._contract import Case, entry_of
from ._differential import differential
from ._observations import (
    CONTRACT,
    MODELS,
    SANDBOX,
    Exchange,
    Observation,
    accepts,
    describe,
    error_body,
    mismatch,
    models_refuse,
    refuses,
)


def judge(exchange: Exchange) -> list[Observation]:
    """Every observation for one exchange, at most one per entry."""
    found: list[Observation] = []
    if exchange.case is not None:
        found += _expectation(exchange.case, exchange)
    found += shape(exchange.server, exchange.name)
    if exchange.sandbox is not None:
        found += differential(exchange)
    kept: dict[tuple[str, str], Observation] = {}
    covered: set[str] = set()
    ranks = {"renamed": 0, "schema": 1}
    for obs in sorted(found, key=lambda o: ranks.get(o.kind, 2)):
        if obs.key in kept or obs.entry in covered:
            continue
        kept[obs.key] = obs
        covered.add(obs.entry)
        covered.update(obs.explains)
    exchange.observations = list(kept.values())
    return exchange.observations


def _expectation(case: Case, exchange: Exchange) -> list[Observation]:
    """What the contract says must happen to ``case``, against what the server did."""
    server, sandbox = exchange.server, exchange.sandbox
    error = error_body(server)
    where = f"{case.name}: the server answered {describe(server)}"
    if sandbox is not None:
        where += f", the sandbox {describe(sandbox)}"
    if case.expect == "accept" and server.status != 200:
        entry = case.entry if case.entry != "request" else entry_of(error.get("param"))
        sides = {CONTRACT}
        if not models_refuse(exchange.body):
            sides.add(MODELS)
        if sandbox is not None and sandbox.status == 200:
            sides.add(SANDBOX)
        return [refuses(entry, where, sides, case.convention)]
    if case.expect != "refuse":
        return []
    if server.status == 200:
        return [accepts(case.entry, where, exchange, case.convention)]
    found: list[Observation] = []
    if server.status != case.status:
        found.append(mismatch("HTTP status", str(case.status), str(server.status), where))
    if error.get("type") != case.error_type:
        found.append(mismatch("error.type", case.error_type, str(error.get("type")), where))
    param = error.get("param")
    if case.param is not None and not (
        param == case.param or (case.param_prefix and str(param).startswith(case.param))
    ):
        found.append(
            Observation(
                case.entry,
                "param",
                f"the server names another param than {case.param}",
                f"{where} (param {param!r})",
                frozenset({CONTRACT, SANDBOX}),
                case.convention,
            )
        )
    return found
