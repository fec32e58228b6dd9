"""The guide's notebooks: hygiene, coverage of the contract, and no secrets.

- Hygiene: each committed notebook carries its outputs and execution counts (1, 2, 3, ...
  as a fresh "restart and run all" gives them), the kernelspec and language_info JupyterLab
  writes on save, and no volatile metadata. ``make nb-normalize`` strips the volatile
  metadata.
- Coverage: every header, request parameter (nested ones included), response field and
  error-body field of ``openapi.yaml`` has a notebook section, named by the anchor scheme of
  ``leanrails_docs.guide`` (docs/_tools), with a code cell that uses it.
- Example cells: each runs on its own, in a fresh interpreter, after only its notebook's
  setup cell (``_support.notebook_cells``), as a reader pasting it into their own code would run it.
- Secrets: no notebook contains anything shaped like an API key but the sandbox's
  documented test key. (The built site gets the same check in ``test_docs.py``.)

The checks run on whatever notebooks exist. Each one is itself tested against small
notebooks written to a temporary directory, so a passing check means something.
strict nbval (the outputs themselves) runs over ``notebooks/`` in the same pytest run.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import leanrails_docs.guide as fr
import markdown
import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

from _support import notebook_cells

pytestmark = pytest.mark.docs

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = Path(os.environ.get("LEANRAILS_NOTEBOOKS_DIR", ROOT / "notebooks"))
SANITIZE = ROOT / "notebooks" / "sanitize.cfg"


def committed_notebooks() -> list[Path]:
    """The guide's notebooks (a scratch notebook saved beside them is not one)."""
    return [NOTEBOOKS / name for name in fr.GUIDE_NOTEBOOKS if (NOTEBOOKS / name).is_file()]


# ============================================================================ hygiene

# What JupyterLab writes on save, from the kernel: kept, so that opening, running and saving a
# guide notebook changes nothing (``make nb-normalize`` keeps it too).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO_KEYS = {
    "codemirror_mode",
    "file_extension",
    "mimetype",
    "name",
    "nbconvert_exporter",
    "pygments_lexer",
    "version",
}
ALLOWED_NOTEBOOK_METADATA = {"kernelspec": set(KERNELSPEC), "language_info": LANGUAGE_INFO_KEYS}
ALLOWED_CELL_METADATA = {"tags"}
VOLATILE_MIME_TYPES = {"application/vnd.jupyter.widget-view+json"}


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def hygiene_problems(notebook: dict[str, Any]) -> list[str]:
    """What keeps a notebook from being committed: missing outputs, volatile metadata."""
    problems: list[str] = []
    try:
        nbformat.validate(nbformat.from_dict(copy.deepcopy(notebook)))
    except nbformat.ValidationError as exc:
        problems.append(f"not a valid nbformat 4 notebook: {exc.message}")

    metadata = notebook.get("metadata", {})
    for key, value in metadata.items():
        if key not in ALLOWED_NOTEBOOK_METADATA:
            problems.append(f"notebook metadata {key!r} is volatile or editor-specific")
        elif isinstance(value, dict):
            extra = sorted(set(value) - ALLOWED_NOTEBOOK_METADATA[key])
            if extra:
                problems.append(f"notebook metadata {key} has volatile keys {extra}")
    if metadata.get("kernelspec") != KERNELSPEC:
        problems.append(f"notebook kernelspec is not {KERNELSPEC} (JupyterLab's default kernel)")
    missing = sorted(LANGUAGE_INFO_KEYS - set(metadata.get("language_info", {})))
    if missing:
        problems.append(
            f"notebook language_info lacks {missing}, which the kernel fills in: JupyterLab "
            "would mark the notebook changed (re-execute it, then make nb-normalize)"
        )

    counts: list[int] = []
    has_output = False
    for index, cell in enumerate(notebook.get("cells", ())):
        where = f"cell {index} ({cell.get('cell_type')})"
        extra = sorted(set(cell.get("metadata", {})) - ALLOWED_CELL_METADATA)
        if extra:
            problems.append(f"{where}: volatile cell metadata {extra}")
        if cell.get("cell_type") != "code":
            continue
        if not _source(cell).strip():
            problems.append(f"{where}: empty code cell (make nb-normalize drops it)")
            continue
        count = cell.get("execution_count")
        if not isinstance(count, int):
            problems.append(f"{where}: not executed (no execution count)")
        else:
            counts.append(count)
        for output in cell.get("outputs", ()):
            has_output = True
            if (
                output.get("output_type") == "execute_result"
                and output.get("execution_count") != count
            ):
                problems.append(f"{where}: output's execution count differs from the cell's")
            volatile = VOLATILE_MIME_TYPES & set(output.get("data", {}))
            if volatile:
                problems.append(f"{where}: widget output {sorted(volatile)} (widget state)")
    if counts and counts != list(range(1, len(counts) + 1)):
        problems.append(
            f"execution counts are {counts}, not 1..{len(counts)} in order: restart the "
            "kernel and run all cells"
        )
    if not has_output:
        problems.append("no cell carries an output: run the notebook before committing it")
    return problems


