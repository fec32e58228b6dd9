"""Judging one request: the server's answer against the contract, and against the sandbox's.

Each check yields :class:`Observation` values keyed by contract entry and kind, so that the
same drift seen by several requests, or by both parts, becomes one finding. For one answer
at most one observation is kept per entry, the most telling first: a renamed field, then a
broken schema rule, then anything else.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from .. import CheckoutSession
from ._answer_shape import shape
from ._contract import Case, entry_of
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
        found += _differential(exchange)
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


# -- the differential part: the server's answer against the sandbox's ------------------


def _differential(exchange: Exchange) -> list[Observation]:
    server, sandbox = exchange.server, exchange.sandbox
    assert sandbox is not None
    case = exchange.case
    entry = case.entry if case is not None else "request"
    convention = case.convention if case is not None else False
    where = (
        f"{exchange.name}: the server answered {describe(server)}, the sandbox {describe(sandbox)}"
    )
    mine, theirs = error_body(sandbox), error_body(server)
    if server.status == 200 and sandbox.status != 200:
        if entry == "request":
            entry = entry_of(mine.get("param"))
        return [accepts(entry, where, exchange, convention)]
    if server.status != 200 and sandbox.status == 200:
        if entry == "request":
            entry = entry_of(theirs.get("param"))
        sides = {SANDBOX} | ({CONTRACT} if case and case.expect == "accept" else set())
        return [refuses(entry, where, sides, convention)]
    if server.status != 200:
        found = []
        if server.status != sandbox.status:
            found.append(mismatch("HTTP status", str(sandbox.status), str(server.status), where))
        for name in ("type", "code"):
            if theirs.get(name) != mine.get(name):
                found.append(
                    mismatch(f"error.{name}", str(mine.get(name)), str(theirs.get(name)), where)
                )
        if theirs.get("param") != mine.get("param"):
            found.append(
                Observation(
                    entry if entry != "request" else entry_of(mine.get("param")),
                    "param",
                    f"the server names another param than {mine.get('param')}",
                    f"{where} (param {theirs.get('param')!r})",
                    frozenset({CONTRACT, SANDBOX}),
                    convention,
                )
            )
        return found
    ours, got = sandbox.json(), server.json()
    if not isinstance(ours, dict) or not isinstance(got, dict):
        return []
    sent = _sent(exchange.body)
    return _fields(got, ours, sent, "response.", exchange.name)


def _sent(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_ID_FIELDS = {"id", "payment_intent", "client_secret"}


def _shape_of(value: Any) -> Any:
    """A volatile value's shape: ids keep their prefix, random parts become ``*``."""
    if isinstance(value, str):
        return re.sub(r"[A-Za-z0-9]{12,}", "*", value)
    return type(value).__name__


def _same(
    name: str,
    got: Any,
    ours: Any,
    server: dict[str, Any],
    sandbox: dict[str, Any],
    sent: dict[str, Any],
) -> bool:
    if name in _ID_FIELDS:
        return bool(_shape_of(got) == _shape_of(ours))
    if name == "created":
        return type(got) is type(ours)
    if name == "url":
        return (got is None) == (ours is None) and (
            got is None or urlsplit(str(got)).scheme in ("http", "https")
        )
    if name == "expires_at":
        if "expires_at" in sent:
            return bool(got == ours == sent["expires_at"])
        try:
            return bool(abs((got - server["created"]) - (ours - sandbox["created"])) <= 5)
        except TypeError:
            return False
    return bool(got == ours)


def _fields(
    server: dict[str, Any], sandbox: dict[str, Any], sent: dict[str, Any], prefix: str, name: str
) -> list[Observation]:
    found: list[Observation] = []
    missing = [k for k in sandbox if k not in server]
    extra = [k for k in server if k not in sandbox]
    renamed: dict[str, str] = {}
    for old in missing:
        for new in extra:
            if new not in renamed.values() and server[new] == sandbox[old]:
                renamed[old] = new
                break
    model_fields = set(CheckoutSession.model_fields) if prefix == "response." else set()
    for old, new in renamed.items():
        found.append(
            Observation(
                prefix + old,
                "renamed",
                f"the server returns {old} as {new}",
                f"{name}: {new}={server[new]!r}, no {old}",
                frozenset({CONTRACT, MODELS, SANDBOX}),
                explains=(prefix + new,),
            )
        )
    for old in missing:
        if old not in renamed:
            found.append(
                Observation(
                    prefix + old,
                    "missing",
                    f"the server does not return {old}, which the kit documents",
                    f"{name}: the sandbox returns {old}={sandbox[old]!r}",
                    frozenset({CONTRACT, MODELS, SANDBOX}),
                )
            )
    for new in extra:
        if new not in renamed.values():
            found.append(
                Observation(
                    prefix + new,
                    "undocumented",
                    f"the server returns {new}, a field the contract does not document",
                    f"{name}: {new}={server[new]!r}",
                    frozenset(
                        {CONTRACT, SANDBOX} | ({MODELS} if new not in model_fields else set())
                    ),
                )
            )
    for key in sandbox:
        if key not in server:
            continue
        got, ours = server[key], sandbox[key]
        if isinstance(got, dict) and isinstance(ours, dict):
            inner = sent.get(key)
            found += _fields(
                got,
                ours,
                inner if isinstance(inner, dict) else {},
                f"{prefix}{key}.",
                name,
            )
        elif not _same(key, got, ours, server, sandbox, sent):
            found.append(
                Observation(
                    prefix + key,
                    "value",
                    f"the server's {key} differs from the sandbox's",
                    f"{name}: server {got!r}, sandbox {ours!r}",
                    frozenset({SANDBOX}),
                )
            )
    return found
