"""Findings, grouped by contract entry, as Markdown and as JSON.

A finding is one way the server differs, however many requests or notebook cells show
it: observations with the same entry and kind are merged, and each keeps a few examples.
Each finding says which sides of the kit it affects: the contract (``openapi.yaml``),
the models (``leanrails.CheckoutSessionCreateParams`` / ``leanrails.CheckoutSession``),
the sandbox, and the guide sections that document the entry or show the difference.
A finding on a kit convention is reported apart: the server *differs from the kit's
convention*, which is advice; it has not drifted from the reference.

The Markdown report treats every string in it as text: :func:`md` escapes what Markdown or
HTML would read (``#``, ``<script>``, links, emphasis), and what reaches the terminal has
no control character left (:func:`._server.plain` on the way in, :func:`_printable` at the
end). The key is masked in every form it could take (:func:`._server.scrub`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._guide import CellResult
from ._judge import CONTRACT, GUIDE, MODELS, SANDBOX, Observation
from ._server import scrub

EXAMPLES_KEPT = 3
CELLS_SHOWN = 6


_MARKDOWN = re.compile(r"[\\`*<>#|~&\[\]]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def md(text: object) -> str:
    """``text`` as literal Markdown text: every character Markdown or HTML reads escaped."""
    return _MARKDOWN.sub(lambda m: "\\" + m.group(0), str(text).replace("\n", " "))


def _printable(text: str) -> str:
    """No control or bidi character left, whatever reached the text (lines kept)."""
    return _CONTROL.sub("", text)


def slugify(heading: str) -> str:
    """The guide site's anchor of a heading (the field reference's slugify)."""
    value = heading.replace("[]", "").replace(".", " ")
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(r"[-\s]+", "-", value).strip("-")


@dataclass
class Finding:
    entry: str
    kind: str
    summary: str
    convention: bool
    sides: set[str] = field(default_factory=set)
    seen: int = 0
    examples: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)

    def add(self, obs: Observation) -> None:
        self.seen += 1
        self.sides |= obs.sides
        if obs.evidence not in self.examples and len(self.examples) < EXAMPLES_KEPT:
            self.examples.append(obs.evidence)

    def affects(self) -> dict[str, Any]:
        where: dict[str, Any] = {}
        if CONTRACT in self.sides:
            where[CONTRACT] = _contract_place(self.entry)
        if MODELS in self.sides:
            where[MODELS] = _model_place(self.entry)
        if SANDBOX in self.sides:
            where[SANDBOX] = "leanrails.sandbox answers otherwise"
        if self.sections or self.cells:
            notebooks = dict.fromkeys(cell.split(" cell ")[0] for cell in self.cells)
            where[GUIDE] = self.sections or [f"{name} (cells below)" for name in notebooks]
        return where


def _contract_place(entry: str) -> str:
    if entry.startswith("response."):
        return f"openapi.yaml: CheckoutSession.{entry.removeprefix('response.')}"
    if entry.startswith("error.") or entry == "HTTP status":
        return f"openapi.yaml: ErrorObject{entry.removeprefix('error')} (kit convention)"
    if entry in ("Request-Id", "Idempotency-Key", "Idempotent-Replayed", "Authorization"):
        return f"openapi.yaml: {entry}"
    return f"openapi.yaml: CheckoutSessionCreateParams {entry}"


def _model_place(entry: str) -> str:
    if entry.startswith("response."):
        return f"leanrails.CheckoutSession.{entry.removeprefix('response.').split('.')[0]}"
    if entry.startswith("error."):
        return "leanrails.APIStatusError"
    return f"leanrails.CheckoutSessionCreateParams ({entry})"


class Findings:
    """Observations merged into findings, and guide cells tied to them."""

    def __init__(self, sections: dict[str, list[str]]) -> None:
        self._by_key: dict[tuple[str, str], Finding] = {}
        self._sections = sections

    def __iter__(self) -> Any:
        return iter(sorted(self._by_key.values(), key=lambda f: (f.entry, f.kind)))

    def fold(self) -> None:
        """Fold a finding into one of the same kind on an entry that contains it.

        A server that accepts ``recurring`` also accepts a bad ``recurring.interval``:
        that is one drift, reported once, at the outer entry. Outer entries are looked up by
        name, not by comparing every pair of findings: a server can answer with a hundred
        thousand fields, each a finding of its own.
        """
        rank = {key: n for n, key in enumerate(self._by_key)}
        for key, finding in sorted(self._by_key.items(), key=lambda kv: -len(kv[0][0])):
            entry = finding.entry
            outers = [
                (entry[:i], finding.kind)
                for i in range(len(entry))
                if entry[i] == "." or entry.startswith("[]", i)
            ]
            present = [outer for outer in outers if outer in self._by_key]
            if not present:
                continue
            outer = self._by_key[min(present, key=rank.__getitem__)]
            outer.seen += finding.seen
            outer.sides |= finding.sides
            outer.examples += [e for e in finding.examples if e not in outer.examples][
                : max(0, EXAMPLES_KEPT + 2 - len(outer.examples))
            ]
            outer.cells += [c for c in finding.cells if c not in outer.cells]
            del self._by_key[key]

    def __len__(self) -> int:
        return len(self._by_key)

    def add(self, obs: Observation) -> Finding:
        finding = self._by_key.get(obs.key)
        if finding is None:
            finding = Finding(obs.entry, obs.kind, obs.summary, obs.convention)
            finding.sections = list(self._sections.get(obs.entry, []))
            if finding.sections:
                finding.sides.add(GUIDE)
            self._by_key[obs.key] = finding
        finding.add(obs)
        return finding

    def add_cells(self, cells: list[CellResult]) -> None:
        """Add the drift in the guide's requests, and tie each differing cell to findings.

        A cell is tied to the findings its cause showed (its own requests, or earlier ones of
        its notebook), or to its notebook's earlier differing cell, or else it is a finding
        of its own: the guide's output differs with no drift in what the server sent.
        """
        for cell in cells:
            for exchange in cell.exchanges:
                for obs in exchange.observations:
                    self.add(obs)
        roots: dict[tuple[str, int], list[Finding]] = {}
        for cell in cells:
            if cell.status != "differs":
                continue
            if cell.follows is not None and (cell.notebook, cell.follows) in roots:
                targets = roots[(cell.notebook, cell.follows)]
            else:
                keys = {obs.key for exchange in cell.causes for obs in exchange.observations}
                targets = [self._by_key[key] for key in sorted(keys)]
                if not targets:
                    targets = [self._guide_finding(cell)]
                roots[(cell.notebook, cell.index)] = targets
            label = f"{cell.where}{_section(cell.section)}: {cell.detail}"
            for finding in targets:
                finding.sides.add(GUIDE)
                if label not in finding.cells:
                    finding.cells.append(label)

    def _guide_finding(self, cell: CellResult) -> Finding:
        key = (f"guide: {cell.notebook}", f"cell {cell.index}")
        finding = self._by_key.get(key)
        if finding is None:
            finding = Finding(
                key[0],
                key[1],
                "the guide's output differs, with no drift in the requests it sent",
                convention=False,
                sides={GUIDE},
            )
            self._by_key[key] = finding
        finding.seen += 1
        return finding


def _link(section: str, heading: str) -> str:
    """``03_x.ipynb#line_items-price`` as a Markdown link relative to the repository."""
    if "#" not in section:
        return md(section)
    target = re.sub(r"[^\w.#-]", "", section)
    return f"[{md(section.partition('#')[0])} § {md(heading)}](notebooks/{target})"


