"""``leanrails conformance``: clean against the sandbox, each drift caught once, and safe.

The server under check is the real sandbox over HTTP: ``leanrails sandbox`` as a user runs
it for the clean run, and for the drifts the same ASGI app wrapped in one piece of
middleware each (``_support.conformance``), served by uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_sandbox_cli import serving

from leanrails._cli import main
from leanrails._conformance._guide import normalize
from leanrails._conformance._judge import KEPT_PER_ANSWER, Observation
from leanrails._conformance._report import Findings, md
from leanrails._conformance._server import basic
from leanrails.sandbox import TEST_API_KEY, Sandbox, create_app

from _support.conformance import (
    HOSTILE,
    AcceptsRecurring,
    ChangedErrorCode,
    Drift,
    ExtraField,
    HostileStrings,
    ManyFields,
    NoHelpers,
    Recorder,
    RenamedField,
    TighterLimit,
    UnknownStatus,
    drip,
    endless,
)
from _support.sandbox import LiveServer, command, free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def conformance(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    url: str,
    *args: str,
    key: str = "sk_test_sandbox",
) -> tuple[int, dict[str, Any], str]:
    """Run the command in-process; (exit status, JSON report, Markdown report)."""
    monkeypatch.setenv("LEANRAILS_API_KEY", key)
    report = tmp_path / "report.json"
    markdown = tmp_path / "report.md"
    status = main(
        [
            "conformance",
            "--base-url",
            url,
            "--json",
            str(report),
            "--markdown",
            str(markdown),
            *args,
        ]
    )
    data = json.loads(report.read_text()) if report.exists() else {}
    text = markdown.read_text() if markdown.exists() else ""
    return status, data, text


@pytest.fixture
def recorder(live_server: LiveServer) -> Iterator[Recorder]:
    """The test server, recording every request; mount an app with ``recorder.app = ...``."""
    recorder = Recorder()
    live_server.switch.target = recorder
    try:
        yield recorder
    finally:
        live_server.unmount()


@pytest.fixture
def sandbox(live_server: LiveServer) -> Iterator[Sandbox]:
    with Sandbox(base_url=live_server.url) as sandbox:
        yield sandbox


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    """A guide of one notebook (the quickstart), to keep a guide run short."""
    folder = tmp_path / "guide"
    folder.mkdir()
    shutil.copyfile(NOTEBOOKS / "01_quickstart.ipynb", folder / "01_quickstart.ipynb")
    return folder


@pytest.mark.timeout(900)
def test_any_test_key_against_a_clean_sandbox_checks_every_guide_cell_with_no_findings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The kit's own guide, run with a key that is not the guide's: the key is compared by
    its role, the cells that pay a session use the server's test helper, and nothing is
    written where the command runs."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "notebooks").mkdir()  # a user's folder of notebooks: never run unless named
    (cwd / "notebooks" / "mine.ipynb").write_text("not a notebook")
    monkeypatch.chdir(cwd)
    with serving(tmp_path) as url:
        status, report, markdown = conformance(
            monkeypatch, tmp_path, url, key="sk_test_anything_0123456789"
        )

    cells = sum(
        1
        for path in NOTEBOOKS.glob("*.ipynb")
        for cell in json.loads(path.read_text())["cells"]
        if cell["cell_type"] == "code"
    )
    assert report["findings"] == []
    assert report["not_checked"] == []
    assert report["verdict"] == "clean"
    assert status == 0
    assert "**No drift.**" in markdown
    assert report["checked"]["Guide"] == (
        f"{len(list(NOTEBOOKS.glob('*.ipynb')))} notebooks, {cells} code cells: "
        f"{cells} as committed, 0 differ, 0 not checked"
    )
    assert sorted(p.name for p in cwd.iterdir()) == ["notebooks"]


CONVENTION = "the server differs from the kit's convention: "
DRIFTS = [
    pytest.param(
        RenamedField,
        "response.amount_total",
        "renamed",
        "the server returns amount_total as total_amount",
        id="renamed-response-field",
    ),
    pytest.param(
        UnknownStatus,
        "response.status",
        "schema",
        "the server returns response.status 'pending', a value the contract does not list",
        id="unknown-enum-value",
    ),
    pytest.param(
        TighterLimit,
        "client_reference_id",
        "refuses",
        "the server refuses what the contract allows",
        id="tighter-limit",
    ),
    pytest.param(
        ExtraField,
        "response.locale",
        "undocumented",
        "the server returns locale, a field the contract does not document",
        id="undocumented-field",
    ),
    pytest.param(
        ChangedErrorCode,
        "error.code",
        "parameter_missing -> missing_parameter",
        CONVENTION + "it answers missing_parameter where the sandbox answers parameter_missing",
        id="convention-changed-error-code",
    ),
    pytest.param(
        AcceptsRecurring,
        "line_items[].price_data.recurring",
        "accepts",
        CONVENTION + "it accepts what the sandbox refuses",
        id="convention-accepts-a-recurring-price",
    ),
]


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("drift", "entry", "kind", "summary"), DRIFTS)
def test_each_drift_is_reported_once_and_a_convention_apart_from_drift(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    live_server: LiveServer,
    recorder: Recorder,
    sandbox: Sandbox,
    drift: type[Drift],
    entry: str,
    kind: str,
    summary: str,
) -> None:
    recorder.app = drift(create_app(sandbox))

    status, report, markdown = conformance(monkeypatch, tmp_path, live_server.url, "--no-guide")

    assert [(f["entry"], f["kind"], f["summary"]) for f in report["findings"]] == [
        (entry, kind, summary)
    ]
    assert f"### {md(entry)}" in markdown
    convention = summary.startswith(CONVENTION)
    assert report["findings"][0]["kit_convention"] is convention
    if convention:  # advice, not drift: its own section and exit status
        assert (status, report["verdict"]) == (4, "differs from conventions")
        assert "**No drift.**" in markdown
        assert "## Differs from the kit's conventions" in markdown
        assert "## Findings" not in markdown
    else:
        assert (status, report["verdict"]) == (1, "drift")
        assert "## Findings" in markdown


@pytest.mark.timeout(300)
def test_a_drift_the_guide_shows_is_tied_to_its_cells_in_the_same_finding(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    live_server: LiveServer,
    recorder: Recorder,
    sandbox: Sandbox,
    quickstart: Path,
) -> None:
    recorder.app = RenamedField(create_app(sandbox))

    status, report, _ = conformance(
        monkeypatch, tmp_path, live_server.url, "--notebooks", str(quickstart)
    )

    (finding,) = report["findings"]
    assert finding["entry"] == "response.amount_total"
    assert any(
        cell.startswith("01_quickstart.ipynb cell ") and "(§ Create a session)" in cell
        for cell in finding["guide_cells"]
    ), finding["guide_cells"]
    assert "guide" in finding["affects"]
    assert status == 1


LIVE = "sk_live_REALSECRET99"


@pytest.mark.parametrize(
    ("key", "base_url", "secret"),
    [
        pytest.param(LIVE, "{url}", "REALSECRET99", id="live-secret-key"),
        pytest.param("rk_live_" + "x" * 24, "{url}", "xxxxxxxx", id="live-restricted-key"),
        pytest.param("SK_LIVE_REALSECRET99", "{url}", "REALSECRET99", id="upper-case-live-key"),
        pytest.param("sk_test_", "{url}", None, id="bare-test-prefix"),
        pytest.param("", "{url}", None, id="no-key"),
        pytest.param(f"sk_test_x:{LIVE}", "{url}", "REALSECRET99", id="live-key-as-password"),
        pytest.param(f"sk_test_x {LIVE}", "{url}", "REALSECRET99", id="two-keys"),
        pytest.param(
            "sk_test_harmless",
            "http://" + LIVE + ":@{host}",
            "REALSECRET99",
            id="live-key-in-the-url",
        ),
        pytest.param(
            "sk_test_harmless", "http://gw:GatewayPw77@{host}", "GatewayPw77", id="url-password"
        ),
        pytest.param(
            "sk_test_harmless", "{url}/" + LIVE + "/", "REALSECRET99", id="live-key-in-the-path"
        ),
        pytest.param(
            "sk_test_harmless",
            "http://sk%5Flive%5FREALSECRET99%40{host}",
            "REALSECRET99",
            id="percent-encoded-live-key-before-the-host",
        ),
        pytest.param("sk_test_harmless", "{url}/?x=1", None, id="url-with-a-query"),
        pytest.param("sk_test_harmless", "{url}/#top", None, id="url-with-a-fragment"),
        pytest.param("sk_test_harmless", "ftp://{host}", None, id="not-http"),
    ],
)
def test_a_live_key_or_a_credential_in_the_url_is_refused_before_any_request(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    live_server: LiveServer,
    recorder: Recorder,
    sandbox: Sandbox,
    key: str,
    base_url: str,
    secret: str | None,
) -> None:
    recorder.app = create_app(sandbox)
    host = live_server.url.removeprefix("http://")
    url = base_url.format(url=live_server.url, host=host)

    status, report, markdown = conformance(monkeypatch, tmp_path, url, key=key)

    out, err = capsys.readouterr()
    assert status == 2
    assert recorder.seen == []
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("leanrails conformance: refused:")
    assert report == {}
    assert markdown == ""
    assert secret is None or secret not in out + err


def test_an_unreachable_url_with_a_password_names_no_password(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://gw:GatewayPw77@127.0.0.1:{free_port()}"  # nothing listens there

    status, _, _ = conformance(monkeypatch, tmp_path, url, "--no-guide")

    out, err = capsys.readouterr()
    assert status == 2
    assert "GatewayPw77" not in out + err


AUTHORIZATIONS = {
    "bearer": f"Bearer {LIVE}",
    "leading-space": " Basic " + base64.b64encode(f"{LIVE}:".encode()).decode(),
    "lower-case-scheme": "basic " + base64.b64encode(f"{LIVE}:".encode()).decode(),
    "upper-case-key": "Basic " + base64.b64encode(b"SK_LIVE_REALSECRET99:").decode(),
    "unpadded": "Basic " + base64.b64encode(f"{LIVE}:x".encode()).decode().rstrip("="),
    "url-safe": "Basic " + base64.urlsafe_b64encode(f"{LIVE}:\xff?>".encode()).decode(),
    "as-password": "Basic " + base64.b64encode(f"sk_test_x:{LIVE}".encode()).decode(),
    "in-another-header": None,
}

_LEAKY_CELL = """
import base64, json, os, pathlib
import httpx2
forms = json.loads(pathlib.Path(os.environ["FORMS"]).read_text())
url = os.environ["LEANRAILS_BASE_URL"] + "/v1/checkout_sessions"
body = {"mode": "payment", "line_items": [{"price": "price_test_tshirt", "quantity": 1}],
        "success_url": "https://example.com/success"}