@pytest.mark.parametrize("path", committed_notebooks(), ids=lambda p: p.name)
def test_committed_notebook_has_outputs_and_counts_and_no_volatile_metadata(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))

    assert hygiene_problems(notebook) == []


def _new_notebook(cells: list[Any]) -> dict[str, Any]:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {
        "kernelspec": dict(KERNELSPEC),
        "language_info": {
            "codemirror_mode": {"name": "ipython", "version": 3},
            "file_extension": ".py",
            "mimetype": "text/x-python",
            "name": "python",
            "nbconvert_exporter": "python",
            "pygments_lexer": "ipython3",
            "version": "3.12.1",
        },
    }
    notebook.cells = cells
    written: dict[str, Any] = json.loads(nbformat.writes(notebook))
    return written


def _executed_notebook() -> dict[str, Any]:
    return _new_notebook(
        [
            nbformat.v4.new_markdown_cell("# A notebook"),
            nbformat.v4.new_code_cell("x = 1 + 1\nx", execution_count=1, outputs=[_result(1, "2")]),
            nbformat.v4.new_code_cell(
                "print(x)",
                execution_count=2,
                outputs=[nbformat.v4.new_output("stream", name="stdout", text="2\n")],
            ),
        ]
    )


def _result(count: int, text: str) -> Any:
    return nbformat.v4.new_output(
        "execute_result", data={"text/plain": text}, execution_count=count
    )


def test_hygiene_accepts_an_executed_notebook_with_only_stable_metadata() -> None:
    assert hygiene_problems(_executed_notebook()) == []


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(notebook: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = notebook
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = value

    return mutate


def _drop_outputs(notebook: dict[str, Any]) -> None:
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_set("cells.1.execution_count", None), "not executed"),
        (_set("cells.1.execution_count", 7), "not 1..2 in order"),
        (_set("cells.1.outputs.0.execution_count", 5), "output's execution count"),
        (_drop_outputs, "no cell carries an output"),
        (_set("cells.2.source", "   "), "empty code cell"),
        (
            _set(
                "cells.1.metadata.execution",
                {"iopub.execute_input": "2026-11-26T03:00:00.000Z"},
            ),
            "volatile cell metadata ['execution']",
        ),
        (_set("cells.0.metadata.collapsed", False), "volatile cell metadata ['collapsed']"),
        (_set("metadata.widgets", {"state": {}}), "'widgets' is volatile"),
        (_set("metadata.language_info", {"name": "python"}), "language_info lacks"),
        (_set("metadata.kernelspec.env", {"A": "1"}), "volatile keys ['env']"),
        (_set("metadata.kernelspec.display_name", "Python 3"), "JupyterLab's default kernel"),
        (
            _set("cells.1.outputs.0.data", {"application/vnd.jupyter.widget-view+json": {}}),
            "widget output",
        ),
    ],
    ids=[
        "no-count",
        "counts-out-of-order",
        "output-count",
        "no-outputs",
        "empty-code-cell",
        "execution-timings",
        "ui-state",
        "widget-state",
        "language-info-stripped",
        "kernel-specific",
        "kernel-renamed",
        "widget-output",
    ],
)
def test_hygiene_rejects_a_notebook_that_is_unrun_or_carries_volatile_metadata(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    notebook = _executed_notebook()
    mutate(notebook)

    problems = hygiene_problems(notebook)

    assert any(expected in problem for problem in problems), problems


@pytest.mark.lab
@pytest.mark.timeout(180)
def test_make_nb_normalize_turns_an_executed_notebook_into_a_clean_one(tmp_path: Path) -> None:
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Normalize me"),
        nbformat.v4.new_code_cell("1 + 1"),
        nbformat.v4.new_code_cell(""),
        nbformat.v4.new_code_cell("raise ValueError('the lesson')", metadata={"tags": []}),
    ]
    notebook.cells[-1].metadata["tags"] = ["raises-exception"]
    NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    notebook.cells[1].metadata["collapsed"] = False
    notebook.cells[1].metadata["jupyter"] = {"outputs_hidden": False}
    path = tmp_path / "messy.ipynb"
    nbformat.write(notebook, path)
    before = json.loads(path.read_text(encoding="utf-8"))
    assert any("execution" in p for p in hygiene_problems(before))  # nbclient's timings
    assert any("widgets" in p for p in hygiene_problems(before))

    subprocess.run(
        ["make", "--no-print-directory", "-s", "nb-normalize", f"NB_FILES={path}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )

    after = json.loads(path.read_text(encoding="utf-8"))
    assert hygiene_problems(after) == []
    code = [cell for cell in after["cells"] if cell["cell_type"] == "code"]
    assert [cell["execution_count"] for cell in code] == [1, 2]  # the empty cell is gone
    assert "".join(code[0]["outputs"][0]["data"]["text/plain"]) == "2"
    assert code[1]["outputs"][0]["ename"] == "ValueError"
    assert code[1]["metadata"] == {"tags": ["raises-exception"]}
    assert set(after["metadata"]["language_info"]) == LANGUAGE_INFO_KEYS  # as JupyterLab saves


# ============================================================================ coverage


def test_every_contract_field_has_a_notebook_section_with_code_that_uses_it() -> None:
    fields = fr.contract_fields()
    problems = fr.coverage_problems(fields, fr.guide_sections(NOTEBOOKS))
    covered = len(fields) - len(problems)
    summary = f"{covered} of {len(fields)} contract entries have a notebook section"
    assert not problems, summary + ". Missing:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("line_items[].price_data.currency", "line_items-price_data-currency"),
        ("response.customer_details.address.city", "response-customer_details-address-city"),
        ("Idempotency-Key", "idempotency-key"),
        ("X-API-Version", "x-api-version"),
        ("error.param", "error-param"),
        ("What the reference says", "what-the-reference-says"),
    ],
)
def test_anchor_scheme_slugs_field_paths_readably(heading: str, anchor: str) -> None:
    assert fr.slugify(heading) == anchor


