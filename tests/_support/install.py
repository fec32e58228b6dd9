"""What the tests need from the machine (Chromium, PostgreSQL), found or installed the way
it allows: ``make test`` runs each harness's ``ensure`` while setting up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable


def find_or_install(
    found: Callable[[], object],
    package: str,
    purpose: str,
    how_to_install: str,
    otherwise: Callable[[], object] | None = None,
) -> int:
    """0 when ``found()`` finds it, at once or after installing Debian's ``package`` with
    apt-get (as root), else after ``otherwise``; 1, saying ``how_to_install``, if still not."""
    if found():
        return 0
    if not install_with_apt(package, purpose) and otherwise is not None:
        otherwise()
    if found():
        return 0
    print(f"error: {how_to_install}.", file=sys.stderr)
    return 1


def install_with_apt(package: str, purpose: str) -> bool:
    """Install Debian's ``package`` with apt-get when running as root; False if not root."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    print(f"make: installing Debian's {package} for {purpose} (apt-get, as root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", package],
        check=False,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return True
