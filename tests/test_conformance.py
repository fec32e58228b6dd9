"""``leanrails conformance``: clean against the sandbox, each drift caught once, and safe.

The server under check is the real sandbox over HTTP: ``leanrails sandbox`` as a user runs
it for the clean run, and for the drifts the same ASGI app wrapped in one piece of
middleware each (``_support.conformance``), served by uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_sandbox_cli import serving

from leanrails._cli import main
from leanrails.sandbox import Sandbox, create_app

from _support.conformance import (
    AcceptsRecurring,
    ChangedErrorCode,
    Drift,
    ExtraField,
    Recorder,
    RenamedField,
    TighterLimit,
    UnknownStatus,
)
from _support.sandbox import LiveServer, free_port

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


@pytest.mark.timeout(600)
def test_the_http_sandbox_passes_against_itself_with_no_findings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with serving(tmp_path) as url:
        status, report, markdown = conformance(
            monkeypatch, tmp_path, url, "--notebooks", str(NOTEBOOKS)
        )

    assert report["findings"] == []
    assert report["verdict"] == "clean"
    assert status == 0
    assert "**No drift.**" in markdown
    assert report["checked"]["Guide"].startswith(
        f"{len(list(NOTEBOOKS.glob('*.ipynb')))} notebooks"
    )


DRIFTS = [
    pytest.param(
        RenamedField,
        "response.amount_total",
        "renamed",
        "the server returns amount_total as total_amount",
        id="renamed-response-field",
    ),
    pytest.param(
        ChangedErrorCode,
        "error.code",
        "parameter_missing -> missing_parameter",
        "the server answers missing_parameter where the kit answers parameter_missing",
        id="changed-error-code",
    ),
    pytest.param(
        AcceptsRecurring,
        "line_items[].price_data.recurring",
        "accepts",
        "the server accepts what the kit refuses (kit convention)",
        id="accepts-a-refused-value",
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
]


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("drift", "entry", "kind", "summary"), DRIFTS)
def test_each_drift_is_reported_once_under_its_contract_entry(
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
    assert status == 1
    assert report["verdict"] == "drift"
    assert f"## {entry}" in markdown


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
        cell.startswith("01_quickstart.ipynb cell 3 (§ Create a session)")
        for cell in finding["guide_cells"]
    ), finding["guide_cells"]
    assert "guide" in finding["affects"]
    assert status == 1


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("sk_live_" + "x" * 24, id="live-secret-key"),
        pytest.param("rk_live_" + "x" * 24, id="live-restricted-key"),
        pytest.param("sk_test_", id="bare-test-prefix"),
        pytest.param("", id="no-key"),
    ],
)
def test_a_key_that_is_not_a_test_key_is_refused_before_any_request(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    live_server: LiveServer,
    recorder: Recorder,
    sandbox: Sandbox,
    key: str,
) -> None:
    recorder.app = create_app(sandbox)

    status, report, markdown = conformance(monkeypatch, tmp_path, live_server.url, key=key)

    err = capsys.readouterr().err
    assert status == 2
    assert recorder.seen == []
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("leanrails conformance: refused:")
    assert report == {}
    assert markdown == ""
    assert key[len("sk_live_") :] == "" or key[len("sk_live_") :] not in err


@pytest.mark.timeout(300)
def test_every_post_carries_an_idempotency_key_and_no_session_is_completed(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    live_server: LiveServer,
    recorder: Recorder,
    sandbox: Sandbox,
) -> None:
    guide = tmp_path / "guide"
    guide.mkdir()
    shutil.copyfile(NOTEBOOKS / "05_checkout_parameters.ipynb", guide / "05.ipynb")
    recorder.app = create_app(sandbox)

    status, report, _ = conformance(
        monkeypatch, tmp_path, live_server.url, "--notebooks", str(guide), "--samples", "5"
    )

    posts = [(path, headers) for method, path, headers in recorder.seen if method == "POST"]
    assert posts
    assert [path for path, headers in posts if "idempotency-key" not in headers] == []
    assert [
        path for _, path, _ in recorder.seen if "test_helpers" in path or path.startswith("/pay/")
    ] == []
    assert report["not_checked"], "notebook 05 completes sessions: those cells are listed"
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
