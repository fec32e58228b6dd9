"""What the conformance check observes: one exchange (a request, the server's answer and
the sandbox's), and the observations made of it, each naming the sides (contract, models,
sandbox, guide) that the server's behaviour departs from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .. import CheckoutSessionCreateParams
from ._contract import Case
from ._safety import Answer

CONTRACT = "contract"
MODELS = "models"
SANDBOX = "sandbox"
GUIDE = "guide"


@dataclass(frozen=True)
class Observation:
    """One way the server differs, seen in one answer.

    ``explains`` names other entries this observation accounts for (a renamed field's new
    name), so they are not reported again.
    """

    entry: str
    kind: str
    summary: str
    evidence: str
    sides: frozenset[str]
    convention: bool = False
    explains: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.entry, self.kind)


@dataclass
class Exchange:
    """One request sent to the server and to the embedded sandbox, and both answers."""

    name: str
    body: bytes
    server: Answer
    sandbox: Answer | None
    case: Case | None = None
    observations: list[Observation] = field(default_factory=list)


def error_body(answer: Answer) -> dict[str, Any]:
    payload = answer.json()
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        error: dict[str, Any] = payload["error"]
        return error
    return {}


def describe(answer: Answer) -> str:
    """``200``, or ``400 invalid_request_error parameter_invalid at line_items[0].price``."""
    if answer.status == 200:
        return "200"
    error = error_body(answer)
    text = f"{answer.status} {error.get('type')} {error.get('code')}"
    return f"{text} at {error['param']}" if error.get("param") else text


def models_refuse(body: bytes) -> bool:
    try:
        CheckoutSessionCreateParams.model_validate_json(body)
    except ValidationError:
        return True
    return False


def refuses(entry: str, where: str, sides: set[str], convention: bool) -> Observation:
    return Observation(
        entry,
        "refuses",
        "the server refuses what the contract allows",
        where,
        frozenset(sides),
        convention,
    )


def accepts(entry: str, where: str, exchange: Exchange, convention: bool) -> Observation:
    sides = {CONTRACT} if exchange.case is not None and exchange.case.expect == "refuse" else set()
    if models_refuse(exchange.body):
        sides.add(MODELS)
    if exchange.sandbox is not None and exchange.sandbox.status != 200:
        sides.add(SANDBOX)
    summary = "the server accepts what the kit refuses"
    if convention:
        summary += " (kit convention)"
    return Observation(entry, "accepts", summary, where, frozenset(sides), convention)


def mismatch(entry: str, expected: str, got: str, where: str) -> Observation:
    sides = {SANDBOX} if entry == "error.code" else {CONTRACT, SANDBOX}
    return Observation(
        entry,
        f"{expected} -> {got}",
        f"the server answers {got} where the kit answers {expected}",
        where,
        frozenset(sides),
        convention=True,
    )
