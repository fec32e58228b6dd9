"""The contract, ``openapi.yaml``: loading it, and the package's one ``$ref`` resolver.

The docs tooling, the request builder (``explore()``) and ``leanrails conformance`` read the
contract only through this module. PyYAML is imported on first use: the client itself never
reads the contract, so ``import leanrails`` does not pay for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Any

Schema = Mapping[str, Any]


def load_contract() -> dict[str, Any]:
    """The OpenAPI document the package ships, freshly parsed (the caller may change it)."""
    import yaml

    text = files("leanrails").joinpath("openapi.yaml").read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    return document


@cache
def contract() -> dict[str, Any]:
    """The same document, parsed once per process: read it, never change it."""
    return load_contract()


def resolve(spec: Schema, node: Schema) -> Schema:
    """``node`` with its ``$ref`` chain followed; sibling keywords of a ``$ref`` win (3.1).

    Only local references (``#/components/...``) occur in the contract.
    """
    while "$ref" in node:
        target: Any = spec
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
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
