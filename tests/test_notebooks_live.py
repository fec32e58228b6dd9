"""The guide's notebooks run against a live server, with no edit.

Every notebook's setup cell builds ``LeanRails()`` when ``LEANRAILS_API_KEY`` is set and
``LeanRails.sandbox()`` otherwise. Here each notebook in ``notebooks/`` is executed with
nbclient, from a temporary copy, in a kernel whose environment holds the sandbox's test key
and the URL of a real sandbox served over HTTP (uvicorn on 127.0.0.1, the ``live_server``
fixture). The notebook must run top to bottom: an error is allowed only in a cell tagged
``raises-exception``, and every such cell must still raise, since its error is the lesson.
The server must have been reached: the fresh sandbox behind it ends with sessions in it.

Outputs are not compared here (ids, ports and hosted-page URLs differ from the committed
ones); strict nbval compares them against the in-process sandbox.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from test_notebooks import committed_notebooks

from leanrails.sandbox import TEST_API_KEY, Sandbox

from _support.sandbox import LiveServer

pytestmark = [pytest.mark.docs, pytest.mark.slow]

CELL_TIMEOUT = 60


@pytest.fixture
def served_sandbox(live_server: LiveServer) -> Iterator[Sandbox]:
    """A fresh sandbox with the real clock (the notebooks use time.time()), over HTTP."""
    with Sandbox(base_url=live_server.url) as sandbox:
        live_server.mount(sandbox)
        try:
            yield sandbox
        finally:
            sandbox.clear_faults()
            live_server.unmount()


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _errors(cell: Any) -> list[str]:
    return [
        f"{output.get('ename')}: {output.get('evalue')}"
        for output in cell.get("outputs", ())
        if output.get("output_type") == "error"
    ]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", committed_notebooks(), ids=lambda p: p.name)
def test_notebook_runs_unedited_against_a_live_sandbox_server(
    path: Path, tmp_path: Path, live_server: LiveServer, served_sandbox: Sandbox
) -> None:
    copy = tmp_path / path.name
    shutil.copyfile(path, copy)
    notebook = nbformat.read(copy, as_version=4)
    env = {
        **os.environ,
        "LEANRAILS_API_KEY": TEST_API_KEY,
        "LEANRAILS_BASE_URL": live_server.url,
    }
    before = served_sandbox.session_count

    # Without allow_errors, nbclient stops at the first error in a cell not tagged
    # raises-exception (CellExecutionError, which shows the cell and its traceback).
    NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute(env=env)

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    unexpected = [
        f"cell {index}: {error}"
        for index, cell in enumerate(code)
        if "raises-exception" not in _tags(cell)
        for error in _errors(cell)
    ]
    silent = [
        f"cell {index} is tagged raises-exception but raised nothing live:\n{cell.source}"
        for index, cell in enumerate(code)
        if "raises-exception" in _tags(cell) and not _errors(cell)
    ]
    assert unexpected == []
    assert silent == []
    assert served_sandbox.session_count > before, (
        f"{path.name} created no session on the server at {live_server.url}: its setup cell "
        "did not use LEANRAILS_API_KEY and LEANRAILS_BASE_URL"
    )
