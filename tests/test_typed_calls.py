"""Typed calls: what type checkers, IPython and the contract see of ``create``'s parameters.

The user scripts in ``tests/typing/`` are checked by mypy --strict and pyright strict; the
typed signature, the TypedDicts, the pydantic models and openapi.yaml are compared field
by field (names, required, types, enumerations, descriptions), so none can drift.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import itertools
import runpy
import typing
from collections.abc import Iterable, Iterator
from datetime import datetime
from importlib.resources import files
from types import NoneType, UnionType
from typing import Any, get_args, get_origin

import pytest
import yaml
from pydantic import BaseModel, ValidationError

import leanrails
from leanrails import (
    CheckoutSessionCreateBody,
    CheckoutSessionCreateParams,
    LeanRails,
    LineItem,
    LineItemParam,
    PaymentIntentData,
    PaymentIntentDataParam,
    PriceData,
    PriceDataParam,
    Recurring,
    RecurringParam,
)
from leanrails._resources import CheckoutSessionCalls
from leanrails.sandbox import Sandbox

from _support.typecheck import TYPING, Diagnostic, marked_lines, mypy, pyright

# Its tests share module-scoped fixtures: one xdist worker runs them all, set up once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("typed_calls")]

GOOD = TYPING / "checkout.py"
MISTAKES = TYPING / "checkout_mistakes.py"

# Contract schema -> (pydantic model, TypedDict): one row per object of the request body.
OBJECTS: dict[str, tuple[type[BaseModel], type]] = {
    "CheckoutSessionCreateParams": (CheckoutSessionCreateParams, CheckoutSessionCreateBody),
    "LineItem": (LineItem, LineItemParam),
    "PriceData": (PriceData, PriceDataParam),
    "Recurring": (Recurring, RecurringParam),
    "PaymentIntentData": (PaymentIntentData, PaymentIntentDataParam),
}
TYPED_DICT_OF = dict(OBJECTS.values())
# Fields whose model takes more in Python than the JSON type (converted before validation).
WIDER_IN_PYTHON = {"expires_at": frozenset({int, datetime})}
REQUEST_OPTIONS = (
    "idempotency_key",
    "api_version",
    "timeout",
    "max_retries",
    "extra_headers",
    "extra_query",
    "extra_body",
)
BODY: dict[str, Any] = {
    "mode": "payment",
    "line_items": [{"quantity": 2, "price": "price_test_tshirt"}],
    "success_url": "https://example.com/success",
}


# ------------------------------------------------------------------------ type checkers


@pytest.fixture(scope="session", params=[mypy, pyright], ids=["mypy", "pyright"])
def diagnostics(request: pytest.FixtureRequest) -> list[Diagnostic]:
    checker = request.param
    found: list[Diagnostic] = checker(GOOD, MISTAKES)
    return found


def test_the_user_script_passes_both_checkers(diagnostics: list[Diagnostic]) -> None:
    assert [d for d in diagnostics if d.file == GOOD.name] == []


def test_each_mistake_is_flagged_on_its_line_and_nothing_else(
    diagnostics: list[Diagnostic],
) -> None:
    flagged = {d.line for d in diagnostics if d.file == MISTAKES.name}
    assert flagged == marked_lines(MISTAKES), [d for d in diagnostics if d.file == MISTAKES.name]


def test_the_script_with_mistakes_differs_only_on_the_marked_lines() -> None:
    good = GOOD.read_text(encoding="utf-8").splitlines()
    bad = MISTAKES.read_text(encoding="utf-8").splitlines()
    docstring_end = 6  # the module docstrings say which file is which
    assert len(good) == len(bad)
    differing = {
        number
        for number, (before, after) in enumerate(zip(good, bad, strict=True), 1)
        if number > docstring_end and before != after
    }
    assert differing == marked_lines(MISTAKES)
    assert len(differing) == 4


def test_the_user_script_runs_against_the_sandbox() -> None:
    namespace = runpy.run_path(str(GOOD))
    session = asyncio.run(namespace["main"]())
    assert session.status == "open"


# ------------------------------------------------------------------------ run time


def test_create_takes_a_plain_dict_as_keywords() -> None:
    with LeanRails.sandbox() as client:
        session = client.checkout_sessions.create(**BODY)
    assert session.amount_total == 2 * 2000


@pytest.mark.parametrize(
    "line_items",
    [
        pytest.param(lambda items: tuple(items), id="tuple"),
        pytest.param(lambda items: (item for item in items), id="generator"),
    ],
)
def test_line_items_may_be_any_iterable(line_items: Any) -> None:
    sandbox = Sandbox()
    with LeanRails.sandbox(sandbox) as client:
        body = {**BODY, "line_items": line_items(BODY["line_items"])}
        session = client.checkout_sessions.create(**body)
    assert session.amount_total == 2 * 2000


def test_none_means_not_sent() -> None:
    with LeanRails.sandbox() as client:
        request = client.checkout_sessions.build(
            **BODY, cancel_url=None, customer_creation=None, metadata=None
        )
    assert request.content == CheckoutSessionCreateParams(**BODY).to_json()


def test_an_unknown_keyword_is_refused_by_validation_and_nothing_is_sent() -> None:
    sandbox = Sandbox()
    with LeanRails.sandbox(sandbox) as client, pytest.raises(ValidationError) as caught:
        client.checkout_sessions.create(**{**BODY, "succes_url": "https://example.com"})
    assert [error["loc"] for error in caught.value.errors()] == [("succes_url",)]
    assert sandbox.session_count == 0


def test_params_and_keywords_together_are_refused() -> None:
    with LeanRails.sandbox() as client, pytest.raises(TypeError, match="not both"):
        client.checkout_sessions.create(CheckoutSessionCreateParams(**BODY), currency="usd")


def test_build_has_the_same_signature_as_create() -> None:
    with LeanRails.sandbox() as client:
        calls = client.checkout_sessions
        assert inspect.signature(calls.build) == inspect.signature(calls.create)
        raw = calls.with_raw_response.create
        assert inspect.signature(raw) == inspect.signature(calls.create)


# ------------------------------------------------------------------------ IPython


@pytest.fixture(scope="module")
def shell() -> Iterator[Any]:
    from IPython.core.interactiveshell import InteractiveShell

    ipython = InteractiveShell.instance()
    ipython.run_cell("from leanrails import LeanRails\nclient = LeanRails.sandbox()")
    yield ipython
    ipython.run_cell("client.close()")
    InteractiveShell.clear_instance()


def test_tab_inside_create_lists_every_body_parameter(shell: Any) -> None:
    from IPython.core.completer import provisionalcompleter

    text = "client.checkout_sessions.create("
    with provisionalcompleter():
        offered = {c.text for c in shell.Completer.completions(text, len(text))}
    expected = {f"{name}=" for name in CheckoutSessionCreateParams.model_fields}
    assert expected <= offered


def test_create_question_mark_shows_each_parameter_with_its_description(shell: Any) -> None:
    shown = shell.object_inspect_text("client.checkout_sessions.create")
    for name, description in contract_descriptions("CheckoutSessionCreateParams").items():
        assert f"{name}: " in shown
        assert " ".join(description.split()[:5]) in " ".join(shown.split()), name


# ------------------------------------------------------------------------ no drift


def load_schemas() -> dict[str, Any]:
    text = files("leanrails").joinpath("openapi.yaml").read_text(encoding="utf-8")
    schemas: dict[str, Any] = yaml.safe_load(text)["components"]["schemas"]
    return schemas


def ref_name(node: dict[str, Any]) -> str | None:
    ref = node.get("$ref")
    return None if ref is None else str(ref).rsplit("/", 1)[-1]


def contract_descriptions(schema: str) -> dict[str, str]:
    """Each property's description, or its referenced schema's, whitespace-normalized."""
    schemas = load_schemas()
    found = {}
    for name, node in schemas[schema]["properties"].items():
        target = ref_name(node)
        text = node.get("description") or (target and schemas[target].get("description"))
        if text:
            found[name] = " ".join(text.split())
    return found


def plain(annotation: Any) -> Any:
    """A comparable form of a type: Annotated, None and aliases removed, unions as sets."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return plain(get_args(annotation)[0])
    if origin in (typing.Union, UnionType):
        options = frozenset(plain(a) for a in get_args(annotation) if a is not NoneType)
        return next(iter(options)) if len(options) == 1 else options
    if origin is typing.Literal:
        return ("Literal", frozenset(get_args(annotation)))
    if origin is not None:
        return (origin, tuple(plain(a) for a in get_args(annotation)))
    return annotation


