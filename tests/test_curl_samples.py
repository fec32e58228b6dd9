"""Every curl command the README and the guide print runs as printed, with real curl.

Each one is run twice by ``sh`` against a real ``leanrails sandbox`` (a subprocess, as
``make sandbox`` starts it), with the key and the base URL in the environment as the text
says (``LEANRAILS_API_KEY``, ``LEANRAILS_BASE_URL``): each run creates a session of its own,
because each generates its own Idempotency-Key (``to_curl``'s ``FRESH_IDEMPOTENCY_KEY``).

The commands are read where a reader copies them from: fenced ``bash``/``sh`` blocks of the
README and of the notebooks' Markdown, and the notebooks' committed outputs that print a
command (``print(to_curl(request))``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_notebooks import committed_notebooks
from test_sandbox_cli import serving

from leanrails.sandbox import TEST_API_KEY

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("curl_samples")]

ROOT = Path(__file__).resolve().parents[1]
_FENCE = re.compile(r"^```(?:bash|sh|shell)\n(.*?)^```", re.M | re.S)


def _commands(text: str) -> list[str]:
    """The shell snippets in ``text`` (Markdown) that run curl."""
    return [block for block in _FENCE.findall(text) if re.search(r"(?m)^curl ", block)]


def _printed(outputs: list[dict[str, object]]) -> list[str]:
    """A cell's printed text, when it is a curl command (perhaps after a comment line)."""
    found = []
    for output in outputs:
        text = output.get("text", "")
        text = "".join(text) if isinstance(text, list) else str(text)
        if re.match(r"(?:#[^\n]*\n)?curl ", text):
            found.append(text)
    return found


def samples() -> list[tuple[str, str]]:
    """(where, command) for every curl a reader can copy."""
    found = [
        (f"README.md #{n}", c)
        for n, c in enumerate(_commands((ROOT / "README.md").read_text("utf-8")), 1)
    ]
    for path in committed_notebooks():
        document = json.loads(path.read_text(encoding="utf-8"))
        for index, cell in enumerate(document["cells"]):
            source = "".join(cell["source"])
            if cell["cell_type"] == "markdown":
                commands = _commands(source)
            else:
                commands = _printed(cell.get("outputs", []))
            found += [(f"{path.name} cell {index}", command) for command in commands]
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("curl-samples")) as url:
        yield url


def test_the_readme_and_the_guide_print_curl_commands() -> None:
    where = {name.split(" ")[0] for name, _ in samples()}
    assert "README.md" in where
    assert "01_quickstart.ipynb" in where


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.timeout(120)
@pytest.mark.parametrize(("where", "command"), samples(), ids=[w for w, _ in samples()])
def test_each_curl_sample_runs_as_printed_and_twice_creates_two_sessions(
    server: str, where: str, command: str
) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LEANRAILS_API_KEY": TEST_API_KEY,
        "LEANRAILS_BASE_URL": server,
    }
    sessions = []
    for _ in range(2):
        ran = subprocess.run(
            ["sh", "-c", command], capture_output=True, text=True, env=env, timeout=60, check=False
        )
        assert ran.returncode == 0, f"{where}: {ran.stderr}"
        answer = json.loads(ran.stdout)
        assert answer.get("object") == "checkout.session", f"{where}: {ran.stdout}"
        sessions.append(answer["id"])

    assert sessions[0] != sessions[1], f"{where}: the second run replayed the first"


def test_the_readme_shows_what_its_to_curl_example_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    create, build = re.findall(r"^```python\n(.*?)^```", readme, re.M | re.S)[:2]
    namespace: dict[str, object] = {}
    exec(create, namespace)
    capsys.readouterr()
    exec(build, namespace)

    printed = capsys.readouterr().out
    assert printed in [block for _, block in samples() if _.startswith("README")]
