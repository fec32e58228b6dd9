"""Every code sample on the built reference page runs as printed against ``leanrails sandbox``.

The site is built with ``mkdocs build --strict`` into a temporary directory; the samples are
read from the BUILT HTML (what a reader copies: each tab's code, tags stripped), and each runs
in its own language against a real ``leanrails sandbox`` subprocess with only
``LEANRAILS_API_KEY`` and ``LEANRAILS_BASE_URL`` set, as the page says: curl under ``sh`` with
real curl, Python with this venv's python, JavaScript with ``node``. Each is run twice: every
run must create a session of its own (a fresh Idempotency-Key each time) that the sandbox then
retrieves. A sample with a wrong key must come back with the documented 401.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from test_sandbox_cli import serving

from leanrails.sandbox import TEST_API_KEY

from _support.site import BUILD_TIMEOUT

LANGUAGES = {"curl": "curl", "Python": sys.executable, "JavaScript": "node"}
_LABELS = re.compile(r'<div class="tabbed-labels">(.*?)</div>', re.S)
_LABEL = re.compile(r"<label[^>]*>(.*?)</label>", re.S)
_BLOCK = re.compile(
    r'<div class="tabbed-block">\s*<div class="highlight">'
    r"<pre>(?:<span></span>)?<code>(.*?)</code>",
    re.S,
)
_SESSION_ID = re.compile(r"\bcs_test_\w+")


def _text(fragment: str) -> str:
    """What a reader copies from ``fragment``: its text, tags stripped, entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def page_samples(page: str) -> list[tuple[str, str]]:
    """(language, code) for every tab of every tabbed set of samples in ``page``'s HTML."""
    found: list[tuple[str, str]] = []
    for tabs in page.split('<div class="tabbed-set')[1:]:
        labels = _LABELS.search(tabs)
        assert labels, tabs[:200]
        names = [_text(n).strip() for n in _LABEL.findall(labels.group(1))]
        if not set(names) & set(LANGUAGES):
            continue  # the responses' tabs
        blocks = [_text(b) for b in _BLOCK.findall(tabs)]
        assert len(names) == len(blocks), names
        found += zip(names, blocks, strict=True)
    return found


def _run(
    language: str, code: str, tmp: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    if language == "curl":
        argv = ["sh", "-c", code]
    elif language == "Python":
        argv = [sys.executable, "-c", code]
    else:
        script = tmp / "create-session.mjs"  # the name the sample's comment gives it
        script.write_text(code, encoding="utf-8")
        argv = ["node", str(script)]
    return subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=60, check=False, cwd=tmp
    )


@pytest.fixture(scope="module")
def samples(built_site: Path) -> list[tuple[str, str]]:
    page = (built_site / "field-reference" / "index.html").read_text(encoding="utf-8")
    return page_samples(page)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("page-samples")) as url:
        yield url


def _env(server: str, key: str = TEST_API_KEY) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LEANRAILS_API_KEY": key,
        "LEANRAILS_BASE_URL": server,
    }


@pytest.mark.timeout(BUILD_TIMEOUT)
def test_the_page_shows_a_sample_in_each_language(samples: list[tuple[str, str]]) -> None:
    counts = {name: sum(1 for lang, _ in samples if lang == name) for name in LANGUAGES}

    assert all(counts.values()), counts
    assert {lang for lang, _ in samples} == set(LANGUAGES)
    for _, code in samples:
        assert TEST_API_KEY not in code  # the key comes from the environment


@pytest.mark.timeout(BUILD_TIMEOUT)
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_each_sample_of_the_built_page_creates_a_session_each_run(
    samples: list[tuple[str, str]], server: str, language: str, tmp_path: Path
) -> None:
    if shutil.which(LANGUAGES[language]) is None:
        pytest.fail(f"{LANGUAGES[language]} is needed to run the page's {language} samples")
    ran_any = 0
    for lang, code in samples:
        if lang != language:
            continue
        created = []
        for _ in range(2):
            ran = _run(lang, code, tmp_path, _env(server))
            assert ran.returncode == 0, f"{lang}:\n{code}\n{ran.stderr}"
            found = _SESSION_ID.findall(ran.stdout)
            assert found, ran.stdout
            created.append(found[0])
        assert created[0] != created[1], "the second run replayed the first"
        with httpx2.Client(base_url=server, auth=(TEST_API_KEY, ""), timeout=10) as client:
            for session_id in created:
                got = client.get(f"/v1/checkout_sessions/{session_id}")
                assert got.status_code == 200, got.text
                assert got.json()["metadata"] == {"order_id": "6735"}
        ran_any += 1
    assert ran_any


@pytest.mark.timeout(BUILD_TIMEOUT)
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_each_sample_with_a_wrong_key_gets_the_documented_401(
    samples: list[tuple[str, str]], server: str, language: str, tmp_path: Path
) -> None:
    code = next(c for lang, c in samples if lang == language)

    ran = _run(language, code, tmp_path, _env(server, key="pk_live_not_a_secret_test_key"))

    said = ran.stdout + ran.stderr
    assert "cs_test_" not in ran.stdout
    assert "401" in said or "authentication_error" in said or "API key" in said, said
