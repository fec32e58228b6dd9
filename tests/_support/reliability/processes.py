"""Several ``leanrails sandbox --db`` processes on one database (a SQLite file, or a
PostgreSQL standing in for several hosts' shared server), sent the same keys."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from leanrails.sandbox import TEST_API_KEY

from _support.sandbox import BASIC, start_sandbox, stop


@contextmanager
def servers(
    db: str | Path | None,
    count: int,
    logs: Path,
    *options: str,
    started: list[subprocess.Popen[bytes]] | None = None,
) -> Iterator[list[str]]:
    """``count`` sandbox processes sharing ``db`` (each in memory when None), with more
    ``options``; yields their base URLs, and puts the processes in ``started`` (to kill one)."""
    with ExitStack() as stack:
        urls = []
        for n in range(count):
            process, port = start_sandbox([*_db(db), *options], logs / f"server-{n}.log")
            stack.callback(stop, process)
            if started is not None:
                started.append(process)
            urls.append(f"http://127.0.0.1:{port}")
        yield urls


def _db(db: str | Path | None) -> tuple[str, ...]:
    return () if db is None else ("--db", str(db))


@dataclass
class Answers:
    """The session id each 200 answered, per key, in the order they were acknowledged."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    retried: int = 0


async def send_everywhere(urls: list[str], keys: list[str], answers: Answers) -> None:
    """Every key to every server at once; 409s and 503s are retried until a 200."""
    limits = httpx2.Limits(max_connections=50)
    clients = [
        httpx2.AsyncClient(
            base_url=u,
            auth=(TEST_API_KEY, ""),
            timeout=httpx2.Timeout(30, pool=None),
            limits=limits,
        )
        for u in urls
    ]
    try:

        async def one(client: httpx2.AsyncClient, key: str) -> None:
            while True:
                answer = await client.post(
                    "/v1/checkout_sessions", json=BASIC, headers={"Idempotency-Key": key}
                )
                if answer.status_code == 200:
                    answers.ids.setdefault(key, []).append(answer.json()["id"])
                    return
                assert answer.status_code in (409, 503), answer.text
                answers.retried += 1
                await asyncio.sleep(0.05)

        await asyncio.gather(*(one(c, k) for k in keys for c in clients))
    finally:
        for client in clients:
            await client.aclose()
