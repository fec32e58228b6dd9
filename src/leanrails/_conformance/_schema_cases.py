"""The cases the request schema implies: for each rule, one request just inside it (which
must be accepted) and one just outside (which must be refused, naming the field)."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from .._contract import component
from ._contract import (
    BASE,
    UNKNOWN,
    Case,
    Expect,
    entry_of,
    is_convention,
    json_type,
    valid_string,
)


def _minimal(schema: Mapping[str, Any]) -> Any:
    kind = json_type(schema)
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        return {name: _minimal(schema["properties"][name]) for name in schema.get("required", [])}
    if kind == "array":
        return [_minimal(schema["items"])]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "boolean":
        return False
    return valid_string(schema)


_WRONG_TYPE: dict[str, Any] = {
    "string": 42,
    "integer": "1",
    "object": "conformance",
    "array": "conformance",
    "boolean": "true",
}


# -- placing a value at a location of the base request ----------------------------------

Loc = tuple[str | int, ...]


def _path(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _with(
    loc: Loc, value: Any, *, containers: Mapping[Loc, Any], delete: bool = False
) -> dict[str, Any]:
    """A copy of :data:`BASE` with ``value`` at ``loc`` (or ``loc`` removed)."""
    body: Any = copy.deepcopy(BASE)
    node = body
    for depth, part in enumerate(loc[:-1]):
        here = loc[: depth + 1]
        try:
            node = node[part]
        except (KeyError, IndexError):
            node[part] = copy.deepcopy(containers[here])
            node = node[part]
    if delete:
        node.pop(loc[-1], None)
    else:
        node[loc[-1]] = value
    result: dict[str, Any] = body
    return result


def schema_cases() -> list[Case]:
    """For each rule of the request schema: one request just inside it, one just outside."""
    root = component("CheckoutSessionCreateParams")
    containers: dict[Loc, Any] = {}
    return list(_walk(root, (), containers, under_recurring=False))


def _walk(
    schema: Mapping[str, Any], loc: Loc, containers: dict[Loc, Any], *, under_recurring: bool
) -> Iterator[Case]:
    path = _path(loc)
    entry = entry_of(path) if loc else "request"
    convention = is_convention(entry) if loc else False
    # Nothing under recurring can be accepted (payment mode refuses it), and a price id is
    # accepted only if the server's catalogue has it.
    accept_ok = not under_recurring and entry != "line_items[].price"

    def case(name: str, value: Any, expect: Expect, *, param: str | None = None, **kw: Any) -> Case:
        return Case(
            name=f"{entry}: {name}",
            body=_with(loc, value, containers=containers) if loc else value,
            expect=expect,
            entry=entry,
            param=param if param is not None or expect == "accept" else path,
            convention=convention,
            **kw,
        )

    kind = json_type(schema)
    if loc and "expires_at" not in loc:
        yield case(f"{_kind_name(kind)} is required", _WRONG_TYPE[kind], "refuse")
    if kind == "object" and "properties" in schema:
        if loc:
            containers[loc] = _minimal(schema)
        if schema.get("additionalProperties") is False:
            inside = {**(_minimal(schema) if loc else BASE), UNKNOWN: "x"}
            yield case(
                "unknown parameters are refused",
                inside,
                "refuse",
                param=_path((*loc, UNKNOWN)),
            )
        for name in schema.get("required", []):
            missing_loc = (*loc, name)
            yield Case(
                name=f"{entry_of(_path(missing_loc))}: required",
                body=_with(missing_loc, None, containers=containers, delete=True),
                expect="refuse",
                entry=entry_of(_path(missing_loc)),
                param=_path(missing_loc),
                convention=is_convention(entry_of(_path(missing_loc))),
            )
        for name, prop in schema["properties"].items():
            if name == "expires_at":
                continue  # relative to the clock: see rule_cases()
            yield from _walk(
                prop,
                (*loc, name),
                containers,
                under_recurring=under_recurring or name == "recurring",
            )
        return
    if kind == "object":  # metadata: a map of strings
        yield from _map_cases(schema, loc, entry, convention, containers, accept_ok)
        return
    if kind == "array":
        if "minItems" in schema:
            yield case(f"at least {schema['minItems']} item(s)", [], "refuse")
        containers[loc] = [_minimal(schema["items"])]
        yield from _walk(schema["items"], (*loc, 0), containers, under_recurring=under_recurring)
        return
    yield from _value_cases(schema, kind, case, accept_ok)


def _kind_name(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _value_cases(
    schema: Mapping[str, Any], kind: str, case: Any, accept_ok: bool
) -> Iterator[Case]:
    if "enum" in schema:
        yield case("a value outside the enumeration", "x_conformance", "refuse")
        if accept_ok:
            for value in schema["enum"]:
                yield case(f"{value!r} is accepted", value, "accept")
        return
    if kind == "integer" and "minimum" in schema:
        low = int(schema["minimum"])
        yield case(f"minimum {low}", low - 1, "refuse")
        if accept_ok:
            yield case(f"{low} (the minimum) is accepted", low, "accept")
    if kind != "string":
        return
    pattern = schema.get("pattern")
    if pattern is not None:
        yield case(f"pattern {pattern}", "x1!", "refuse")
    fmt = schema.get("format")
    if fmt == "uri":
        yield case("an absolute URL is required", "example.com/done", "refuse")
    if fmt == "email":
        yield case("an email address is required", "jsmith@", "refuse")
    shortest, longest = schema.get("minLength"), schema.get("maxLength")
    if pattern is None and fmt is None:
        if shortest:
            yield case(f"at least {shortest} character(s)", "x" * (shortest - 1), "refuse")
            if accept_ok:
                yield case(f"{shortest} character(s) are accepted", "x" * shortest, "accept")
        if longest:
            yield case(f"at most {longest} characters", "x" * (longest + 1), "refuse")
            if accept_ok:
                yield case(f"{longest} characters are accepted", "x" * longest, "accept")
    elif longest and pattern is not None and shortest != longest:
        yield case(f"at most {longest} characters", valid_string(schema) * longest, "refuse")
    elif longest and shortest == longest:
        yield case(f"exactly {longest} characters", "usdx", "refuse")


def _map_cases(
    schema: Mapping[str, Any],
    loc: Loc,
    entry: str,
    convention: bool,
    containers: Mapping[Loc, Any],
    accept_ok: bool,
) -> Iterator[Case]:
    path = _path(loc)

    def case(name: str, value: Any, expect: Expect, **kw: Any) -> Case:
        return Case(
            name=f"{entry}: {name}",
            body=_with(loc, value, containers=containers),
            expect=expect,
            entry=entry,
            param=path if expect == "refuse" else None,
            convention=convention,
            **kw,
        )

    most = schema.get("maxProperties")
    if most:
        yield case(f"at most {most} keys", {f"k{i}": "v" for i in range(most + 1)}, "refuse")
        if accept_ok:
            yield case(f"{most} keys are accepted", {f"k{i}": "v" for i in range(most)}, "accept")
    names = schema.get("propertyNames", {})
    if names.get("minLength"):
        yield case("keys are not empty", {"": "v"}, "refuse", param_prefix=True)
    if names.get("maxLength"):
        high = names["maxLength"]
        yield case(
            f"keys of at most {high} characters",
            {"k" * (high + 1): "v"},
            "refuse",
            param_prefix=True,
        )
        if accept_ok:
            yield case(f"keys of {high} characters are accepted", {"k" * high: "v"}, "accept")
    values = schema.get("additionalProperties")
    if isinstance(values, dict):
        yield case("values are strings", {"key": 1}, "refuse", param_prefix=True)
        if values.get("maxLength"):
            high = values["maxLength"]
            yield case(
                f"values of at most {high} characters",
                {"key": "v" * (high + 1)},
                "refuse",
                param_prefix=True,
            )
            if accept_ok:
                yield case(
                    f"values of {high} characters are accepted", {"key": "v" * high}, "accept"
                )
