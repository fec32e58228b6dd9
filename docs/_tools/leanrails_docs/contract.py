"""The contract flattened into fields: every header, body parameter, response and error field.

Each :class:`Field` carries what a reference entry states: type, whether it is required (and
when, for a conditional rule such as ``success_url``), default, constraints in one sentence,
source (reference, kit convention, inferred) and the contract's description with the
sentences that the constraints already say taken out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from leanrails._contract import Schema, load_contract, resolve, source_of, unwrap

Kind = Literal["header", "request", "response", "error"]
Source = Literal["reference", "kit convention", "inferred"]

ENDPOINT = "/v1/checkout_sessions"
_REQUIRED_WHEN = re.compile(r"^(?P<name>\S+) is required when (?P<condition>.+?)\.?$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"])")
_NUMBER = re.compile(r"\d(?:[\d,]*\d)?(?:-[a-z]+)?")  # 99,999,999; 64-bit
_WORD = re.compile(r"[A-Za-z_]+")
_QUOTED = re.compile(r"""['"]([^'"\s]+)['"]""")


@dataclass(frozen=True)
class Constraint:
    """One constraint as the reference page says it, with what it was read from.

    ``text`` ends with its source note when it is not the reference's ("at most 5,000
    characters (kit convention)"); ``keywords`` are the schema keywords it says, a nested
    one as ``propertyNames.maxLength``; ``rule`` is the ``x-leanrails-rules`` id it says.
    """

    text: str
    keywords: tuple[str, ...] = ()
    rule: str = ""


@dataclass(frozen=True)
class Field:
    """One entry of the reference: a header, parameter or field of the contract."""

    kind: Kind
    path: str
    type: str
    required: bool
    required_when: str = ""
    nullable: bool = False
    default: Any = None
    has_default: bool = False
    phrases: tuple[Constraint, ...] = ()
    source: Source = "reference"
    description: str = ""
    example: str = ""
    direction: Literal["", "request", "response"] = ""

    @property
    def constraints(self) -> str:
        """The constraints in one sentence, each once: "Not empty; at most 200 characters."."""
        return sentence([c.text for c in self.phrases])

    @property
    def heading(self) -> str:
        """The exact heading text of this field's guide section (contract B)."""
        prefix = {"response": "response.", "error": "error."}.get(self.kind, "")
        return prefix + self.path

    @property
    def ref_id(self) -> str:
        """The anchor of this field on the reference page: its path, ``[]`` dropped."""
        return self.heading.replace("[]", "")

    @property
    def parent(self) -> str:
        """The path of the enclosing field ("" at the top level)."""
        return self.path.rpartition(".")[0].removesuffix("[]") if "." in self.path else ""

    @property
    def depth(self) -> int:
        return self.path.count(".")

    @property
    def leaf(self) -> str:
        """The name a guide code cell must mention."""
        return self.path.rsplit(".", 1)[-1].removesuffix("[]")

    def mentioned_in(self, code: str) -> bool:
        names = [self.leaf]
        if self.kind == "header":
            snake = self.leaf.lower().replace("-", "_")
            names += [snake, snake.removeprefix("x_")]
        return any(
            re.search(rf"(?<![A-Za-z0-9_-]){re.escape(n)}(?![A-Za-z0-9_-])", code, re.IGNORECASE)
            for n in names
        )


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _type(schema: Schema) -> str:
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {schema.get('items', {}).get('type', 'objects')}s".replace("ss", "s")
    if kind == "object" and "properties" not in schema:
        values = schema.get("additionalProperties")
        if isinstance(values, Mapping):
            return f"object of {values.get('type', 'any')}s"
    if isinstance(kind, list):
        kind = " or ".join(kind)
    fmt = schema.get("format")
    return f"{kind} ({fmt})" if fmt else str(kind)


def _number(value: Any) -> str:
    """A limit as a reader writes it: ``99,999,999``."""
    return f"{value:,}" if isinstance(value, int) else str(value)


def _plural(count: int, noun: str) -> str:
    return f"{_number(count)} {noun}{'' if count == 1 else 's'}"