def test_anchors_computed_for_a_notebook_match_python_markdowns_toc() -> None:
    headings = [
        "Quickstart",
        "line_items[].price_data.currency",
        "line_items[].price_data.currency",
        "response.total_details.amount_tax",
        "Idempotency-Key",
    ]
    md = markdown.Markdown(extensions=["toc"], extension_configs={"toc": {"slugify": fr.slugify}})
    html = md.convert("\n\n".join(f"## {text}" for text in headings))

    assert re.findall(r'id="([^"]+)"', html) == fr.unique_anchors(headings)
    tokens = md.toc_tokens  # type: ignore[attr-defined]  # set by the toc extension
    assert [token["name"] for token in tokens] == headings  # the text survives Markdown


def _guide_notebook(directory: Path, name: str, cells: list[Any]) -> Path:
    path = directory / name
    nbformat.write(nbformat.from_dict(_new_notebook(cells)), path)
    return path


def test_coverage_finds_sections_named_by_the_scheme_with_code_that_uses_the_field(
    tmp_path: Path,
) -> None:
    md: Callable[[str], Any] = nbformat.v4.new_markdown_cell
    code: Callable[[str], Any] = nbformat.v4.new_code_cell
    _guide_notebook(
        tmp_path,
        "04_request_parameters.ipynb",
        [
            md("# Request parameters\n\n## line_items[].price_data.currency\n\nQuote."),
            code("params = {'currency': 'usd'}"),
            md("### Idempotency-Key"),
            code("client.checkout_sessions.create(idempotency_key='k')"),
            md("## response.total_details.amount_tax\n\n```python\n# ## not a heading\n```"),
            code("session.total_details.amount_tax"),
            md("## error.param"),
            code("error.param"),
        ],
    )
    fields = fr.contract_fields()
    sections = fr.guide_sections(tmp_path)

    missing = {line.split(":")[0] for line in fr.coverage_problems(fields, sections)}

    found = {
        "line_items[].price_data.currency",
        "Idempotency-Key",
        "response.total_details.amount_tax",
        "error.param",
    }
    assert not found & missing
    assert len(missing) == len(fields) - len(found)
    section = fr.find_section(
        next(f for f in fields if f.path == "line_items[].price_data.currency"), sections
    )
    assert section is not None
    assert (section.notebook, section.anchor) == (
        "04_request_parameters.ipynb",
        "line_items-price_data-currency",
    )


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (
            [("md", "## `customer_email`"), ("code", "customer_email='a@b.c'")],
            "without inline code",
        ),
        ([("md", "## customer_email"), ("code", "print('nothing relevant')")], "no code cell"),
        (
            [("md", "## customer_email"), ("md", "## mode"), ("code", "customer_email='a@b.c'")],
            "no code cell",
        ),
        ([("md", "## Customer email"), ("code", "customer_email='a@b.c'")], "no notebook heading"),
        ([("md", "## response.customer_email"), ("code", "customer_email")], "no notebook heading"),
    ],
    ids=["inline-code", "code-not-using-it", "code-in-next-section", "prose-heading", "wrong-kind"],
)
def test_coverage_rejects_a_section_that_does_not_follow_the_scheme(
    tmp_path: Path, cells: list[tuple[str, str]], expected: str
) -> None:
    new: dict[str, Callable[[str], Any]] = {
        "md": nbformat.v4.new_markdown_cell,
        "code": nbformat.v4.new_code_cell,
    }
    _guide_notebook(tmp_path, "04_request_parameters.ipynb", [new[k](s) for k, s in cells])
    field = next(
        f for f in fr.contract_fields() if (f.kind, f.path) == ("request", "customer_email")
    )

    (problem,) = fr.coverage_problems([field], fr.guide_sections(tmp_path))

    assert expected in problem


