"""MkDocs hook: the field reference page, generated from the contract at build time.

It reads ``src/leanrails/openapi.yaml`` and lists every header, every request parameter
(nested ones included, in the API's path form such as ``line_items[].price_data.currency``),
every response field and every error-body field, each linked to the notebook section that
walks through it.

The anchor scheme
-----------------
A notebook section about a field is a Markdown heading (any level, ``#`` to ``######``)
whose text is exactly the field's *heading text*, with no inline code and nothing else:

- a header: its name, as in ``Idempotency-Key``;
- a request parameter: its path, ``[]`` marking an array's items, as in
  ``line_items[].price_data.currency``;
- a response field: ``response.`` and its path, as in
  ``response.customer_details.address.city``;
- an error-body field: ``error.`` and its name, as in ``error.param``.

The section must contain (before the next heading of the same or a higher level) a code
cell that mentions the field's last name segment (``currency``, ``city``, ``param``; for a
header, its name or its snake_case form such as ``idempotency_key`` or ``api_version``).

The site's table of contents makes the heading's anchor with :func:`slugify`, which this
hook installs as the ``toc`` extension's slugify: ``[]`` is dropped and ``.`` becomes
``-``, so ``line_items[].price_data.currency`` gets ``#line_items-price_data-currency``.

The page links each field to the first notebook (in file order) that has its section. A
field with no section is a warning, so ``mkdocs build --strict`` fails.
``tests/test_notebooks.py`` imports this module for the coverage test, so the page and the
test agree on what a section is.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown.extensions import toc

log = logging.getLogger("mkdocs.hooks.field_reference")

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "src" / "leanrails" / "openapi.yaml"
PAGE = "field-reference.md"
GUIDE_MOUNT = "guide"
GUIDE_NOTEBOOKS = (
    "01_quickstart.ipynb",
    "02_authentication_and_headers.ipynb",
    "03_line_items_and_prices.ipynb",
    "04_request_parameters.ipynb",
    "05_response_fields.ipynb",
    "06_errors_idempotency_retries.ipynb",
)

# --------------------------------------------------------------------------- anchors


def slugify(value: str, separator: str = "-") -> str:
    """Python-Markdown's slugify, except that a field path keeps its separators.

    ``line_items[].price_data.currency`` -> ``line_items-price_data-currency`` (the default
    would give ``line_itemsprice_datacurrency``). Other headings slug as usual.
    """
    value = value.replace("[]", "").replace(".", " ")
    return toc.slugify(value, separator).strip(separator)


def unique_anchors(headings: Sequence[str]) -> list[str]:
    """The anchors the toc extension gives these headings, in order, on one page."""
    used: set[str] = set()
    counters: dict[str, int] = {}
    return [toc.unique(slugify(text), used, counters) for text in headings]


# --------------------------------------------------------------------------- contract


@dataclass(frozen=True)
class Field:
    """One entry of the field reference: a header, parameter or field of the contract."""

    kind: str
    path: str
    type: str
    required: bool
    nullable: bool = False
    default: Any = None
    has_default: bool = False
    constraints: tuple[str, ...] = ()
    source: str = "reference"
    description: str = ""
    direction: str = ""

    @property
    def heading(self) -> str:
        """The exact heading text of this field's notebook section."""
        if self.kind == "response":
            return f"response.{self.path}"
        if self.kind == "error":
            return f"error.{self.path}"
        return self.path

    @property
    def anchor(self) -> str:
        return slugify(self.heading)

    @property
    def leaf(self) -> str:
        """The name a code cell must mention."""
        return self.path.rsplit(".", 1)[-1].removesuffix("[]")

    def mention_patterns(self) -> list[str]:
        names = [self.leaf]
        if self.kind == "header":
            snake = self.leaf.lower().replace("-", "_")
            names += [snake, snake.removeprefix("x_")]
        return [rf"(?<![A-Za-z0-9_-]){re.escape(name)}(?![A-Za-z0-9_-])" for name in names]

    def mentioned_in(self, source: str) -> bool:
        return any(re.search(p, source, re.IGNORECASE) for p in self.mention_patterns())


