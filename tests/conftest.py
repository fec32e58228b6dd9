"""Shared fixtures.

Sandbox fixtures: a fixed clock, an in-process ``Sandbox``, a uvicorn server on a free
loopback port (one per test session, started in a thread), and ``api``: raw httpx2 access to
a fresh sandbox, parametrized over the two modes (``in-process`` transport and ``http``
server), so every behavioural test of the sandbox runs against both. A module marked
``every_store`` also runs each of its ``api`` tests on SQLite (in-process) and PostgreSQL
(over HTTP, as ``leanrails sandbox --db postgresql://`` serves it): the same tests on the
three stores. ``postgres`` is the run's throwaway PostgreSQL, started at the first test that
needs it and stopped at the end.
Under pytest-xdist (make test), the controller prints the counts the workers' tests tallied.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx2
import pytest
import uvicorn
from filelock import FileLock

from leanrails.sandbox import IN_PROCESS_BASE_URL, TEST_API_KEY, Sandbox, SandboxTransport

from _support.postgres import Postgres, throwaway_server
from _support.reliability.results import share_results_dir, show_worker_tallies
from _support.sandbox import LOCAL_TLS, Api, FakeClock, LiveServer, _Switch
from _support.site import build_site
from _support.stores import database

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# -- pytest-xdist: the workers' tallies, printed by the controller --------------------------

_SINCE = pytest.StashKey[float]()


def _xdist_controller(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if _xdist_controller(config):
        config.stash[_SINCE] = share_results_dir()


# The longest waits first (make test runs --no-loadscope-reorder): a module's tests, kept
# together, start by its slowest kind, so no JupyterLab or browser module starts last on an
# otherwise idle run.
FIRST = ("lab", "browser", "docs", "slow")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank: dict[str, int] = {}
    for item in items:
        kinds = [FIRST.index(m.name) for m in item.iter_markers() if m.name in FIRST]
        module = item.nodeid.split("::")[0]
        rank[module] = min([rank.get(module, len(FIRST)), *kinds])
    items.sort(key=lambda item: rank[item.nodeid.split("::")[0]])


def pytest_terminal_summary(terminalreporter: object, config: pytest.Config) -> None:
    if _xdist_controller(config):
        show_worker_tallies(terminalreporter, config.stash[_SINCE])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> Iterator[Sandbox]:
    with Sandbox(clock=clock) as sandbox:
        yield sandbox


# -- a real HTTP server --------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    switch = _Switch()
    # Bound here and handed over, so no other process can take the port before uvicorn; TCP
    # named, so that asyncio sets TCP_NODELAY on its connections (see sandbox/_serve.py).
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    config = uvicorn.Config(
        switch,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="none",
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listening]}, name="uvicorn-test-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the test uvicorn server did not start"
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", switch, server, thread)
    finally:
        server.should_exit = True
        thread.join(10)
        listening.close()


# -- PostgreSQL ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    with throwaway_server() as server:
        yield server


# -- the two modes, and the three stores ---------------------------------------------------


MODES = [
    pytest.param(("in_process", "memory"), id="in-process"),
    pytest.param(("http", "memory"), id="http"),
]
EVERY_STORE = [
    *MODES,
    pytest.param(("in_process", "sqlite"), id="in-process-sqlite"),
    pytest.param(("http", "postgres"), id="http-postgres", marks=pytest.mark.slow),
]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # A module with an ``api`` fixture of its own (test_client.py's) parametrizes it itself.
    if "api" in metafunc.fixturenames and not hasattr(metafunc.module, "api"):
        every = metafunc.definition.get_closest_marker("every_store") is not None
        metafunc.parametrize("api", EVERY_STORE if every else MODES, indirect=True)


@pytest.fixture
def api(request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path) -> Iterator[Api]:
    mode, kind = request.param
    db = database(kind, request, tmp_path)
    if mode == "http":
        server: LiveServer = request.getfixturevalue("live_server")
        with Sandbox(clock=clock, base_url=server.url, db=db) as sandbox:
            server.mount(sandbox)
            client = httpx2.Client(
                base_url=server.url, auth=(TEST_API_KEY, ""), timeout=10, verify=LOCAL_TLS
            )
            try:
                yield Api("http", sandbox, client, clock, server.url)
            finally:
                client.close()
                sandbox.clear_faults()
                server.unmount()
    else:
        with Sandbox(clock=clock, db=db) as sandbox:
            client = httpx2.Client(
                transport=SandboxTransport(sandbox),
                base_url=IN_PROCESS_BASE_URL,
                auth=(TEST_API_KEY, ""),
            )
            with client:
                yield Api("in_process", sandbox, client, clock, IN_PROCESS_BASE_URL)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The site built once per test run (``mkdocs build --strict``), for every docs test: under
    pytest-xdist, the first worker to ask builds it, under a lock, and the others read it."""
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # the workers' temporary folders share this parent
        shared = shared.parent
    site, built = shared / "site", shared / "site.built"
    with FileLock(shared / "site.lock"):
        if not built.exists():
            build_site(site)
            built.touch()
    return site


@pytest.fixture(scope="session")
def lab_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One ``make lab`` (its notebook windowing off) for the tests of the xdist group "lab",
    which one worker runs: started once, not once per module (5 CPU seconds each)."""
    from _support.lab import running_lab

    with running_lab(tmp_path_factory.mktemp("jupyterlab")) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """A headless Chromium (the browser tests': see _support/browser.py) for a module's tests,
    closed after them: each test opens its pages with ``new_page``, each in a new context
    (no cookie or storage shared). Module-scoped, not session-scoped: Playwright's sync API
    holds an event loop, so a module that uses it has no async tests."""
    from playwright.sync_api import sync_playwright

    from _support.browser import launch

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()
