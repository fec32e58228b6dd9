"""Test support for code that calls LeanRails: instant retries, and a record of each retry.

Retries are real behaviour worth testing (the same idempotency key on every attempt, the
error raised when they run out), but their waits (0.5 s, 1 s, 2 s...) make a suite slow.
As with stamina's ``set_testing``, one call in a ``conftest.py`` removes the waits for
every client in the process:

```python
import leanrails.testing

leanrails.testing.set_testing()
```

To check what the client decided, record the retries instead (nothing sleeps):

```python
with leanrails.testing.record_retries() as retries:
    client.checkout_sessions.create(...)
assert [r.reason for r in retries] == ["503"]
```

Both replace nothing in the client you ship: no constructor argument, no monkeypatching.
To point a client at a fake server, give it ``http_client=httpx2.Client(transport=...)``.
"""

from ._testing import RetryRecord, record_retries, set_testing

__all__ = ["RetryRecord", "record_retries", "set_testing"]

RetryRecord.__module__ = record_retries.__module__ = set_testing.__module__ = __name__
