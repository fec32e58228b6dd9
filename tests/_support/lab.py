"""A real JupyterLab for the browser tests, started the way a user starts it: ``make lab``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import httpx2

from _support.sandbox import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 90.0


NOTEBOOK_SETTINGS = "@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
# JupyterLab's application object as ``window.jupyterapp`` (as JupyterLab's own Galata tests
# have it), so that a test opens the next notebook with JupyterLab's command: reloading the
# page for it starts the whole application again, 4 to 5 CPU seconds of Chromium each time.
LAB_ARGS = "--no-browser --LabApp.expose_app_in_browser=True"
# Close every tab (nothing in them is unsaved), then open the notebook, as File > Open does,
# once the application has restored its layout (its commands are registered by then); to read
# it only, on a kernel already running (a kernel's start is a second of CPU), else its own.
OPEN = """async ([path, shared]) => {
  const app = window.jupyterapp;
  await app.restored;
  const [running] = shared ? [...app.serviceManager.kernels.running()] : [];
  await app.commands.execute('application:close-all');
  if (!shared) {  // a session left for this path (opened to be read) would lend its kernel
    const sessions = app.serviceManager.sessions;
    await sessions.refreshRunning();
    for (const s of [...sessions.running()]) if (s.path === path) await sessions.shutdown(s.id);
  }
  const kernel = running ? {id: running.id, name: running.name} : undefined;
  await app.commands.execute('docmanager:open', {path, kernel});
}"""


@contextmanager
def running_lab(home: Path | None = None) -> Iterator[str]:
    """``make lab`` on a free port; yields the URL its first line of output names.

    With ``home``, JupyterLab keeps its user settings, workspaces and runtime files there
    (not the user's), with its notebook windowing off, so every cell is laid out, not only
    those in view."""
    command = ["make", "--no-print-directory", "lab", f"LAB_PORT={free_port()}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEANRAILS_")}
    if home is not None:
        settings = home / "settings" / NOTEBOOK_SETTINGS
        settings.parent.mkdir(parents=True)
        settings.write_text(json.dumps({"windowingMode": "none"}), encoding="utf-8")
        env["JUPYTERLAB_SETTINGS_DIR"] = str(home / "settings")
        env["JUPYTERLAB_WORKSPACES_DIR"] = str(home / "workspaces")
        env["JUPYTER_RUNTIME_DIR"] = str(home / "runtime")
    with subprocess.Popen(
        [*command, f"LAB_ARGS={LAB_ARGS}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
        env=env,
    ) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            assert first.startswith("JupyterLab: open http://127.0.0.1:"), first
            url = first.removeprefix("JupyterLab: open ").strip()
            _wait_until_served(url, process)
            yield url
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_until_served(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"make lab exited with {process.returncode}"
        try:
            if httpx2.get(url, timeout=2).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"JupyterLab did not answer at {url} within {START_TIMEOUT:.0f} s")


def lab_home(lab_url: str) -> str:
    """``running_lab()``'s URL (with its token) on JupyterLab alone, no document, its workspace
    reset: where a test opens its notebooks with :func:`open_notebook` (a document named in the
    URL would open after the test's own, over it)."""
    parts = urlsplit(lab_url)
    return urlunsplit(parts._replace(path="/lab", query=parts.query + "&reset"))


def open_notebook(page: Page, path: str, *, to_run: bool) -> None:
    """Open the notebook at ``path`` (from the repository's root) in the JupyterLab that
    ``page`` shows, alone, without reloading JupyterLab: ``to_run``, on a kernel of its own;
    else (to read it) on one already running, if any."""
    page.wait_for_function("() => window.jupyterapp", timeout=90_000)
    page.evaluate(OPEN, [path, not to_run])


def accept_dialogs(page: Page) -> list[str]:
    """Accept any dialog JupyterLab opened (a loaded machine's slow kernel start can raise
    "Select Kernel"), returning the titles, so a click meant for the notebook lands there."""
    titles = []
    dialogs = page.locator(".jp-Dialog")
    while dialogs.count():
        titles.append(dialogs.first.locator(".jp-Dialog-header").inner_text())
        dialogs.first.locator(".jp-Dialog-button.jp-mod-accept").click()
        dialogs.first.wait_for(state="detached", timeout=10_000)
    return titles
