"""Render a request as the curl command the API reference would show for it.

The one generator of curl commands: the guide, the README, ``explore()`` and the reference
page's samples all print what :func:`to_curl` writes, so each of them runs as printed.
"""

from __future__ import annotations

import json
import re
import shlex

import httpx2

from ._secrets import is_credential_header, masked_value

__all__ = ["BASE_URL_VARIABLE", "FRESH_IDEMPOTENCY_KEY", "to_curl"]

BASE_URL_VARIABLE = "LEANRAILS_BASE_URL"
"""The base URL comes from this variable when it is set (as the client reads it too); the
request's own is the default."""

FRESH_IDEMPOTENCY_KEY = "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \\n')"
"""A new 32-hex-digit key each time the command runs, in any POSIX sh (``uuidgen`` is not
installed everywhere): run twice, the command creates twice rather than replaying."""

# What may stand inside double quotes without the shell reading it.
_PLAIN = re.compile(r"[A-Za-z0-9._~:/?#\[\]@'()*+,;=%-]*")
_API_PATH = "/v1/"

MASKED_USER = '--user "$LEANRAILS_API_KEY:"'
"""Stands in for the Authorization header: still runs (curl builds the same Basic header
from the variable), yet prints no secret. Double quotes, so the shell expands it."""

# Stands in for credentials in the URL (a gateway's user:password), unless reveal_key=True.
MASKED_USERINFO = "****"

# Headers curl computes itself, or that would misdescribe curl (User-Agent).
_OMITTED = frozenset(
    {"host", "content-length", "connection", "accept", "accept-encoding", "user-agent"}
)


def _url(url: httpx2.URL) -> tuple[str, str | None]:
    """``--url``'s argument, and a comment to print first when the URL has no address.

    The base URL (what comes before ``/v1/``) is ``${LEANRAILS_BASE_URL:-<the request's>}``,
    so the command goes where the environment says, as the client would, and otherwise
    where the request went. The in-process sandbox's base URL resolves nowhere: the default
    is then where ``leanrails sandbox`` serves, and the comment says so.
    """
    from ._cli import DEFAULT_PORT
    from .sandbox import IN_PROCESS_BASE_URL

    text, path = str(url), url.raw_path.decode("ascii")  # the path with its query
    start = path.find(_API_PATH)
    base = text.partition(path)[0] + path[: max(start, 0)]
    if start < 0 or not _PLAIN.fullmatch(base):
        return shlex.quote(text), None
    rest = text[len(base) :]
    note = None
    if base == IN_PROCESS_BASE_URL:
        base = f"http://127.0.0.1:{DEFAULT_PORT}"
        note = "# LeanRails.sandbox() has no address: serve the sandbox first (leanrails sandbox)"
    head = f'"${{{BASE_URL_VARIABLE}:-{base}}}'
    quoted = shlex.quote(rest)
    return (f'{head}{rest}"' if quoted == rest else f'{head}"{quoted}'), note


def to_curl(request: httpx2.Request, *, reveal_key: bool = False, replay: bool = False) -> str:
    """A copy-pasteable curl command for ``request``, in the reference's layout.

    It runs as printed: the base URL is ``$LEANRAILS_BASE_URL`` when set, the request's
    otherwise (for the in-process sandbox, where ``leanrails sandbox`` serves), and the key is
    ``$LEANRAILS_API_KEY``. The key is masked unless ``reveal_key=True``: the Authorization
    header becomes ``--user "$LEANRAILS_API_KEY:"``, and another credential header's value
    (a gateway's ``Proxy-Authorization``) and credentials in the URL become ``****``. The
    ``Idempotency-Key`` is a new one each time the command runs, so running it twice creates
    twice; ``replay=True`` keeps the request's own, so running it again
    replays that create. Every value is single-quoted for POSIX shells where needed, so
    quotes and ``$`` inside the body are sent literally. A JSON body is pretty-printed
    (same JSON, different whitespace), as in the reference.
    """
    url = request.url
    if url.userinfo and not reveal_key:
        url = url.copy_with(username=MASKED_USERINFO, password=None)
    target, note = _url(url)
    lines = [f"curl --request {request.method}", f"--url {target}"]
    for raw_name, raw_value in request.headers.raw:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        lowered = name.lower()
        if lowered in _OMITTED:
            continue
        if lowered == "authorization" and not reveal_key:
            lines.append(MASKED_USER)
        elif is_credential_header(name) and not reveal_key:  # a gateway's, say
            lines.append(f"--header {shlex.quote(f'{name}: {masked_value(value)}')}")
        elif lowered == "idempotency-key" and not replay:
            lines.append(f'--header "{name}: {FRESH_IDEMPOTENCY_KEY}"')
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
    command = " \\\n  ".join(lines)
    return f"{note}\n{command}" if note else command
