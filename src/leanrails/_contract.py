"""The contract, ``openapi.yaml``: loading it, the package's one ``$ref`` resolver, and its one
source marker.

The docs tooling, the request builder (``explore()``) and ``leanrails conformance`` read the
contract only through this module. PyYAML is imported on first use: the client itself never
reads the contract, so ``import leanrails`` does not pay for it.

Each schema may carry ``x-leanrails-source``: ``field`` says where the entry itself comes
from, and each constraint keyword of that schema (``maxLength``, ``enum``, ...) where that
constraint comes from; :func:`source_of` reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Any, Final, Literal, cast

Schema = Mapping[str, Any]
Source = Literal["reference", "inferred", "convention"]
SOURCES: Final[tuple[Source, ...]] = ("reference", "inferred", "convention")
SOURCE_KEY: Final = "x-leanrails-source"


def source_of(schema: Schema, keyword: str | None = None) -> Source:
    """Where ``schema``'s entry (``keyword=None``) or one of its keywords comes from.

    An entry without a ``field`` label is the reference's; a keyword without a label is its
    entry's.
    """
    marks: Mapping[str, Any] = schema.get(SOURCE_KEY) or {}
    field = marks.get("field", "reference")
    value = field if keyword is None else marks.get(keyword, field)
    if value not in SOURCES:
        raise ValueError(f"{SOURCE_KEY} of {keyword or 'field'} is {value!r}, not one of {SOURCES}")
    return cast(Source, value)


def load_contract() -> dict[str, Any]:
    """The OpenAPI document the package ships, freshly parsed (the caller may change it)."""
    import yaml

    text = files("leanrails").joinpath("openapi.yaml").read_text(encoding="utf-8")
    # libyaml's parser where PyYAML was built with it (its wheels are): the same safe load,
    # 8 times as fast (12 ms, not 94) for explore(), conformance and the docs build.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document: dict[str, Any] = yaml.load(text, Loader=loader)
    return document


@cache
def contract() -> dict[str, Any]:
    """The same document, parsed once per process: read it, never change it."""
    return load_contract()


def resolve(spec: Schema, node: Schema) -> Schema:
    """``node`` with its ``$ref`` chain followed; sibling keywords of a ``$ref`` win (3.1).

    The source markers merge: a ``$ref``'s sibling ``x-leanrails-source`` labels the field
    (``metadata`` is the reference's, ``payment_intent_data.metadata`` inferred), the target's
    its keywords. Only local references (``#/components/...``) occur in the contract.
    """
    while "$ref" in node:
        target: Any = spec
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        if SOURCE_KEY in target and SOURCE_KEY in node:
            merged[SOURCE_KEY] = {**target[SOURCE_KEY], **node[SOURCE_KEY]}
        node = merged
    return node


def inline(spec: Schema, node: Any) -> Any:
    """``node`` with every ``$ref`` at any depth replaced by what it points to."""
    if isinstance(node, list):
        return [inline(spec, item) for item in node]
    if not isinstance(node, Mapping):
        return node
    return {key: inline(spec, value) for key, value in resolve(spec, node).items()}


@cache
def component(name: str) -> dict[str, Any]:
    """``components.schemas.<name>`` of :func:`contract`, every ``$ref`` inlined (read only)."""
    spec = contract()
    inlined: dict[str, Any] = inline(spec, spec["components"]["schemas"][name])
    return inlined


def unwrap(spec: Schema, node: Schema) -> tuple[Schema, bool]:
    """(the non-null schema, nullable) for ``X``, ``type: [X, "null"]`` or ``anyOf: [X, null]``."""
    schema = resolve(spec, node)
    nullable = False
    if "anyOf" in schema:
        branches = [resolve(spec, branch) for branch in schema["anyOf"]]
        others = [b for b in branches if b.get("type") != "null"]
        nullable = len(others) < len(branches)
        if len(others) == 1:
            siblings = {k: v for k, v in schema.items() if k != "anyOf"}
            schema = {**others[0], **siblings}
    kind = schema.get("type")
    if isinstance(kind, list) and "null" in kind:
        nullable = True
        rest = [k for k in kind if k != "null"]
        schema = {**schema, "type": rest[0] if len(rest) == 1 else rest}
    return schema, nullable
