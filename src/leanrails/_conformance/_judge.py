"""Judging one exchange: the server's answer against the contract, and against the sandbox's.

An :class:`Exchange` is one request sent to the server and to the embedded sandbox, and both
answers. Each check yields :class:`Observation` values keyed by contract entry and kind, each
naming the sides (contract, models, sandbox, guide) that the server departs from, so that the
same drift seen by several requests, or by both parts, becomes one finding. For one answer at
most one observation is kept per entry, the most telling first: a renamed field, then a
broken schema rule, then anything else.

Every answer is judged for its shape too: a ``Request-Id`` of the documented form, and a body
that fits the contract's response or error schema (and the models). Whatever the server
wrote is untrusted text: an observation keeps it only through :func:`._server.plain`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from pydantic import ValidationError

from .. import CheckoutSession, CheckoutSessionCreateParams
from .._contract import component
from ._cases import Case, entry_of
from ._server import MAX_ANSWER, Answer, plain

KEPT_PER_ANSWER = 20
"""Schema breaks, and undocumented fields of each object, reported per answer: a server can
answer with 100,000 of them, each a finding held until the report (one run reached 16 GB and
wrote a 1.7 GB report). Past this, one finding says how many there were."""

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

    def __post_init__(self) -> None:
        for name in ("entry", "kind", "summary", "evidence"):
            object.__setattr__(self, name, plain(getattr(self, name)))

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

    def judged(self) -> Judged:
        """What is kept once judged (:func:`judge`): its case and its findings."""
        return Judged(self.case, self.observations)


class Judged(NamedTuple):
    """A judged exchange: its case and its findings. Not its answers: the server's is up to
    MAX_ANSWER (1 MiB) long, and a run sends hundreds, all judged before it reports."""

    case: Case | None
    observations: list[Observation]


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
    summary = (
        "the server differs from the kit's convention: it refuses what the sandbox accepts"
        if convention
        else "the server refuses what the contract allows"
    )
    return Observation(
        entry,
        "refuses",
        summary,
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
    summary = (
        "the server differs from the kit's convention: it accepts what the sandbox refuses"
        if convention
        else "the server accepts what the kit refuses"
    )
    return Observation(entry, "accepts", summary, where, frozenset(sides), convention)


def mismatch(entry: str, expected: str, got: str, where: str) -> Observation:
    sides = {SANDBOX} if entry == "error.code" else {CONTRACT, SANDBOX}
    return Observation(
        entry,
        f"{expected} -> {got}",
        f"the server differs from the kit's convention: it answers {got} where the sandbox "
        f"answers {expected}",
        where,
        frozenset(sides),
        convention=True,
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
    undocumented = [new for new in extra if new not in renamed.values()]
    if len(undocumented) > KEPT_PER_ANSWER:
        found.append(
            Observation(
                prefix.rstrip("."),
                "undocumented-overflow",
                f"the server returns more than {KEPT_PER_ANSWER} fields the contract does not "
                f"document in one object: the first {KEPT_PER_ANSWER} of each are reported",
                f"{name}: {len(undocumented)} fields",
                frozenset({CONTRACT, SANDBOX}),
            )
        )
    for new in undocumented[:KEPT_PER_ANSWER]:
        found.append(
            Observation(
                prefix + new,
                "undocumented",
                f"the server returns {new}, a field the contract does not document",
                f"{name}: {new}={server[new]!r}",
                frozenset({CONTRACT, SANDBOX} | ({MODELS} if new not in model_fields else set())),
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


# -- the shape of every answer ------------------------------------------------------------


@dataclass(frozen=True)
class SchemaError:
    """Where a value breaks its schema, and which keyword it breaks."""

    path: tuple[str, ...]
    keyword: str
    value: Any
    message: str


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def _is(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, _JSON_TYPES[kind])


def schema_errors(
    value: Any, schema: dict[str, Any], path: tuple[str, ...] = ()
) -> list[SchemaError]:
    """The ways ``value`` breaks ``schema``: the keywords the response schemas use.

    (type, enum, required, properties, additionalProperties, anyOf; formats are not
    checked, as JSON Schema's default.)
    """
    if "anyOf" in schema:
        options = [schema_errors(value, option, path) for option in schema["anyOf"]]
        if all(options):
            return min(options, key=len)
        return []
    declared = schema.get("type")
    if declared is not None:
        kinds = [declared] if isinstance(declared, str) else list(declared)
        if not any(_is(value, kind) for kind in kinds):
            return [SchemaError(path, "type", value, f"{value!r} is not of type {kinds}")]
    if "enum" in schema and value not in schema["enum"]:
        return [SchemaError(path, "enum", value, f"{value!r} is not one of {schema['enum']}")]
    if not isinstance(value, dict):
        return []
    found = [
        SchemaError((*path, name), "required", None, f"{name!r} is a required property")
        for name in schema.get("required", [])
        if name not in value
    ]
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            found += schema_errors(item, properties[name], (*path, name))
        elif isinstance(extra, dict):
            found += schema_errors(item, extra, (*path, name))
    return found


def shape(answer: Answer, name: str) -> list[Observation]:
    found: list[Observation] = []
    if answer.too_large:
        found.append(
            Observation(
                "response" if answer.status == 200 else "error",
                "too-large",
                f"the server's answer is larger than {MAX_ANSWER} bytes: conformance read no "
                "further",
                f"{name}: HTTP {answer.status}",
                frozenset({CONTRACT, SANDBOX}),
            )
        )
        return found
    request_id = answer.headers.get("request-id", "")
    if not re.match(r"^req_", request_id):
        found.append(
            Observation(
                "Request-Id",
                "header",
                "the server sends no Request-Id header of the documented form (req_...)",
                f"{name}: Request-Id {request_id!r}",
                frozenset({CONTRACT, SANDBOX}),
                convention=True,
            )
        )
    payload = answer.json()
    if answer.status == 200:
        schema, prefix = "CheckoutSession", "response."
    else:
        schema, prefix = "ErrorResponse", "error."
    if not isinstance(payload, dict):
        found.append(
            Observation(
                "response" if answer.status == 200 else "error",
                "not-json",
                "the server's answer is not a JSON object",
                f"{name}: HTTP {answer.status}, {answer.body[:80]!r}",
                frozenset({CONTRACT, MODELS, SANDBOX}),
            )
        )
        return found
    model_errors = _model_errors(payload) if answer.status == 200 else set()
    errors = schema_errors(payload, component(schema))
    if len(errors) > KEPT_PER_ANSWER:
        found.append(
            Observation(
                prefix.rstrip("."),
                "schema-overflow",
                f"the server's answer breaks the contract's schema in more than "
                f"{KEPT_PER_ANSWER} places: the first {KEPT_PER_ANSWER} of each answer "
                "are reported",
                f"{name}: {len(errors)} places",
                frozenset({CONTRACT, SANDBOX}),
            )
        )
    for error in errors[:KEPT_PER_ANSWER]:
        path = list(error.path)
        if schema == "ErrorResponse" and path[:1] == ["error"]:
            path = path[1:]
        entry = prefix + ".".join(path) if path else prefix.rstrip(".")
        sides = {CONTRACT, SANDBOX}
        # The models read an unknown enumeration value (with a warning) but do not type it.
        if error.keyword == "enum" or (path and path[0] in model_errors):
            sides.add(MODELS)
        found.append(
            Observation(
                entry,
                "schema",
                _schema_summary(error.keyword, entry, error.value, error.message),
                f"{name}: {error.message[:200]}",
                frozenset(sides),
            )
        )
    return found


def _schema_summary(validator: Any, entry: str, value: Any, message: str) -> str:
    if validator == "enum":
        return f"the server returns {entry} {value!r}, a value the contract does not list"
    if validator == "required":
        return f"the server leaves out {entry}, which the contract requires"
    if validator == "type":
        return f"the server returns {entry} as {type(value).__name__}: {message[:120]}"
    return f"{entry} breaks the contract's schema: {message[:160]}"


def _model_errors(payload: dict[str, Any]) -> set[str]:
    """The top-level fields of a session that ``leanrails.CheckoutSession`` cannot read.

    Quietly: the models log a warning for each value they do not know, which the report
    already names.
    """
    logger = logging.getLogger("leanrails")
    was, logger.disabled = logger.disabled, True
    try:
        CheckoutSession.model_validate(payload)
    except ValidationError as exc:
        return {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
    finally:
        logger.disabled = was
    return set()
