"""Render a request as the curl command the API reference would show for it."""

from __future__ import annotations

import json
import shlex

import httpx2

__all__ = ["to_curl"]

MASKED_USER = '--user "$LEANRAILS_API_KEY:"'
"""Stands in for the Authorization header: still runs (curl builds the same Basic header
from the variable), yet prints no secret. Double quotes, so the shell expands it."""

# Stands in for credentials in the URL (a gateway's user:password), unless reveal_key=True.
MASKED_USERINFO = "****"

# Headers curl computes itself, or that would misdescribe curl (User-Agent).
_OMITTED = frozenset(
    {"host", "content-length", "connection", "accept", "accept-encoding", "user-agent"}
)


def to_curl(request: httpx2.Request, *, reveal_key: bool = False) -> str:
    """A copy-pasteable curl command for ``request``, in the reference's layout.

    The key is masked unless ``reveal_key=True``: the Authorization header becomes
    ``--user "$LEANRAILS_API_KEY:"``, and credentials in the URL become ``****``. Every
    value is single-quoted for POSIX shells where needed, so quotes and ``$`` inside the
    body are sent literally. A JSON body is pretty-printed (same JSON, different
    whitespace), as in the reference.
    """
    url = request.url
    if url.userinfo and not reveal_key:
        url = url.copy_with(username=MASKED_USERINFO, password=None)
    lines = [f"curl --request {request.method}", f"--url {shlex.quote(str(url))}"]
    for raw_name, raw_value in request.headers.raw:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        lowered = name.lower()
        if lowered in _OMITTED:
            continue
        if lowered == "authorization" and not reveal_key:
            lines.append(MASKED_USER)
        else:
            lines.append(f"--header {shlex.quote(f'{name}: {value}')}")
    body = request.read()
    if body:
        try:
            pretty = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
        except ValueError:
            # --data-raw: curl would read a file for a body starting with "@" under --data.
            lines.append(f"--data-raw {shlex.quote(body.decode('utf-8', 'replace'))}")
        else:
            data = "\n" + pretty + "\n"  # the reference opens and closes the quote on its own line
            lines.append(f"--data {shlex.quote(data)}")
    return " \\\n  ".join(lines)