_NOTE: dict[str, str] = {"convention": " (kit convention)", "inferred": " (inferred)"}


def _schema_constraints(schema: Schema) -> list[Constraint]:
    """The keywords of ``schema`` as phrases: "one of ...", "at most 22 characters", ...

    A phrase from a keyword the contract marks ``convention`` or ``inferred``
    (``x-leanrails-source``, read by ``source_of``) says so; a phrase about the keys or the
    values of a map (``propertyNames``, ``additionalProperties``) reads the marks of the
    keywords it states, in the nested schema.
    """
    out: list[Constraint] = []

    def add(phrase: str, *keywords: str) -> None:
        sources = set()
        for keyword in keywords:
            outer, _, inner = keyword.partition(".")
            node = schema if not inner else schema.get(outer, {})
            if (inner or outer) in node:
                sources.add(source_of(node, inner or outer))
        note = next((_NOTE[s] for s in ("convention", "inferred") if s in sources), "")
        out.append(Constraint(phrase + note, keywords))

    if "enum" in schema and len(schema["enum"]) > 1:
        add("one of " + ", ".join(f"`{v}`" for v in schema["enum"]), "enum")
    elif "enum" in schema:
        add(f"always `{schema['enum'][0]}`", "enum")
    low, high = schema.get("minLength"), schema.get("maxLength")
    split = (
        low is not None
        and high is not None
        and (source_of(schema, "minLength") != source_of(schema, "maxLength"))
    )
    if low is not None and low == high and not split:
        add(f"exactly {_plural(low, 'character')}", "minLength", "maxLength")
    elif low is not None and high is not None and not split:
        add(f"{_number(low)} to {_plural(high, 'character')}", "minLength", "maxLength")
    else:
        if low is not None:
            add("not empty" if low == 1 else f"at least {_plural(low, 'character')}", "minLength")
        if high is not None:
            add(f"at most {_plural(high, 'character')}", "maxLength")
    if "pattern" in schema:
        add(f"matching `{schema['pattern']}`", "pattern")
    low, high = schema.get("minimum"), schema.get("maximum")
    if (
        low is not None
        and high is not None
        and (source_of(schema, "minimum") == source_of(schema, "maximum"))
    ):
        add(f"from {_number(low)} to {_number(high)}", "minimum", "maximum")
    else:
        if low is not None:
            add(f"at least {_number(low)}", "minimum")
        if high is not None:
            add(f"at most {_number(high)}", "maximum")
    if "minItems" in schema:
        add(f"at least {_plural(schema['minItems'], 'item')}", "minItems")
    if "maxItems" in schema:
        add(f"at most {_plural(schema['maxItems'], 'item')}", "maxItems")
    if "maxProperties" in schema:
        add(f"at most {_plural(schema['maxProperties'], 'key')}", "maxProperties")
    names = schema.get("propertyNames")
    if isinstance(names, Mapping) and "maxLength" in names:
        low_key, high_key = names.get("minLength", 0), names["maxLength"]
        add(
            f"keys of {_number(low_key)} to {_plural(high_key, 'character')}",
            *(f"propertyNames.{k}" for k in ("minLength", "maxLength") if k in names),
        )
    values = schema.get("additionalProperties")
    if isinstance(values, Mapping) and "maxLength" in values:
        add(
            f"values of at most {_plural(values['maxLength'], 'character')}",
            "additionalProperties.maxLength",
        )
    return out


def sentence(phrases: Sequence[str], mark: Callable[[int, str], str] | None = None) -> str:
    """``phrases`` as one sentence: the first capitalized, joined by semicolons; ``mark``
    wraps each phrase (by its index) once its case is set."""
    parts = [p.rstrip(".") for p in phrases]
    parts = [
        p[:1].upper() + p[1:] if i == 0 else p[:1].lower() + p[1:] for i, p in enumerate(parts)
    ]
    if mark is not None:
        parts = [mark(i, p) for i, p in enumerate(parts)]
    return "; ".join(parts) + "." if parts else ""


