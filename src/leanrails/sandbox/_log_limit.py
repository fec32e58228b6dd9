"""Error logging that cannot flood the disk: one line per kind of message per interval.

A server out of file descriptors, or fed malformed requests, logs the same error (with
its traceback) as fast as it can: 86 MB in 15 s. :class:`RateLimitedLog` lets the first
record of a kind through, keeps only its first line, keeps a traceback only the first
time its kind is seen, and drops the same kind for ``interval`` seconds; the next one
through says how many were dropped. A kind is the logger, the level, the first line of
the message's template and the exception's type, so repeats of one error with different
details (a socket, a client address) are one kind.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Final

__all__ = ["LIMITED_LOGGERS", "RateLimitedLog", "limit_error_logs"]

LIMITED_LOGGERS: Final = ("uvicorn.error", "asyncio", "leanrails.sandbox")
"""Where a server's errors are logged: uvicorn's, the event loop's and the sandbox's."""
DEFAULT_INTERVAL: Final = 10.0
_MAX_KINDS: Final = 256

_Kind = tuple[str, int, str, str]


class RateLimitedLog(logging.Filter):
    """At most one record of each kind every ``interval`` seconds, each one line."""

    def __init__(
        self, interval: float = DEFAULT_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[_Kind, tuple[float, int]] = {}
        """kind -> (when one was last let through, how many were dropped since)"""
        self._seen: set[_Kind] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[0] if record.exc_info else None
        template = str(record.msg).split("\n", 1)[0]
        kind = (record.name, record.levelno, template, error.__name__ if error else "")
        now = self._clock()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last[0] < self.interval:
                self._last[kind] = (last[0], last[1] + 1)
                return False
            if len(self._last) >= _MAX_KINDS:
                self._last.clear()
            self._last[kind] = (now, 0)
            first = kind not in self._seen
            if first and len(self._seen) < _MAX_KINDS:
                self._seen.add(kind)
        message = record.getMessage()
        line = message.split("\n", 1)[0]
        if not first and record.exc_info:
            exc = record.exc_info[1]
            line += f" ({type(exc).__name__}: {exc})"
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        if last is not None and last[1]:
            line += f" [{last[1]} more like this in the last {now - last[0]:.0f} s]"
        if line != message:
            record.msg, record.args = line, None
        return True


def limit_error_logs(interval: float = DEFAULT_INTERVAL) -> RateLimitedLog:
    """Put one :class:`RateLimitedLog` on each logger of :data:`LIMITED_LOGGERS` (replacing
    one put there before), and return it."""
    limiter = RateLimitedLog(interval)
    for name in LIMITED_LOGGERS:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, RateLimitedLog)]:
            logger.removeFilter(old)
        logger.addFilter(limiter)
    return limiter