def test_header_sections_accept_the_python_keyword_form_of_the_header(tmp_path: Path) -> None:
    md: Callable[[str], Any] = nbformat.v4.new_markdown_cell
    code: Callable[[str], Any] = nbformat.v4.new_code_cell
    _guide_notebook(
        tmp_path,
        "02_authentication_and_headers.ipynb",
        [md("## X-API-Version"), code("client = LeanRails.sandbox(api_version='2026-11-01')")],
    )
    field = next(f for f in fr.contract_fields() if f.path == "X-API-Version")

    assert fr.coverage_problems([field], fr.guide_sections(tmp_path)) == []


# ============================================================================ secrets


def allowed_secrets() -> set[str]:
    """The documented sandbox key, in the two forms a page may show it."""
    from leanrails.sandbox import TEST_API_KEY

    basic = base64.b64encode(f"{TEST_API_KEY}:".encode()).decode()
    return {TEST_API_KEY, basic}


_KEY_SHAPES = [
    re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]+"),
    re.compile(r"\bwhsec_[A-Za-z0-9+/=]{8,}"),
    re.compile(r"\bBearer\s+[A-Za-z0-9._~+/=-]{16,}"),
]
_BASIC = re.compile(r"\bBasic\s+([A-Za-z0-9+/]{4,}={0,2})")
_CURL_USER = re.compile(r"(?:\s-u|--user)\s+['\"]?([^\s'\":]+):")