_KEYWORDS = (
    "enum",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "maxProperties",
    "propertyNames",
    "additionalProperties",
)
_LABEL: dict[str, Source] = {
    "reference": "reference",
    "inferred": "inferred",
    "convention": "kit convention",
}


def _source(schema: Schema, inherited: Source = "reference") -> Source:
    """Where the field comes from: the contract's ``field`` label (``source_of``), never its
    constraints' (each constraint carries its own); unlabelled, its parent's."""
    if "field" not in (schema.get("x-leanrails-source") or {}):
        return inherited
    return _LABEL[source_of(schema)]


def _description(*schemas: Schema) -> str:
    for schema in schemas:
        if schema.get("description"):
            return " ".join(str(schema["description"]).split())
    return ""


def _numbers(text: str) -> set[str]:
    """The numbers ``text`` states, ``99,999,999`` as ``99999999``; "not empty" states 1."""
    found = {n.replace(",", "") for n in _NUMBER.findall(text) if "-" not in n}  # no 64-bit
    return found | {"1"} if "not empty" in text.lower() else found


def _without_repeats(
    description: str, phrases: Sequence[Constraint], names: frozenset[str], source: Source
) -> str:
    """``description`` less what the entry's other lines already say (never its first sentence).

    A sentence goes when all its numbers are in the constraints (limits restated in prose),
    when it names two or more fields and the constraints name them all (a rule restated),
    when it lists exactly the values an ``enum`` allows, when it only repeats the field's
    source ("Kit convention (Stripe-style)."), or when it starts "Required" (the Required
    line says it). A clause pointing at ``x-leanrails-rules`` goes: the rule is a constraint.
    """
    constraints = sentence([c.text for c in phrases])
    numbers = _numbers(constraints)
    mentioned = {w for w in _WORD.findall(constraints) if w in names}
    allowed = set(re.findall(r"`([^`]+)`", constraints)) if "enum" in _keywords(phrases) else set()
    kept = _SENTENCE_END.split(description)[:1]
    for text in _SENTENCE_END.split(description)[1:]:
        clauses = [c for c in text.rstrip(".").split("; ") if "x-leanrails-rules" not in c]
        if not clauses:
            continue
        text = "; ".join(clauses) + "."
        own_numbers = _numbers(text)
        own_names = {w for w in _WORD.findall(text) if w in names}
        quoted = set(_QUOTED.findall(text))
        if own_numbers and own_numbers <= numbers:
            continue
        if len(own_names) >= 2 and own_names <= mentioned:
            continue
        if quoted and quoted == allowed:
            continue
        if text.lower().startswith(f"{source} (") and text.endswith(").") and ":" not in text:
            continue
        if text.startswith("Required"):
            continue
        kept.append(text)
    return " ".join(kept)


def _keywords(phrases: Sequence[Constraint]) -> set[str]:
    return {k for c in phrases for k in c.keywords}


def _code_words(condition: str, spec: Schema, body: Schema) -> str:
    """``ui_mode is hosted`` -> ``\\`ui_mode\\` is \\`hosted\\```: field names and their values."""
    properties: Mapping[str, Any] = body.get("properties", {})
    values: set[str] = set()
    out: list[str] = []
    for word in condition.split(" "):
        bare = word.strip("(),.")
        if bare in properties:
            values = {str(v) for v in unwrap(spec, properties[bare])[0].get("enum", ())}
            out.append(word.replace(bare, f"`{bare}`"))
        elif bare in values:
            out.append(word.replace(bare, f"`{bare}`"))
        else:
            out.append(word)
    return " ".join(out)


@dataclass(frozen=True)
class _Rules:
    required_when: Mapping[str, str]
    constraints: Mapping[str, Sequence[Constraint]]


def _rules(spec: Schema, body: Schema) -> _Rules:
    """The ``x-leanrails-rules`` by field path: conditions of "required when", and the rest."""
    required_when: dict[str, str] = {}
    constraints: dict[str, list[Constraint]] = {}
    for rule in body.get("x-leanrails-rules", ()):
        path = str(rule["param"]).replace("[i]", "[]").removesuffix("[]")
        text = " ".join(str(rule["rule"]).split())
        match = _REQUIRED_WHEN.match(text)
        if match and match["name"] == path:
            required_when[path] = _code_words(match["condition"], spec, body)
            continue
        leaf = path.rsplit(".", 1)[-1]
        text = text.removeprefix(f"{leaf} is ")
        constraints.setdefault(path, []).append(Constraint(text, rule=str(rule["id"])))
    return _Rules(required_when, constraints)


