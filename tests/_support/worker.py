"""What a process pool's workers run: importable by name, so ``spawn`` workers find it."""

from __future__ import annotations

from leanrails import LeanRails

from _support.client import BODY


def create_or_retrieve(session_id: str | None) -> str:
    """A new session's id, or the id of the session retrieved (each worker's own sandbox)."""
    with LeanRails.sandbox() as client:
        if session_id is None:
            return client.checkout_sessions.create(**BODY).id
        return client.checkout_sessions.retrieve(session_id).id