def load_contract(path: Path = CONTRACT) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        document: dict[str, Any] = yaml.safe_load(stream)
    return document


def _resolve(spec: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        # Keep sibling keywords of a $ref (3.1 allows them) over the target's.
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _unwrap(spec: Mapping[str, Any], schema: Mapping[str, Any]) -> tuple[Mapping[str, Any], bool]:
    """(the non-null schema, nullable) for ``X``, ``type: [X, "null"]`` or ``anyOf: [X, null]``."""
    schema = _resolve(spec, schema)
    nullable = False
    if "anyOf" in schema:
        branches = [_resolve(spec, branch) for branch in schema["anyOf"]]
        others = [b for b in branches if b.get("type") != "null"]
        nullable = len(others) < len(branches)
        if len(others) == 1:
            merged = {k: v for k, v in schema.items() if k != "anyOf"}
            schema = {**others[0], **merged}
    kind = schema.get("type")
    if isinstance(kind, list) and "null" in kind:
        nullable = True
        rest = [k for k in kind if k != "null"]
        schema = {**schema, "type": rest[0] if len(rest) == 1 else rest}
    return schema, nullable


def _type(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type", "any")
    if kind == "array":
        items = schema.get("items", {})
        return f"array of {items.get('type', 'object')}"
    if kind == "object" and "properties" not in schema:
        values = schema.get("additionalProperties")
        if isinstance(values, Mapping):
            return f"object (string → {values.get('type', 'any')})"
    if isinstance(kind, list):
        kind = " or ".join(kind)
    fmt = schema.get("format")
    return f"{kind} ({fmt})" if fmt else str(kind)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _constraints(schema: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    if "enum" in schema:
        out.append("one of " + ", ".join(_json(v) for v in schema["enum"]))
    low, high = schema.get("minLength"), schema.get("maxLength")
    if low is not None and low == high:
        out.append(f"exactly {low} characters")
    else:
        if low is not None:
            out.append(f"at least {low} character{'s' if low != 1 else ''}")
        if high is not None:
            out.append(f"at most {high} characters")
    if "pattern" in schema:
        out.append(f"matches `{schema['pattern']}`")
    if "minimum" in schema:
        out.append(f"minimum {schema['minimum']}")
    if "maximum" in schema:
        out.append(f"maximum {schema['maximum']}")
    if "minItems" in schema:
        out.append(f"at least {schema['minItems']} item{'s' if schema['minItems'] != 1 else ''}")
    if "maxItems" in schema:
        out.append(f"at most {schema['maxItems']} items")
    if "maxProperties" in schema:
        out.append(f"at most {schema['maxProperties']} keys")
    names = schema.get("propertyNames")
    if isinstance(names, Mapping) and ("minLength" in names or "maxLength" in names):
        low, high = names.get("minLength", 0), names.get("maxLength", "∞")
        out.append(f"keys of {low} to {high} characters")
    values = schema.get("additionalProperties")
    if isinstance(values, Mapping) and "maxLength" in values:
        out.append(f"values of at most {values['maxLength']} characters")
    if "examples" in schema:
        out.append("example " + ", ".join(_json(v) for v in schema["examples"]))
    return out


def _source(*schemas: Mapping[str, Any]) -> str:
    for schema in schemas:
        if schema.get("x-leanrails-inferred"):
            return "inferred"
    for schema in schemas:
        text = str(schema.get("description", "")).lower()
        if schema.get("x-leanrails-convention") or "kit convention" in text:
            return "kit convention"
    return "reference"


def _description(*schemas: Mapping[str, Any]) -> str:
    for schema in schemas:
        if schema.get("description"):
            return " ".join(str(schema["description"]).split())
    return ""


def _walk(
    spec: Mapping[str, Any],
    kind: str,
    schema: Mapping[str, Any],
    prefix: str,
    rules: Mapping[str, list[str]],
) -> Iterator[Field]:
    schema = _resolve(spec, schema)
    required = set(schema.get("required", ()))
    for name, raw in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        target, nullable = _unwrap(spec, raw)
        unresolved = raw if "$ref" not in raw else {}
        yield Field(
            kind=kind,
            path=path,
            type=_type(target),
            required=name in required,
            nullable=nullable,
            default=target.get("default"),
            has_default="default" in target,
            constraints=tuple(_constraints(target) + rules.get(path, [])),
            source=_source(unresolved, target),
            description=_description(unresolved, target),
        )
        if target.get("type") == "object" and "properties" in target:
            yield from _walk(spec, kind, target, f"{path}.", rules)
        elif target.get("type") == "array":
            items = _resolve(spec, target.get("items", {}))
            if "properties" in items:
                yield from _walk(spec, kind, items, f"{path}[].", rules)


def contract_fields(spec: Mapping[str, Any] | None = None) -> list[Field]:
    """Every header, request parameter, response field and error field of the contract."""
    spec = spec if spec is not None else load_contract()
    operation = spec["paths"]["/v1/checkout_sessions"]["post"]
    components = spec["components"]
    fields: list[Field] = []

    for scheme in components.get("securitySchemes", {}).values():
        if scheme.get("type") == "http":
            fields.append(
                Field(
                    kind="header",
                    path="Authorization",
                    type="string",
                    required=True,
                    constraints=(f"HTTP {scheme['scheme'].capitalize()} authentication",),
                    description=_description(scheme),
                    direction="request",
                )
            )
    for raw in operation.get("parameters", ()):
        parameter = _resolve(spec, raw)
        if parameter.get("in") != "header":
            continue
        schema, nullable = _unwrap(spec, parameter.get("schema", {}))
        fields.append(
            Field(
                kind="header",
                path=parameter["name"],
                type=_type(schema),
                required=bool(parameter.get("required")),
                nullable=nullable,
                constraints=tuple(_constraints(schema)),
                source=_source(parameter, schema),
                description=_description(parameter, schema),
                direction="request",
            )
        )
    ok = _resolve(spec, operation["responses"]["200"])
    for name, raw in ok.get("headers", {}).items():
        header = _resolve(spec, raw)
        schema, nullable = _unwrap(spec, header.get("schema", {}))
        fields.append(
            Field(
                kind="header",
                path=name,
                type=_type(schema),
                required=bool(header.get("required")),
                nullable=nullable,
                constraints=tuple(_constraints(schema)),
                source=_source(header, schema),
                description=_description(header, schema),
                direction="response",
            )
        )

    body = _resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])
    rules: dict[str, list[str]] = {}
    for rule in body.get("x-leanrails-rules", ()):
        param = str(rule["param"]).replace("[i]", "[]").removesuffix("[]")
        rules.setdefault(param, []).append(" ".join(str(rule["rule"]).split()))
    fields += _walk(spec, "request", body, "", rules)

    session = ok["content"]["application/json"]["schema"]
    fields += _walk(spec, "response", session, "", {})

    error = _resolve(spec, components["schemas"]["ErrorResponse"])
    fields += _walk(spec, "error", error["properties"]["error"], "", {})
    return fields


# --------------------------------------------------------------------------- notebooks

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def markdown_headings(source: str) -> list[tuple[int, str]]:
    """(level, text) of the ATX headings of one Markdown cell, skipping fenced code."""
    headings: list[tuple[int, str]] = []
    fence: str | None = None
    for line in source.splitlines():
        opening = _FENCE.match(line)
        if opening:
            marker = opening.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        if fence is None:
            match = _HEADING.match(line)
            if match:
                headings.append((len(match.group(1)), match.group(2).strip()))
    return headings


def _source_text(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


@dataclass
class Section:
    """A heading in a notebook, with the code of the cells under it."""

    notebook: str
    level: int
    text: str
    anchor: str
    code: list[str] = field(default_factory=list)


def notebook_sections(notebook: Path) -> list[Section]:
    """The sections of a notebook, each with the code cells before the next sibling heading."""
    with notebook.open(encoding="utf-8") as stream:
        document = json.load(stream)
    sections: list[Section] = []
    open_sections: list[Section] = []
    for cell in document.get("cells", ()):
        source = _source_text(cell)
        if cell.get("cell_type") == "markdown":
            for level, text in markdown_headings(source):
                open_sections = [s for s in open_sections if s.level < level]
                section = Section(notebook.name, level, text, "")
                sections.append(section)
                open_sections.append(section)
        elif cell.get("cell_type") == "code":
            for section in open_sections:
                section.code.append(source)
    for section, anchor in zip(sections, unique_anchors([s.text for s in sections]), strict=True):
        section.anchor = anchor
    return sections


def guide_sections(directory: Path) -> list[Section]:
    """Every section of every notebook in ``directory``, in file order."""
    sections: list[Section] = []
    for notebook in sorted(directory.glob("*.ipynb")):
        sections += notebook_sections(notebook)
    return sections


def find_section(item: Field, sections: Sequence[Section]) -> Section | None:
    """The first section walking through ``item``: its heading, then code mentioning it."""
    for section in sections:
        if section.text == item.heading and any(item.mentioned_in(c) for c in section.code):
            return section
    return None


def coverage_problems(fields: Sequence[Field], sections: Sequence[Section]) -> list[str]:
    """One line per field that has no section, with a hint when a near-miss exists."""
    problems: list[str] = []
    for item in fields:
        if find_section(item, sections) is not None:
            continue
        named = [s for s in sections if s.text == item.heading]
        loose = [s for s in sections if s.text.strip("`* ") == item.heading]
        if named:
            where = ", ".join(f"{s.notebook}#{s.anchor}" for s in named)
            problems.append(
                f"{item.heading}: heading found ({where}) but no code cell under it "
                f"mentions {item.leaf!r}"
            )
        elif loose:
            problems.append(
                f"{item.heading}: heading {loose[0].text!r} in {loose[0].notebook} must be "
                "the plain text, without inline code or emphasis"
            )
        else:
            problems.append(f"{item.heading}: no notebook heading named {item.heading!r}")
    return problems


def notebooks_dir(config: Any) -> Path:
    """The directory mkdocs-jupyter mounts at ``guide/``."""
    base = Path(config["config_file_path"]).parent
    try:
        mounts = config["plugins"]["mkdocs-jupyter"].config["notebook_dirs"]
        return (base / mounts[GUIDE_MOUNT]).resolve()
    except (KeyError, TypeError):
        return (base / os.environ.get("LEANRAILS_NOTEBOOKS_DIR", "notebooks")).resolve()


# --------------------------------------------------------------------------- the page


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _row(item: Field, section: Section | None) -> str:
    name = f"`{item.path}`"
    if section is not None:
        name = f"[{name}]({GUIDE_MOUNT}/{section.notebook}#{section.anchor})"
    else:
        name += "<br>*(not yet in the guide)*"
    kind = f"{item.type} or null" if item.nullable else item.type
    rules = [item.description] if item.description else []
    if item.has_default:
        rules.append(f"Default `{_json(item.default)}`.")
    rules += [_capitalized(c if c.endswith(".") else f"{c}.") for c in item.constraints]
    source = {"reference": "reference", "inferred": "**inferred**"}.get(
        item.source, "**kit convention**"
    )
    cells = [name, kind, "yes" if item.required else "no", " ".join(rules), source]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _table(rows: Sequence[Field], linked: Mapping[int, Section | None]) -> list[str]:
    return [
        '<div class="field-reference" markdown>',
        "",
        "| Field | Type | Required | Description, default and constraints | Source |",
        "| --- | --- | --- | --- | --- |",
        *(_row(f, linked[id(f)]) for f in rows),
        "",
        "</div>",
        "",
    ]


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def render_page(fields: Sequence[Field], sections: Sequence[Section]) -> str:
    linked = {id(f): find_section(f, sections) for f in fields}
    covered = sum(1 for s in linked.values() if s is not None)
    lines = [
        "---",
        "hide:",
        "  - navigation",
        "---",
        "",
        "# Field reference",
        "",
        "Generated at build time from the kit's contract, `src/leanrails/openapi.yaml`, "
        "which transcribes the LeanRails reference page *Create a Checkout Session*. "
        "Each name links to the guide's section that walks through it: what the reference "
        "says, a working example, the error a bad value gets, and what it changes in the "
        "response.",
        "",
        '!!! info "Reading the tables"',
        "",
        "    - **Type** says *or null* where the field may be null.",
        "    - **Required** is relative to the enclosing object: "
        "`line_items[].price_data.currency` is required whenever `price_data` is given.",
        "    - **Source**: *reference* is what the reference states. *Kit convention* is a "
        "rule or value the kit adds where the reference is silent, following Stripe "
        "(`x-leanrails-convention`, or the contract's description says so). *Inferred* is an "
        "enumeration inferred from the reference's single example value "
        "(`x-leanrails-inferred`). The [sandbox conventions](sandbox.md) page explains them.",
        "    - Paths use the API's form: `[]` stands for each item of an array, as in "
        "`line_items[].quantity`; an error's `param` names the item, as in "
        "`line_items[0].quantity`.",
        "",
        f"The guide walks through **{covered} of {len(fields)}** entries.",
        "",
    ]
    headers = [f for f in fields if f.kind == "header"]
    lines += ["## Headers", ""]
    for direction in ("request", "response"):
        rows = [f for f in headers if f.direction == direction]
        if rows:
            lines += [f"### {_capitalized(direction)} headers", "", *_table(rows, linked)]
    lines += [
        "## Request body parameters",
        "",
        "The JSON body of `POST /v1/checkout_sessions`.",
        "",
    ]
    lines += _table([f for f in fields if f.kind == "request"], linked)
    lines += [
        "## Response fields",
        "",
        "The `200` body of `POST /v1/checkout_sessions`: a `CheckoutSession`.",
        "",
        *_table([f for f in fields if f.kind == "response"], linked),
        "## Error body fields",
        "",
        'Every error answers `{"error": {...}}` with these fields. The reference shows no '
        "error format; this Stripe-style body is a **kit convention**.",
        "",
        *_table([f for f in fields if f.kind == "error"], linked),
        "## How the guide names its sections",
        "",
        "A notebook section about a field is a Markdown heading whose text is exactly:",
        "",
        "| Kind | Heading text | Example | Anchor |",
        "| --- | --- | --- | --- |",
        "| header | its name | `Idempotency-Key` | `#idempotency-key` |",
        "| request parameter | its path | `line_items[].price_data.currency` "
        "| `#line_items-price_data-currency` |",
        "| response field | `response.` + its path | `response.total_details.amount_tax` "
        "| `#response-total_details-amount_tax` |",
        "| error-body field | `error.` + its name | `error.param` | `#error-param` |",
        "",
        "followed, within the section, by a code cell that uses the field. "
        "`tests/test_notebooks.py` checks this for every entry above.",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- hook events


def on_config(config: Any) -> Any:
    # Install the field-path-aware slugify for every page, notebooks included.
    toc_config = config["mdx_configs"].setdefault("toc", {})
    toc_config["slugify"] = slugify
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    directory = notebooks_dir(config)
    fields = contract_fields()
    sections = guide_sections(directory) if directory.is_dir() else []
    for problem in coverage_problems(fields, sections):
        log.warning("field reference: %s", problem)  # strict builds fail on it
    files.append(File.generated(config, PAGE, content=render_page(fields, sections)))
    return files
