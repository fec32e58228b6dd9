"""Findings, grouped by contract entry, as Markdown and as JSON.

A finding is one way the server differs, however many requests or notebook cells show
it: observations with the same entry and kind are merged, and each keeps a few examples.
Each finding says which sides of the kit it affects: the contract (``openapi.yaml``),
the models (``leanrails.CheckoutSessionCreateParams`` / ``leanrails.CheckoutSession``),
the sandbox, and the guide sections that document the entry or show the difference.
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
from ._observations import CONTRACT, GUIDE, MODELS, SANDBOX, Observation
from ._safety import scrub

EXAMPLES_KEPT = 3
CELLS_SHOWN = 6


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
        that is one drift, reported once, at the outer entry.
        """
        for key, finding in sorted(self._by_key.items(), key=lambda kv: -len(kv[0][0])):
            outer = next(
                (
                    other
                    for other in self._by_key.values()
                    if other.kind == finding.kind
                    and other is not finding
                    and finding.entry.startswith((f"{other.entry}.", f"{other.entry}[]"))
                ),
                None,
            )
            if outer is None:
                continue
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
        return section
    return f"[{section.partition('#')[0]} § {heading}](notebooks/{section})"


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

    @property
    def exit_code(self) -> int:
        if len(self.findings):
            return 1
        return 3 if self.incomplete else 0

    @property
    def verdict(self) -> str:
        if len(self.findings):
            return "drift"
        return "incomplete" if self.incomplete else "clean"

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
        return scrub(json.dumps(data, indent=2, ensure_ascii=False), self.key) + "\n"

    def to_markdown(self) -> str:
        lines = [f"# Conformance of {self.base_url}", ""]
        total = len(self.findings)
        if total:
            lines.append(
                f"**Drift: {total} finding{'s' if total != 1 else ''}.** The server differs "
                "from what the kit documents; each finding below names the contract entry, "
                "what differs, and which side of the kit it affects."
            )
        elif self.incomplete:
            lines.append(f"**No drift found, but the run is incomplete:** {self.incomplete}.")
        else:
            lines.append(
                "**No drift.** The server agrees with the contract, the kit's sandbox and "
                "the guide."
            )
        lines += [
            "",
            f"{self.requests} requests to the server in {self.seconds:.1f} s "
            f"(hypothesis seed {self.seed}: `--seed {self.seed}` sends the same requests).",
            "",
            "| Part | Checked |",
            "| --- | --- |",
        ]
        for part, text in self.counts.items():
            lines.append(f"| {part} | {text} |")
        if total:
            lines += ["", "## Findings", ""]
            for f in self.findings:
                lines.append(f"- **{f.entry}**: {f.summary}")
            current = None
            for f in self.findings:
                if f.entry != current:
                    lines += ["", f"## {f.entry}"]
                    current = f.entry
                lines += ["", f"**{f.summary[0].upper()}{f.summary[1:]}.**", ""]
                for side, place in f.affects().items():
                    if side == GUIDE:
                        shown = ", ".join(_link(section, f.entry) for section in place)
                        lines.append(f"- Affects the guide: {shown}")
                    else:
                        lines.append(f"- Affects the {side}: {place}")
                if f.cells:
                    lines.append(f"- Shown by {len(f.cells)} guide cell(s):")
                    lines += [f"    - {cell}" for cell in f.cells[:CELLS_SHOWN]]
                    if len(f.cells) > CELLS_SHOWN:
                        lines.append(f"    - and {len(f.cells) - CELLS_SHOWN} more (see --json)")
                if f.seen:
                    lines.append(f"- Seen {f.seen} time{'s' if f.seen != 1 else ''}, for example:")
                    lines += [f"    - {example}" for example in f.examples]
        if self.not_checked:
            lines += [
                "",
                "## Not checked",
                "",
                "These guide cells were not compared. Conformance never completes a session "
                "or injects a fault on the server, so cells that need a sandbox test helper "
                "are held back, and later cells of their notebook that differ may only "
                "follow from that:",
                "",
            ]
            lines += [f"- {item}" for item in self.not_checked]
        return scrub("\n".join(lines), self.key) + "\n"