def key_shaped_strings(text: str, allowed: set[str]) -> list[str]:
    """Every substring of ``text`` shaped like a credential, except the allowed ones.

    Line-break opportunities (``<wbr>``, which the kit's display and the site put after
    ``_``) are taken out first: ``sk_live_<wbr>abc`` is still a key.
    """
    text = text.replace("<wbr>", "").replace("<wbr/>", "")
    found = [m.group(0) for shape in _KEY_SHAPES for m in shape.finditer(text)]
    for match in _BASIC.finditer(text):
        try:
            decoded = base64.b64decode(match.group(1), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            continue
        if ":" in decoded and decoded.isprintable():
            found.append(match.group(1))
    for match in _CURL_USER.finditer(text):
        user = match.group(1)
        if not user.startswith("$"):
            found.append(user)
    return sorted({value for value in found if value not in allowed})


@pytest.mark.parametrize("path", committed_notebooks(), ids=lambda p: p.name)
def test_committed_notebook_shows_no_key_but_the_sandbox_test_key(path: Path) -> None:
    assert key_shaped_strings(path.read_text(encoding="utf-8"), allowed_secrets()) == []


_MACHINE_FOLDER = re.compile(r"(?<![.:/<])/(?:work|home|root|tmp|Users|opt|usr|var)/[\w.-]+")


@pytest.mark.parametrize("path", committed_notebooks(), ids=lambda p: p.name)
def test_committed_notebook_names_no_folder_of_the_machine_that_ran_it(path: Path) -> None:
    # Tracebacks name the kit's and installed packages' files from leanrails/ and
    # site-packages/ (leanrails._jupyter), so the guide shows no developer's checkout.
    assert _MACHINE_FOLDER.findall(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "text",
    [
        "api_key='sk_live_51HqLyjWDarjtT1zdp7dc'",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "rk_live_abcdef123",
        "Authorization: Basic c2tfbGl2ZV9hYmNkZWY6",  # sk_live_abcdef:
        "Authorization: Basic dXNlcjpwYXNzd29yZA==",  # user:password
        "curl -u mysecretkey123: https://api.leanrails.com",
        "--user 'realkey:'",
        "whsec_abcdefgh12345678",
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0",
        "<code>sk_<wbr>live_<wbr>abcdef123</code>",
        '{"text/plain": "LeanRails(api_key=\\"sk_test_other\\")"}',
    ],
)
def test_secrets_check_finds_key_shaped_strings(text: str) -> None:
    assert key_shaped_strings(text, allowed_secrets()) != []


@pytest.mark.parametrize(
    "text",
    [
        "client = LeanRails(api_key='sk_test_sandbox')",
        "Authorization: Basic c2tfdGVzdF9zYW5kYm94Og==",  # sk_test_sandbox:
        'curl --user "$LEANRAILS_API_KEY:" https://sandbox.leanrails.test',
        "curl -u sk_test_sandbox: http://127.0.0.1:12111/v1/checkout_sessions",
        "Authorization: Basic ******** (key masked)",
        "HTTP Basic auth, with the key as username",
        "Basic <encoded-value>",
        "a test key starts with sk_test_ and a live key with sk_live_",
        "cs_test_a1b2_secret_c3d4 and price_test_tshirt and pi_test_x",
    ],
)
def test_secrets_check_allows_the_sandbox_key_masks_and_prose(text: str) -> None:
    assert key_shaped_strings(text, allowed_secrets()) == []


# ============================================================================ nbval sanitize


def _sanitize(text: str) -> str:
    for regex, replace in get_sanitize_patterns(SANITIZE.read_text(encoding="utf-8")):
        text = re.sub(regex, replace, text)
    return text


def test_sanitize_file_is_read_by_nbval_as_regex_replace_pairs() -> None:
    source = SANITIZE.read_text(encoding="utf-8")
    pairs = get_sanitize_patterns(source)

    assert len(pairs) == source.count("\nregex: ") >= 10
    for regex, _ in pairs:
        re.compile(regex)


@pytest.mark.parametrize(
    ("volatile", "sanitized"),
    [
        ("id='cs_test_8f3a9c0d1e2b4a5c6d7e8f90'", "id='cs_test_<ID>'"),
        ("cs_test_8f3a9c0d1e2b4a5c_secret_0a1b2c3d4e5f", "cs_test_<ID>_secret_<SECRET>"),
        ('"payment_intent": "pi_test_0a1b2c"', '"payment_intent": "pi_test_<ID>"'),
        ("customer='cus_test_77aa'", "customer='cus_test_<ID>'"),
        ("Request-Id: req_4f5e6d7c8b9a", "Request-Id: req_<ID>"),
        ("Original-Request: req_00ff", "Original-Request: req_<ID>"),
        ("Idempotency-Key: 3db8780d-294f-443c-97d5-d527f30218cd", "Idempotency-Key: <UUID>"),
        ('"created": 1764125000,', '"created": <UNIX_TIME>,'),
        (
            "(1764126800 to 1764210200; now is 1764125000)",
            "(<UNIX_TIME> to <UNIX_TIME>; now is <UNIX_TIME>)",
        ),
        ("at 2026-11-26T03:40:00.123+00:00", "at <DATETIME>"),
        ("on 2026-11-26", "on <DATE>"),
        ("Retry-After: Wed, 26 Nov 2026 03:40:00 GMT", "Retry-After: <HTTP_DATE>"),
        ("leanrails-python/0.1.0 httpx2/2.16.2", "leanrails-python/<VERSION> httpx2/<VERSION>"),
        (
            "https://errors.pydantic.dev/2.14/v/int_type",
            "https://errors.pydantic.dev/<VERSION>/v/int_type",
        ),
        ("http://127.0.0.1:54321/pay/cs_test_ab", "http://127.0.0.1:<PORT>/pay/cs_test_<ID>"),
        ("<Foo object at 0x7f3a2b1c0d90>", "<Foo object at 0x<ADDRESS>>"),
        ("<code>cs_test_<wbr>8f3a9c</code>", "<code>cs_test_<ID></code>"),
        (
            "<code>127.<wbr>0.<wbr>0.<wbr>1:48937/<wbr>pay</code>",
            "<code>127.0.0.1:<PORT>/pay</code>",
        ),
        (
            '<details class="leanrails-traceback"><summary>Traceback (42 lines)</summary>'
            "<pre>Cell In[4], line 3\nFile /work/main/src/leanrails/_client.py:70</pre></details>",
            '<details class="leanrails-traceback"><TRACEBACK></details>',
        ),
    ],
)
def test_sanitize_file_replaces_each_volatile_value(volatile: str, sanitized: str) -> None:
    assert _sanitize(volatile) == sanitized


@pytest.mark.parametrize(
    "stable",
    [
        "price_test_tshirt",
        '"amount_total": 4000',
        "line_items[0].price_data.currency",
        "expires_at - created == 86400",
        "sk_test_sandbox",
        "Content-Length: 147",
    ],
)
def test_sanitize_file_leaves_stable_values_to_be_compared(stable: str) -> None:
    assert _sanitize(stable) == stable


# ============================================================================ example cells


@pytest.mark.lab
@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", committed_notebooks(), ids=lambda p: p.name)
def test_every_example_cell_runs_on_its_own_after_the_setup_cell(path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEANRAILS_")}

    outcomes = notebook_cells.run_alone(path, env=env)

    assert outcomes, "no example cells"
    assert notebook_cells.problems(outcomes) == []


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        pytest.param(["x = 1", "print(x)"], [], id="uses-the-setup-cell"),
        pytest.param(
            ["x = 1", "y = 2", "print(y)"],
            ["code cell 2 raised NameError: name 'y' is not defined"],
            id="uses-an-earlier-example",
        ),
        pytest.param(
            ["x = 1", "%time x"], ["code cell 1 raised SyntaxError"], id="ipython-only-syntax"
        ),
        pytest.param(
            ["x = 1", ("raise ValueError('the lesson')", ["raises-exception"])],
            [],
            id="raises-as-tagged",
        ),
        pytest.param(
            ["x = 1", ("x", ["raises-exception"])],
            ["code cell 1 is tagged raises-exception but ran through"],
            id="tagged-but-runs",
        ),
        pytest.param(
            [("y = 1", ["setup"]), "x = 1", "print(x)"], [], id="setup-tagged-cell-skipped"
        ),
    ],
)
def test_example_cell_check_runs_each_cell_after_the_setup_cell_only(
    tmp_path: Path, cells: list[Any], expected: list[str]
) -> None:
    new_cells = []
    for cell in cells:
        source, tags = cell if isinstance(cell, tuple) else (cell, [])
        new_cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": tags}))
    path = _guide_notebook(tmp_path, "01_x.ipynb", new_cells)

    problems = notebook_cells.problems(notebook_cells.run_alone(path))

    assert len(problems) == len(expected)
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start)


