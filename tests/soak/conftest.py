"""The soak tests run only under ``make soak`` (``LEANRAILS_SOAK=1``), never in ``make test``.

They are the attacks of ``tests/reliability/``, for longer and over the real
``leanrails sandbox`` process. The whole run is bounded at 5 minutes: each test has its own
budget (``BUDGET_SECONDS``) and pytest-timeout stops a hung one. Counts are printed at the
end and written to ``soak.json`` in ``$LEANRAILS_TEST_RESULTS`` (``make soak`` sets
``benchmarks/results``), else in pytest's temporary folder.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from _support.reliability.results import tally_for

ENABLED = os.environ.get("LEANRAILS_SOAK") == "1"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Skip collecting this directory's tests unless ``make soak`` asked for them."""
    return None if ENABLED else True


@pytest.fixture(scope="session", autouse=True)
def soak_wall_time(request: pytest.FixtureRequest) -> Iterator[None]:
    started = time.monotonic()
    yield
    tally = tally_for(request, "soak counts (make soak)", "soak.json")
    tally.add("soak", wall_seconds=round(time.monotonic() - started))
    tally.write()
