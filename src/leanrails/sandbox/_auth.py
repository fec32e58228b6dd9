"""Authentication: who is calling, from the ``Authorization`` header of an API request.

Sandbox conventions: HTTP Basic, a key starting ``sk_test_`` (and longer than the prefix)
as the username, an empty password. :data:`TEST_API_KEY` is the documented one. Each test
key is its own account (:func:`account_for`): its sessions, idempotency records and faults
are invisible to every other key, so CI jobs that share one sandbox server, each with its
own key, cannot see or disturb each other. The hosted page needs no key.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from dataclasses import dataclass
from typing import Final

from ._errors import SandboxError
from ._wire import SandboxRequest

TEST_API_KEY: Final = "sk_test_sandbox"
"""The documented sandbox key. Any key that starts with ``sk_test_`` works as well."""

TEST_KEY_PREFIX: Final = "sk_test_"


@functools.lru_cache(maxsize=4096)
def account_for(api_key: str) -> str:
    """The account a test key opens: one per key, named so the key itself is not shown."""
    return "acct_test_" + hashlib.sha256(api_key.encode()).hexdigest()[:24]


_HOW: Final = (
    "Use HTTP Basic with a test key (such as sk_test_sandbox) as the username and an "
    "empty password, for example: curl -u sk_test_sandbox: ..."
)


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller: its key (which scopes idempotency) and its account."""

    api_key: str
    account: str


def authenticate(request: SandboxRequest) -> Caller:
    """The caller, or a 401 that says how to authenticate."""
    return _caller(request.header("authorization"))


@functools.lru_cache(maxsize=1024)
def _caller(header: str | None) -> Caller:
    """The caller an ``Authorization`` value names (each value is decoded once: a client
    sends the same one with every request), or the 401; a refusal is not cached."""
    if header is None or not header.strip():
        raise _unauthorized("api_key_missing", f"No API key provided. {_HOW}")
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise _unauthorized("api_key_invalid", f"Unsupported authorization scheme. {_HOW}")
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise _unauthorized(
            "api_key_invalid", f"The Authorization header is not valid Basic. {_HOW}"
        ) from None
    username, colon, password = decoded.partition(":")
    if not colon or password:
        raise _unauthorized(
            "api_key_invalid", f"The password must be empty; the key is the username. {_HOW}"
        )
    if not username.startswith(TEST_KEY_PREFIX) or len(username) == len(TEST_KEY_PREFIX):
        raise _unauthorized(
            "api_key_invalid",
            "Invalid API key: the sandbox accepts only test keys, which start with "
            f"sk_test_. {_HOW}",
        )
    return Caller(api_key=username, account=account_for(username))


def _unauthorized(code: str, message: str) -> SandboxError:
    return SandboxError(401, "authentication_error", code, message)
