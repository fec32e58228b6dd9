"""A closed-loop HTTP/1.1 load generator: N keep-alive connections, one request in flight each.

Written on raw asyncio streams rather than an HTTP client library so that the generator
costs far less CPU than the server it measures (the machine may have only two cores: one
for the server, one for this). Each request carries a fresh ``Idempotency-Key``, so every
request to the sandbox is a real create. Its own CPU use is reported (``client_cpu``), so a
saturated generator shows in the results rather than passing for a slow server.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ._timing import percentile


@dataclass
class LoadResult:
    requests: int = 0
    seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0

    def merge(self, other: LoadResult) -> None:
        self.requests += other.requests
        self.seconds += other.seconds
        self.client_cpu_seconds += other.client_cpu_seconds
        self.latencies += other.latencies
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        self.errors += other.errors

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        return {
            "requests": self.requests,
            "seconds": self.seconds,
            "requests_per_s": self.throughput,
            "p50_ms": percentile(ordered, 50) * 1e3,
            "p90_ms": percentile(ordered, 90) * 1e3,
            "p99_ms": percentile(ordered, 99) * 1e3,
            "max_ms": (ordered[-1] if ordered else float("nan")) * 1e3,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": self.errors,
            "client_cpu": self.client_cpu_seconds / self.seconds if self.seconds else 0.0,
        }


def _request_bytes(port: int, path: str, headers: dict[str, str], body: bytes, key: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += [f"Idempotency-Key: {key}", f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


async def _connection(
    port: int,
    path: str,
    headers: dict[str, str],
    body: bytes,
    prefix: str,
    stop_at: float,
    result: LoadResult,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    counter = 0
    try:
        while time.perf_counter() < stop_at:
            counter += 1
            data = _request_bytes(port, path, headers, body, f"{prefix}-{counter}")
            started = time.perf_counter()
            writer.write(data)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = None
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length is None:
                raise RuntimeError("response without Content-Length: " + head.decode("latin-1"))
            await reader.readexactly(length)
            result.latencies.append(time.perf_counter() - started)
            result.requests += 1
            result.statuses[status] = result.statuses.get(status, 0) + 1
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        result.errors += 1
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def load(
    port: int | Sequence[int],
    path: str,
    headers: dict[str, str],
    body: bytes,
    *,
    concurrency: int,
    seconds: float,
    prefix: str,
) -> LoadResult:
    """Send creates for ``seconds`` over ``concurrency`` connections (spread over the
    servers of ``port`` when it lists several); bounded in time."""
    ports = [port] if isinstance(port, int) else list(port)

    async def run() -> LoadResult:
        result = LoadResult()
        cpu_start = time.process_time()
        started = time.perf_counter()
        stop_at = started + seconds
        await asyncio.gather(
            *(
                _connection(
                    ports[index % len(ports)],
                    path,
                    headers,
                    body,
                    f"{prefix}-{index}",
                    stop_at,
                    result,
                )
                for index in range(concurrency)
            )
        )
        result.seconds = time.perf_counter() - started
        result.client_cpu_seconds = time.process_time() - cpu_start
        return result

    return asyncio.run(run())