def _property_names(spec: Schema) -> frozenset[str]:
    names: set[str] = set()
    for schema in spec["components"]["schemas"].values():
        names.update(schema.get("properties", {}))
    return frozenset(names)


def _walk(
    spec: Schema,
    kind: Kind,
    schema: Schema,
    prefix: str,
    rules: _Rules,
    names: frozenset[str],
    inherited: Source = "reference",
) -> Iterator[Field]:
    schema = resolve(spec, schema)
    required = set(schema.get("required", ()))
    for name, raw in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        target, nullable = unwrap(spec, raw)
        own = raw if "$ref" not in raw else {}
        phrases = (*_schema_constraints(target), *rules.constraints.get(path, ()))
        source = _source(target, inherited)
        examples = target.get("examples", ())
        yield Field(
            kind=kind,
            path=path,
            type=_type(target),
            required=name in required,
            required_when=rules.required_when.get(path, ""),
            nullable=nullable,
            default=target.get("default"),
            has_default="default" in target,
            phrases=phrases,
            source=source,
            description=_without_repeats(_description(own, target), phrases, names, source),
            example=as_json(examples[0]) if examples else "",
        )
        if target.get("type") == "object" and "properties" in target:
            yield from _walk(spec, kind, target, f"{path}.", rules, names, inherited)
        elif target.get("type") == "array":
            items = resolve(spec, target.get("items", {}))
            if "properties" in items:
                yield from _walk(spec, kind, items, f"{path}[].", rules, names, inherited)


def _headers(spec: Schema, operation: Schema, ok: Schema) -> Iterator[Field]:
    for scheme in spec["components"].get("securitySchemes", {}).values():
        if scheme.get("type") == "http":
            yield Field(
                kind="header",
                path="Authorization",
                type="string",
                required=True,
                phrases=(Constraint(f"HTTP {scheme['scheme'].capitalize()} authentication"),),
                description=_description(scheme),
                direction="request",
            )
    declared = [(resolve(spec, p), "request") for p in operation.get("parameters", ())]
    sent = {str(h.get("name")) for h, _ in declared}
    for name, header in ok.get("headers", {}).items():
        if name not in sent:  # an echo (X-API-Version) is the request header's entry
            declared.append(({"name": name, **resolve(spec, header)}, "response"))
    for header, direction in declared:
        if direction == "request" and header.get("in") != "header":
            continue
        schema, nullable = unwrap(spec, header.get("schema", {}))
        phrases = tuple(_schema_constraints(schema))
        source = _source(header)
        description = _without_repeats(_description(header, schema), phrases, frozenset(), source)
        yield Field(
            kind="header",
            path=str(header["name"]),
            type=_type(schema),
            required=bool(header.get("required")),
            nullable=nullable,
            phrases=phrases,
            source=source,
            description=description,
            direction="response" if direction == "response" else "request",
        )


def contract_fields(spec: Schema | None = None) -> list[Field]:
    """Every header, request parameter, response field and error field of the contract."""
    spec = spec if spec is not None else load_contract()
    operation = spec["paths"][ENDPOINT]["post"]
    ok = resolve(spec, operation["responses"]["200"])
    body = resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])
    names = _property_names(spec)
    rules = _rules(spec, body)
    no_rules = _Rules({}, {})
    error = resolve(spec, spec["components"]["schemas"]["ErrorResponse"])
    error_source = _source(error)  # the Stripe-style body is the kit's, every field of it
    return [
        *_headers(spec, operation, ok),
        *_walk(spec, "request", body, "", rules, names),
        *_walk(spec, "response", ok["content"]["application/json"]["schema"], "", no_rules, names),
        *_walk(spec, "error", error["properties"]["error"], "", no_rules, names, error_source),
    ]
