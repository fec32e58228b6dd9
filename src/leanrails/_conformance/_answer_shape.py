"""The shape of every answer: its Request-Id header, and its body against the contract's
response or error schema (and against the models)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .. import CheckoutSession
from .._contract import component
from ._observations import CONTRACT, MODELS, SANDBOX, Observation
from ._safety import Answer


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
    for error in schema_errors(payload, component(schema)):
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
