"""Fixtures of the reliability tests: the run's tally of counts, and asyncio for anyio."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from _support.reliability.results import Tally, tally_for


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    counts = tally_for(request, "reliability counts (make test)", "reliability.json")
    yield counts
    counts.write()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