CODE_COLUMNS = 80  # what the site's code column shows at 1280 px without scrolling


@pytest.mark.parametrize("path", committed_notebooks(), ids=lambda p: p.name)
def test_code_cells_fit_the_columns_the_site_shows(path: Path) -> None:
    long_lines = [
        f"code cell {cell.index}: {line}"
        for cell in notebook_cells.code_cells(path)
        for line in cell.source.splitlines()
        if len(line) > CODE_COLUMNS
    ]

    assert long_lines == []


@pytest.mark.parametrize("path", committed_notebooks(), ids=lambda p: p.name)
def test_markdown_uses_quotes_for_callouts_not_site_only_admonitions(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    markdown_cells = [_source(c) for c in notebook["cells"] if c["cell_type"] == "markdown"]

    assert [s for s in markdown_cells if re.search(r"(?m)^\s*(!!!|\?\?\?)", s)] == []


# ============================================================================ page list


def test_the_site_builds_the_guide_notebooks_by_name_in_the_nav_and_nothing_else() -> None:
    # A notebook saved beside the guide (JupyterLab's File > New) is neither a page nor a
    # strict build's "not included in the nav" failure: the lists name the guide's files.
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = re.findall(r"^\s+- [^:\n]+: guide/(\S+\.ipynb)$", config, re.M)
    built = re.findall(r"^\s+!/guide/(\S+\.ipynb)$", config, re.M)

    assert nav == built == list(fr.GUIDE_NOTEBOOKS)
    assert "!/guide/*" not in config