def _section(section: str) -> str:
    return f" (§ {section})" if section else ""


def guide_sections(notebooks: Iterable[Path]) -> dict[str, list[str]]:
    """Heading text -> the guide sections with that exact heading (the anchor scheme)."""
    found: dict[str, list[str]] = {}
    for path in notebooks:
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") != "markdown":
                continue
            source = "".join(cell.get("source", ""))
            for match in re.finditer(r"(?m)^#{1,6}\s+(.+?)\s*#*\s*$", source):
                heading = match.group(1)
                found.setdefault(heading, []).append(f"{path.name}#{slugify(heading)}")
    return found


@dataclass
class Report:
    base_url: str
    key: str
    findings: Findings
    requests: int
    seconds: float
    seed: int
    counts: dict[str, Any]
    not_checked: list[str]
    incomplete: str | None

    def drift(self) -> list[Finding]:
        return [f for f in self.findings if not f.convention]

    def conventions(self) -> list[Finding]:
        return [f for f in self.findings if f.convention]

    @property
    def exit_code(self) -> int:
        if self.drift():
            return 1
        if self.incomplete:
            return 3
        return 4 if self.conventions() else 0

    @property
    def verdict(self) -> str:
        if self.drift():
            return "drift"
        if self.incomplete:
            return "incomplete"
        return "differs from conventions" if self.conventions() else "clean"

    def to_json(self) -> str:
        data = {
            "server": self.base_url,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "requests": self.requests,
            "seconds": round(self.seconds, 1),
            "seed": self.seed,
            "checked": self.counts,
            "incomplete": self.incomplete,
            "findings": [
                {
                    "entry": f.entry,
                    "kind": f.kind,
                    "summary": f.summary,
                    "kit_convention": f.convention,
                    "affects": f.affects(),
                    "seen": f.seen,
                    "examples": f.examples,
                    "guide_cells": f.cells,
                }
                for f in self.findings
            ],
            "not_checked": self.not_checked,
        }
        return scrub(json.dumps(data, indent=2, ensure_ascii=True), self.key) + "\n"

    def to_markdown(self) -> str:
        drift, conventions = self.drift(), self.conventions()
        lines = [f"# Conformance of {md(self.base_url)}", ""]
        if drift:
            lines.append(
                f"**Drift: {_plural(len(drift), 'finding')}.** The server differs from what "
                "the kit documents; each finding below names the contract entry, what "
                "differs, and which side of the kit it affects."
            )
        elif self.incomplete:
            lines.append(f"**No drift found, but the run is incomplete:** {md(self.incomplete)}.")
        else:
            lines.append(
                "**No drift.** The server agrees with the reference's rules in the contract, "
                "the kit's sandbox and the guide."
            )
        if conventions:
            lines += [
                "",
                f"The server differs from {_plural(len(conventions), 'kit convention')}: "
                "rules the reference is silent on, where the kit follows Stripe. That is "
                "advice, not drift (see below).",
            ]
        lines += [
            "",
            f"{self.requests} requests to the server in {self.seconds:.1f} s "
            f"(seed {self.seed}: `--seed {self.seed}` sends the same requests).",
            "",
            "| Part | Checked |",
            "| --- | --- |",
        ]
        lines += [f"| {md(part)} | {md(text)} |" for part, text in self.counts.items()]
        for title, group in (
            ("Findings", drift),
            ("Differs from the kit's conventions", conventions),
        ):
            if group:
                lines += ["", f"## {title}", ""]
                lines += [f"- **{md(f.entry)}**: {md(f.summary)}" for f in group]
                lines += self._details(group)
        if self.not_checked:
            lines += [
                "",
                "## Not checked",
                "",
                "These guide cells were not compared: they need something conformance never "
                "sends to this server (a fault, the hosted page's form, or a test helper the "
                "server does not offer), or they differ only after such a cell:",
                "",
            ]
            lines += [f"- {md(item)}" for item in self.not_checked]
        return _printable(scrub("\n".join(lines), self.key)) + "\n"

    def _details(self, findings: list[Finding]) -> list[str]:
        lines: list[str] = []
        current = None
        for f in findings:
            if f.entry != current:
                lines += ["", f"### {md(f.entry)}"]
                current = f.entry
            lines += ["", f"**{md(f.summary[0].upper() + f.summary[1:])}.**", ""]
            for side, place in f.affects().items():
                if side == GUIDE:
                    shown = ", ".join(_link(section, f.entry) for section in place)
                    lines.append(f"- Affects the guide: {shown}")
                else:
                    lines.append(f"- Affects the {side}: {md(place)}")
            if f.cells:
                lines.append(f"- Shown by {len(f.cells)} guide cell(s):")
                lines += [f"    - {md(cell)}" for cell in f.cells[:CELLS_SHOWN]]
                if len(f.cells) > CELLS_SHOWN:
                    lines.append(f"    - and {len(f.cells) - CELLS_SHOWN} more (see --json)")
            if f.seen:
                lines.append(f"- Seen {_plural(f.seen, 'time')}, for example:")
                lines += [f"    - {md(example)}" for example in f.examples]
        return lines


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"