def as_typed(model_type: Any) -> Any:
    """The typed-call form of a model field's plain type: models become their TypedDicts,
    lists any iterable."""
    if isinstance(model_type, type) and issubclass(model_type, BaseModel):
        return TYPED_DICT_OF[model_type]
    if isinstance(model_type, tuple) and model_type[0] is list:
        return (Iterable, tuple(as_typed(a) for a in model_type[1]))
    return model_type


def matches_schema(typed: Any, node: dict[str, Any], schemas: dict[str, Any]) -> bool:
    target = ref_name(node)
    if target in OBJECTS:
        return typed is OBJECTS[target][1]
    if target is not None:
        return matches_schema(typed, schemas[target], schemas)
    kind = node.get("type")
    if "enum" in node:
        return bool(typed == ("Literal", frozenset(node["enum"])))
    if kind == "string":
        return typed is str
    if kind == "integer":
        return typed is int
    if kind == "array":
        return typed[0] is Iterable and matches_schema(typed[1][0], node["items"], schemas)
    return bool(kind == "object" and typed == (dict, (str, str)))


def key_docstrings(typed_dict: type) -> dict[str, str]:
    """The docstring under each key of a TypedDict (read from its source)."""
    tree = ast.parse(inspect.getsource(typed_dict))
    class_def = tree.body[0]
    assert isinstance(class_def, ast.ClassDef)
    body = class_def.body
    found = {}
    for node, after in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
        ):
            found[node.target.id] = " ".join(str(after.value.value).split())
    return found


