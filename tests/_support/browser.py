"""The Chromium that the browser tests drive, found (or installed) in one place.

``make test`` runs ``python -m _support.browser ensure`` (tests/ on the path) while setting up,
so a new user's machine gets a browser the way it allows: one already there (``LEANRAILS_CHROMIUM``,
``chromium-headless-shell``, ``chromium``, Chrome), else Debian's ``chromium`` when running as
root with apt, else Playwright's own ``playwright install chromium``. The tests then call
:func:`launch`, which starts whichever was found, headless, with the flags that keep Chromium
off the network.

Chromium's old headless shell comes first, and as root with apt it is installed beside a full
Chromium: the same Blink, for half the CPU time of a full Chromium's headless mode (a
browser UI's processes per page); Playwright's own download runs its headless shell too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _support.install import find_or_install, install_with_apt

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

# Names of a system Chromium or Chrome, in order of preference.
HEADLESS_SHELL = "chromium-headless-shell"
SYSTEM_BROWSERS = (
    HEADLESS_SHELL,
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)

# No background traffic (updates, sync, safe browsing): the tests talk to 127.0.0.1 only.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

HOW_TO_INSTALL = (
    "no Chromium for the browser tests: install one with "
    "'sudo apt-get install chromium' (Debian/Ubuntu) or '.venv/bin/playwright install chromium', "
    "or point LEANRAILS_CHROMIUM at a Chromium or Chrome executable, then run make test again"
)


def system_chromium() -> str | None:
    """A Chromium or Chrome installed on the machine, if any."""
    chosen = os.environ.get("LEANRAILS_CHROMIUM")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    for name in SYSTEM_BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def playwright_chromium() -> str | None:
    """Playwright's own Chromium, if ``playwright install chromium`` has fetched it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        path = playwright.chromium.executable_path
    return path if Path(path).is_file() else None


def launch(playwright: Playwright, **options: Any) -> Browser:
    """Start the found Chromium headless; fail with how to get one if there is none."""
    import pytest

    executable = system_chromium()
    if executable is None and playwright_chromium() is None:
        pytest.fail(HOW_TO_INSTALL)
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, **options)


def ensure() -> int:
    """Find a Chromium, or install one as this machine allows; 0 when one is there."""
    if not os.environ.get("LEANRAILS_CHROMIUM") and not shutil.which(HEADLESS_SHELL):
        install_with_apt(HEADLESS_SHELL, "the browser tests")  # if it can: a Chromium will do
    return find_or_install(
        lambda: system_chromium() or playwright_chromium(),
        "chromium",
        "the browser tests",
        HOW_TO_INSTALL,
        otherwise=_install_playwright_chromium,
    )


def _install_playwright_chromium() -> None:
    print("make: installing Playwright's Chromium for the browser tests")
    subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], check=False)


if __name__ == "__main__":
    if sys.argv[1:] != ["ensure"]:
        sys.exit("usage: PYTHONPATH=tests python -m _support.browser ensure")
    sys.exit(ensure())