statuses = {}
for name, value in forms.items():
    headers = {"Authorization": value} if value else {"X-Api-Key": "sk_live_REALSECRET99"}
    headers["Idempotency-Key"] = name
    try:
        statuses[name] = httpx2.post(url, json=body, headers=headers).status_code
    except httpx2.HTTPError as exc:  # h11 refuses to send some forms at all
        statuses[name] = type(exc).__name__
pathlib.Path(os.environ["SEEN"]).write_text(json.dumps({"env": dict(os.environ), **statuses}))
print(sorted(set(statuses.values())))
"""


@pytest.mark.timeout(300)
def test_the_guard_sends_no_live_key_in_any_form_and_the_kernels_never_hold_the_key(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    live_server: LiveServer,
    recorder: Recorder,
    sandbox: Sandbox,
) -> None:
    """A notebook the user names tries every form of a live key through the guard, and
    writes down the environment its kernel was given."""
    import nbformat

    key = "sk_test_private_0123456789"
    guide = tmp_path / "guide"
    guide.mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(_LEAKY_CELL)]
    nbformat.write(notebook, guide / "leaky.ipynb")
    forms, seen = tmp_path / "forms.json", tmp_path / "seen.json"
    forms.write_text(json.dumps(AUTHORIZATIONS))
    monkeypatch.setenv("FORMS", str(forms))
    monkeypatch.setenv("SEEN", str(seen))
    recorder.app = create_app(sandbox)

    _, report, markdown = conformance(
        monkeypatch, tmp_path, live_server.url, "--notebooks", str(guide), key=key
    )

    written = json.loads(seen.read_text())
    assert all(written[name] in (403, "LocalProtocolError") for name in AUTHORIZATIONS), written
    sent = [headers for _, _, headers in recorder.seen]
    assert sent
    assert [h for h in sent if re.search(r"(?i)[a-z]k_live|realsecret", json.dumps(h))] == []
    assert [h for h in sent if h.get("authorization") not in (None, basic(key))] == []
    assert key not in json.dumps(written["env"])
    assert written["env"]["LEANRAILS_API_KEY"] == TEST_API_KEY
    assert "REALSECRET99" not in json.dumps(report) + markdown


@pytest.mark.timeout(300)
def test_against_a_server_without_test_helpers_the_cells_that_need_them_are_not_checked(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    live_server: LiveServer,
    recorder: Recorder,
    sandbox: Sandbox,
) -> None:
    guide = tmp_path / "guide"
    guide.mkdir()
    shutil.copyfile(NOTEBOOKS / "08_customer_and_amounts.ipynb", guide / "08.ipynb")
    recorder.app = NoHelpers(create_app(sandbox))

    status, report, markdown = conformance(
        monkeypatch, tmp_path, live_server.url, "--notebooks", str(guide), "--samples", "5"
    )

    posts = [(path, headers) for method, path, headers in recorder.seen if method == "POST"]
    assert [path for path, headers in posts if "idempotency-key" not in headers] == []
    helpers = [path for _, path, _ in recorder.seen if "test_helpers" in path]
    assert len(helpers) == 1, "one probe, and nothing more"
    assert [path for _, path, _ in recorder.seen if path.startswith("/pay/")] == []
    assert any(
        "a sandbox test helper that the server does not offer" in line
        for line in report["not_checked"]
    ), report["not_checked"]
    assert "## Not checked" in markdown
    assert status == 0
    assert report["requests"] == len(recorder.seen)


def test_the_key_never_appears_in_the_report(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    live_server: LiveServer,
    recorder: Recorder,
    sandbox: Sandbox,
) -> None:
    key = "sk_test_conformance_private_0123456789"
    recorder.app = UnknownStatus(create_app(sandbox))

    status, _, markdown = conformance(
        monkeypatch, tmp_path, live_server.url, "--no-guide", "--samples", "2", key=key
    )

    raw = (tmp_path / "report.json").read_text() + markdown
    assert status == 1
    assert key not in raw
    assert key.removeprefix("sk_test_") not in raw


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        pytest.param("--max-requests", "10", id="request-budget"),
        pytest.param("--time-limit", "0.01", id="time-limit"),
    ],
)
def test_a_spent_budget_stops_the_run_and_says_it_is_incomplete(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    live_server: LiveServer,
    recorder: Recorder,
    sandbox: Sandbox,
    flag: str,
    value: str,
) -> None:
    recorder.app = create_app(sandbox)

    status, report, markdown = conformance(monkeypatch, tmp_path, live_server.url, flag, value)

    assert status == 3
    assert report["verdict"] == "incomplete"
    assert report["findings"] == []
    assert len(recorder.seen) <= 10
    assert "incomplete" in markdown


def test_a_server_that_cannot_be_reached_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    status, report, _ = conformance(monkeypatch, tmp_path, url, "--no-guide")

    err = capsys.readouterr().err
    assert status == 2
    assert report == {}
    assert err.splitlines() == [
        f"leanrails conformance: refused: the server at {url} could not be reached (ConnectError)"
    ]


def _run_measured(url: str, tmp_path: Path, *args: str) -> tuple[int, float, int, str]:
    """``leanrails conformance`` as a subprocess: (exit status, seconds, peak RSS in bytes of
    it and its children, stdout + stderr)."""
    import psutil  # type: ignore[import-untyped]

    log = tmp_path / "run.log"
    env = {**os.environ, "LEANRAILS_API_KEY": "sk_test_sandbox"}
    started = time.monotonic()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command("conformance", "--base-url", url, *args),
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
        watched = psutil.Process(process.pid)
        peak = 0
        while process.poll() is None and time.monotonic() - started < 60:
            try:
                family = [watched, *watched.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in family))
            except psutil.Error:
                pass
            time.sleep(0.05)
        if process.poll() is None:  # the hang guard: fail, and leave nothing running
            process.kill()
        status = process.wait(10)
    return status, time.monotonic() - started, peak, log.read_text(errors="replace")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("app", [endless, drip], ids=["endless-answer", "one-byte-every-5-s"])
def test_a_server_that_never_finishes_an_answer_cannot_hold_or_exhaust_the_run(
    tmp_path: Path, live_server: LiveServer, recorder: Recorder, app: Any
) -> None:
    recorder.app = app

    status, seconds, peak, output = _run_measured(live_server.url, tmp_path, "--time-limit", "10")

    assert seconds < 30, output  # a hang guard; the figures are in the closing note
    assert peak < 500 * 2**20, f"peak RSS {peak / 2**20:.0f} MiB"
    assert status in (1, 3), output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.log"]


@pytest.mark.timeout(300)
def test_a_hostile_servers_strings_reach_neither_the_report_nor_the_terminal_raw(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    live_server: LiveServer,
    recorder: Recorder,
    sandbox: Sandbox,
) -> None:
    recorder.app = HostileStrings(create_app(sandbox))
    monkeypatch.setenv("LEANRAILS_API_KEY", "sk_test_sandbox")

    status = main(["conformance", "--base-url", live_server.url, "--no-guide", "--samples", "3"])

    out, err = capsys.readouterr()
    assert status == 1
    assert out.startswith("# Conformance of ")
    raw = out + err
    assert [c for c in raw if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F] == []
    assert "\u202e" not in raw
    assert "<script>" not in raw
    assert [line for line in out.splitlines() if line.startswith("# ")] == [out.splitlines()[0]]
    assert "Injected heading" in out  # shown, as text
    assert "](https://evil" not in out
    assert HOSTILE


@pytest.mark.timeout(60)  # a hang guard: the regex this replaced took minutes on these lines
def test_a_cells_output_is_masked_in_one_pass_whatever_the_server_makes_it_print() -> None:
    """A server chooses what some guide cells print (a session id): a line of 100,000
    status-like prefixes, with no ``(type=`` after them or one at the end, is masked as any
    other, and an error line of the guide still has its message masked."""
    hostile = "100 A: " * 100_000

    assert normalize(hostile) == hostile.rstrip()
    assert normalize(hostile + " (type=x)") == "100 A: ... (type=x)"
    assert normalize(
        "400 Bad Request: quantity: must be at least 1 (type=invalid_request_error)\nnext"
    ) == ("400 Bad Request: ... (type=invalid_request_error)\nnext")


@pytest.mark.timeout(60)  # a hang guard: comparing every pair of findings took hours here
def test_a_hundred_thousand_fields_under_one_entry_fold_into_it_as_one_finding() -> None:
    """A server can answer with 100,000 undocumented fields under ``metadata``, each a
    finding of its own: they fold into the outer one, each counted, in one pass."""
    findings = Findings({})
    seen = frozenset({"contract"})
    for n in range(100_000):
        findings.add(Observation(f"response.metadata.k{n}", "schema", "undocumented", "e", seen))
    findings.add(Observation("response.metadata", "schema", "undocumented", "last", seen))
    findings.add(Observation("response.url", "schema", "undocumented", "other", seen))

    findings.fold()

    assert [(f.entry, f.seen) for f in findings] == [
        ("response.metadata", 100_001),
        ("response.url", 1),
    ]


@pytest.mark.timeout(300)
def test_a_server_answering_a_thousand_new_fields_each_time_gets_a_bounded_report(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    live_server: LiveServer,
    recorder: Recorder,
    sandbox: Sandbox,
) -> None:
    """Each undocumented field is a finding, up to KEPT_PER_ANSWER an answer; past that one
    finding says how many (100,000 fields an answer had held 16 GB and written 1.7 GB)."""
    recorder.app = ManyFields(create_app(sandbox))

    status, report, _ = conformance(monkeypatch, tmp_path, live_server.url, "--no-guide")

    kinds = Counter(f["kind"] for f in report["findings"])
    (overflow,) = [f for f in report["findings"] if f["kind"] == "undocumented-overflow"]
    assert (status, overflow["entry"]) == (1, "response")
    assert "1000 fields" in overflow["examples"][0]
    assert 0 < kinds["undocumented"] <= KEPT_PER_ANSWER * overflow["seen"]