def args_section(docstring: str) -> dict[str, str]:
    """``name: text`` entries of a Google-style ``Args:`` section, whitespace-normalized."""
    entries: dict[str, str] = {}
    current = None
    lines = inspect.cleandoc(docstring).splitlines()
    for line in lines[lines.index("Args:") + 1 :]:
        if line and not line.startswith(" "):
            break
        name, colon, text = line.strip().partition(": ")
        if line.startswith("    ") and not line.startswith("     ") and colon:
            current = name
            entries[name] = text
        elif current is not None and line.strip():
            entries[current] += " " + line.strip()
    return entries


@pytest.mark.parametrize("schema", list(OBJECTS))
def test_typed_dict_model_and_contract_agree(schema: str) -> None:
    model, typed = OBJECTS[schema]
    node = load_schemas()[schema]
    assert list(typed.__annotations__) == list(model.model_fields)
    assert set(model.model_fields) == set(node["properties"])
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    required_keys = typed.__required_keys__  # type: ignore[attr-defined]
    assert required_keys == required == set(node.get("required", []))
    typed_hints = typing.get_type_hints(typed)
    model_hints = typing.get_type_hints(model)
    for name in model.model_fields:
        typed_type = plain(typed_hints[name])
        expected = as_typed(plain(model_hints[name]))
        if name in WIDER_IN_PYTHON:
            assert typed_type == WIDER_IN_PYTHON[name], name
            assert expected in typed_type, name
            typed_type = expected
        assert typed_type == expected, name
        assert matches_schema(typed_type, node["properties"][name], load_schemas()), name


@pytest.mark.parametrize("schema", [s for s in OBJECTS if s != "CheckoutSessionCreateParams"])
def test_each_nested_key_carries_the_contract_description(schema: str) -> None:
    assert key_docstrings(OBJECTS[schema][1]) == contract_descriptions(schema)


def test_create_names_every_body_parameter_with_the_typed_dicts_type() -> None:
    signature = inspect.signature(CheckoutSessionCalls.create)
    keywords = [p.name for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY]
    body_names = list(CheckoutSessionCreateParams.model_fields)
    assert keywords == body_names + list(REQUEST_OPTIONS)
    create_hints = typing.get_type_hints(CheckoutSessionCalls.create)
    body_hints = typing.get_type_hints(CheckoutSessionCreateBody)
    for name in body_names:
        assert plain(create_hints[name]) == plain(body_hints[name]), name
        assert signature.parameters[name].default is None


def test_create_documents_each_body_parameter_with_the_contract_description() -> None:
    documented = args_section(CheckoutSessionCalls.create.__doc__ or "")
    body = {k: v for k, v in documented.items() if k not in REQUEST_OPTIONS}
    assert body == contract_descriptions("CheckoutSessionCreateParams")
    assert set(documented) - set(body) == set(REQUEST_OPTIONS)


def test_the_typed_dicts_are_public() -> None:
    for _model, typed in OBJECTS.values():
        assert getattr(leanrails, typed.__name__) is typed
