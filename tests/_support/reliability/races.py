"""Many creates with one idempotency key at once, over HTTP."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from leanrails import AsyncLeanRails
from leanrails.sandbox import TEST_API_KEY
from leanrails.testing import set_testing

from _support.sandbox import BASIC


async def same_key_creates(
    url: str, n: int, key: str, *, max_retries: int, spread: float
) -> list[Any]:
    """``n`` creates with one key, started within ``spread`` seconds; results or errors."""
    rng = random.Random(key)

    client = AsyncLeanRails(api_key=TEST_API_KEY, base_url=url, max_retries=max_retries)
    with set_testing(max_wait=0.05):
        async with client:

            async def one(start: float) -> Any:
                await asyncio.sleep(start)
                return await client.checkout_sessions.with_raw_response.create(
                    **BASIC, idempotency_key=key
                )

            starts = [0.0] * (n // 2) + [rng.uniform(0, spread) for _ in range(n - n // 2)]
            return await asyncio.gather(*(one(s) for s in starts), return_exceptions=True)
