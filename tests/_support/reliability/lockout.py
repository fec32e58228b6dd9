"""One key tries to lock the others out of a ``leanrails sandbox``: it sets its longest delay
fault and opens more requests than the server answers at once; then another key, the
server's index page and the attacker's own ``clear`` are tried.

The attacker runs in a process of its own (``python -m _support.reliability.lockout URL N``),
so the time the other key's create takes is the server's, not this process's event loop
busy with the attacker's thousand connections.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from leanrails.sandbox import TEST_API_KEY
from leanrails.sandbox._faults import MAX_DELAY_SECONDS
from leanrails.sandbox._shares import MAX_REQUESTS_PER_ACCOUNT

from _support.sandbox import BASIC

ATTACKER = "sk_test_attacker"
QUIET_SECONDS = 3.0
"""Or once no attacker request has been answered for this long (a server that holds more
than the share: the old one held 1,000)."""
HANG_GUARD = MAX_DELAY_SECONDS + 60
STEADY_CREATES = 3


@dataclass
class Lockout:
    """What the others got while the attacker's requests were held."""

    attacker: Counter[str] = field(default_factory=Counter)
    other_create: int = 0
    other_create_ms: float = 0.0
    """The first create, as the last of the attacker's burst is being turned away."""
    steady_create_ms: float = 0.0
    """The slowest of a few more, over the next seconds, while the share stays held."""
    index_page: int = 0
    attackers_clear: int = 0


def attack(url: str, requests: int) -> Lockout:
    """``requests`` held creates of :data:`ATTACKER`, then the probes from this process."""
    result = Lockout()
    tests = Path(__file__).resolve().parents[2]
    attacker = subprocess.Popen(
        [sys.executable, "-m", "_support.reliability.lockout", url, str(requests)],
        cwd=tests,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert attacker.stdout is not None
        assert attacker.stdout.readline().strip() == "settled"
        with (
            httpx2.Client(base_url=url, auth=(TEST_API_KEY, ""), timeout=30) as good,
            httpx2.Client(base_url=url, auth=(ATTACKER, ""), timeout=30) as bad,
        ):
            started = time.monotonic()
            create = good.post(
                "/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": "other"}
            )
            result.other_create_ms = (time.monotonic() - started) * 1000
            result.other_create = create.status_code
            for n in range(STEADY_CREATES):
                time.sleep(1)
                started = time.monotonic()
                again = good.post(
                    "/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": f"other-{n}"}
                )
                assert again.status_code == 200, again.text
                took = (time.monotonic() - started) * 1000
                result.steady_create_ms = max(result.steady_create_ms, took)
            result.index_page = good.get("/").status_code
            clear = bad.post(
                "/v1/test_helpers/faults",
                json={"clear": True},
                headers={"Idempotency-Key": "clear"},
            )
            result.attackers_clear = clear.status_code
        out, _ = attacker.communicate(timeout=HANG_GUARD)
        result.attacker = Counter(json.loads(out))
    finally:
        if attacker.poll() is None:
            attacker.kill()
            attacker.wait()
    return result


async def _hold(url: str, requests: int) -> Counter[str]:
    """The attacker: sets its fault, sends ``requests`` creates at once, prints ``settled``
    once all but its share are answered (or none for a while), and returns how each was
    answered in the end."""
    answers: Counter[str] = Counter()
    limits = httpx2.Limits(max_connections=requests + 10, max_keepalive_connections=0)
    guard = httpx2.Timeout(HANG_GUARD, pool=None)
    async with httpx2.AsyncClient(
        base_url=url, auth=(ATTACKER, ""), limits=limits, timeout=guard
    ) as bad:
        fault = {"delay": {"seconds": MAX_DELAY_SECONDS}}
        set_fault = await bad.post(
            "/v1/test_helpers/faults", json=fault, headers={"Idempotency-Key": "attack"}
        )
        assert set_fault.status_code == 200, set_fault.text

        async def one(n: int) -> None:
            answer = await bad.post(
                "/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": f"held-{n}"}
            )
            code = "" if answer.status_code == 200 else answer.json()["error"]["code"]
            answers[f"{answer.status_code} {code}".strip()] += 1

        held = [asyncio.create_task(one(n)) for n in range(requests)]
        turned_away = requests - MAX_REQUESTS_PER_ACCOUNT
        seen, quiet_since = -1, time.monotonic()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            answered = sum(answers.values())
            if answered >= turned_away:
                break
            if answered != seen:
                seen, quiet_since = answered, time.monotonic()
            elif time.monotonic() - quiet_since >= QUIET_SECONDS:
                break
        print("settled", flush=True)
        await asyncio.gather(*held)
    return answers


if __name__ == "__main__":
    counts = asyncio.run(_hold(sys.argv[1], int(sys.argv[2])))
    print(json.dumps(counts), flush=True)
