"""The guide part: the kit's notebooks run against the server through a guard proxy, and
every code cell's outputs compared with the committed ones.

**The guard** (:class:`Proxy`, on 127.0.0.1 at a free port) is the notebooks' only way to the
server. The kernels never hold the user's key: they run with the guide's own stand-in key
(:data:`STAND_IN`, the key the guide was written with), and the guard swaps in the real key
on the way out, and back on the way in. So what depends on the key is compared by its role
(the guide's ``username: sk_test_sandbox`` is shown whatever the user's key), and a cell can
neither print the key nor use it around the guard. Each request passes the run's rules
(budget, deadline, :func:`._server.forbidden`) and :func:`credential_problem`, which holds
back any other credential but a test key in any form it could take. Every create is also
sent, unchanged, to the embedded sandbox, so the guide's own requests get the comparison too.
Where the server offers the sandbox's test helper ``complete``, the cells that pay a session
are forwarded and checked; against a server without it they are held back (*not checked*).

**The comparison.** Each notebook runs top to bottom in a fresh kernel (nbclient), from a
temporary copy in a temporary folder (nothing is written where the command runs). After each
cell its outputs are compared with the committed ones after masking what differs on every run
or every server (ids, clocks, hosts and ports, the prose of server error messages): the same
output kinds, the same values, the same error classes, statuses, types, codes and params.

A cell that differs is tied to the requests it sent: when one of them showed drift, the cell
is evidence of that finding. A cell that differs without drift in its own requests shows what
earlier requests of the notebook got: it is tied to their drift, or else to the notebook's
last differing cell before it. A cell that needed something held back is *not checked*, and
so is any later cell of its notebook that differs: what it shows may follow from the step
that was held back.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2

from ..sandbox import TEST_API_KEY
from ._judge import Exchange, Judged, judge
from ._server import (
    LIVE_KEY,
    TEST_KEY_PREFIX,
    Answer,
    OutOfBudget,
    Server,
    basic,
    forbidden,
    key_forms,
    plain,
)

STAND_IN = TEST_API_KEY
"""The key the kernels hold: the guide's own, so its outputs read the same for every user."""


def kit_guide() -> list[Path] | None:
    """The kit's own guide, beside the package it runs from (a clone, or an editable
    install), or None: never the notebooks of the folder the command runs in."""
    package = Path(__file__).resolve().parents[1]
    root = package.parents[1]
    if package.parent.name != "src" or not (root / "pyproject.toml").is_file():
        return None  # installed from a wheel: no guide beside it
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")) or None


# -- the guard proxy ----------------------------------------------------------------------

_HOP_HEADERS = {
    "host",
    "content-length",
    "connection",
    "accept-encoding",
    "transfer-encoding",
    "content-encoding",
    "keep-alive",
}
_FORWARDED = {"content-type", "idempotency-key", "x-api-version", "user-agent", "accept"}
_BASIC = re.compile(r"Basic ([A-Za-z0-9+/]+={0,2})")


def credential_problem(authorization: str | None) -> str | None:
    """Why a notebook's ``Authorization`` header may not go out, or None when it may.

    Only the canonical ``Basic base64(<key>:)`` form passes, with an empty password, and a
    key that is a test key (``sk_test_``) or no key at all (the guide shows a made-up key
    being refused). Any other scheme, spacing, case, padding or alphabet is held back, so a
    live key cannot slip through in a form the check does not read.
    """
    if not authorization:
        return None
    match = _BASIC.fullmatch(authorization)
    try:
        decoded = base64.b64decode(match.group(1), validate=True).decode() if match else ""
    except (binascii.Error, ValueError):
        decoded = ""
    user, colon, password = decoded.partition(":")
    if not colon or password or LIVE_KEY.search(decoded) or any(ord(c) < 33 for c in user):
        return "a credential that is not a test key in HTTP Basic form"
    if user.startswith(TEST_KEY_PREFIX) or not re.match(r"(?i)[a-z]{2}_", user):
        return None
    return "a key that is not a test key"


class CellLog:
    """What one notebook cell sent: its exchanges with both servers, judged, and what was
    held back."""

    def __init__(self) -> None:
        self.exchanges: list[Judged] = []
        self.blocked: list[str] = []
        self.requests = 0


class Proxy:
    """A local HTTP server forwarding the guide's requests to the server under check.

    ``helpers``: whether the server offers the sandbox's ``complete`` test helper.
    """

    def __init__(self, server: Server, sandbox: httpx2.Client, *, helpers: bool) -> None:
        self.server = server
        self.sandbox = sandbox
        self.helpers = helpers
        self.cell = CellLog()
        self.where = ""
        self._lock = threading.Lock()
        handler = _handler(self._answer)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> Proxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def begin(self, where: str) -> None:
        with self._lock:
            self.cell = CellLog()
            self.where = where

    def end(self) -> CellLog:
        with self._lock:
            return self.cell

    def _why_not(self, method: str, path: str, headers: dict[str, str], body: bytes) -> str | None:
        reason = forbidden(method, path) or credential_problem(headers.get("authorization"))
        if reason is None and "/test_helpers/" in path and not self.helpers:
            reason = "a sandbox test helper that the server does not offer"
        seen = " ".join([path, *(v for k, v in headers.items() if k != "authorization")])
        if reason is None and (LIVE_KEY.search(seen) or LIVE_KEY.search(body.decode("latin-1"))):
            reason = "a request that mentions a live key"
        return reason

    def _answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        with self._lock:
            cell, where = self.cell, self.where
            cell.requests += 1
        reason = self._why_not(method, path, headers, body)
        if reason is not None:
            cell.blocked.append(f"{method} {path.split('?')[0]}: {reason}")
            return _blocked(f"leanrails conformance does not send {reason} to the server")
        forward = {k: v for k, v in headers.items() if k.lower() in _FORWARDED}
        written = headers.get("authorization")
        stand_in = written == basic(STAND_IN)
        try:
            answer = self.server.send(
                method,
                path,
                body=body,
                headers=forward,
                authenticate=stand_in,
                authorization=None if stand_in else written,  # vetted: another test key
            )
        except OutOfBudget as exc:
            cell.blocked.append(f"{method} {path.split('?')[0]}: {exc}")
            return _blocked(f"leanrails conformance stopped: {exc}")
        except httpx2.TransportError as exc:
            return _blocked(f"the server could not be reached: {type(exc).__name__}", 502)
        answer = self._as_seen_by_the_guide(answer)
        if method.upper() == "POST" and path.split("?")[0].rstrip("/") == "/v1/checkout_sessions":
            local = {**forward, "Authorization": headers.get("authorization", "")}
            mine = self.sandbox.request(method, path, content=body, headers=local)
            exchange = Exchange(
                where, body, answer, Answer(mine.status_code, dict(mine.headers), mine.content)
            )
            judge(exchange)
            cell.exchanges.append(exchange.judged())
        return answer

    def _as_seen_by_the_guide(self, answer: Answer) -> Answer:
        """The answer with the user's key, in any form, turned back into the stand-in."""
        body, headers = answer.body, dict(answer.headers)
        pairs = zip(key_forms(self.server.key), key_forms(STAND_IN), strict=True)
        for form, back in sorted(pairs, key=lambda pair: -len(pair[0])):
            body = body.replace(form.encode(), back.encode())
            headers = {k: v.replace(form, back) for k, v in headers.items()}
        return Answer(answer.status, headers, body, answer.too_large)


def _blocked(message: str, status: int = 403) -> Answer:
    body = {
        "error": {
            "type": "permission_error",
            "code": "conformance_blocked",
            "message": message,
            "param": None,
        }
    }
    return Answer(
        status,
        {"content-type": "application/json", "request-id": "req_conformance"},
        json.dumps(body).encode(),
    )


def _handler(answer: Callable[[str, str, dict[str, str], bytes], Answer]) -> type[Any]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            result = answer(self.command, self.path, headers, body)
            self.send_response(result.status)
            for name, value in result.headers.items():
                if name.lower() not in _HOP_HEADERS:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(result.body)))
            self.end_headers()
            self.wfile.write(result.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the report says what was sent."""

    return Handler


# -- running the notebooks and comparing their cells ------------------------------------

# What changes on every run or every server, masked on both sides before comparing.
_MASKS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), r)
    for p, r in [
        (r"\b(cs_(?:test|live))_[A-Za-z0-9]+_secret_[A-Za-z0-9]+", r"\1_<ID>_secret_<SECRET>"),
        (r"\b(cs|pi|cus|req)_(test_|live_)?[A-Za-z0-9]{6,}", r"\1_<ID>"),
        (
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
            "<UUID>",
        ),
        (
            r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?",
            "<DATETIME>",
        ),
        (r"\b\d{4}-\d{2}-\d{2}\b", "<DATE>"),
        (r"\b1\d{9}\b", "<UNIX_TIME>"),
        (r"\b(leanrails-python|httpx2)/\d[\w.+-]*", r"\1/<VERSION>"),
        (r"https://errors\.pydantic\.dev/[\w.]+/", "https://errors.pydantic.dev/<VERSION>/"),
        (r"\bat 0x[0-9a-fA-F]+", "at 0x<ADDRESS>"),
        (r"\bhttps?://(?!errors\.pydantic\.dev)[A-Za-z0-9.\-]+(?::\d+)?", "<ORIGIN>"),
    ]
]
_STATUS = re.compile(r"\b[1-5]\d\d [A-Z][A-Za-z' -]*: ")
_TYPE = " (type="
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _mask_messages(text: str) -> str:
    """``NNN Reason: message (type=`` as ``NNN Reason: ... (type=``, on each line.

    In one pass: the regex ``(status).*?( \\(type=)`` took quadratic time on a line of many
    status-like prefixes and no ``(type=`` (8,000 took 2.5 s, 100,000 minutes), and the
    server chooses what some cells print (a session id)."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if _TYPE not in line:
            continue
        parts: list[str] = []
        start = 0
        while (end := line.find(_TYPE, start)) >= 0:
            status = _STATUS.search(line, start, end + 1)
            if status is not None and status.end() > end:  # its ": " took this space
                end = line.find(_TYPE, status.end())
                if end < 0:
                    break
            if status is None:
                parts.append(line[start : end + len(_TYPE)])
            else:
                parts.append(line[start : status.end()] + "..." + _TYPE)
            start = end + len(_TYPE)
        parts.append(line[start:])
        lines[index] = "".join(parts)
    return "\n".join(lines)


def normalize(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return _ANSI.sub("", _mask_messages(text)).rstrip()


def comparable(outputs: list[Any]) -> list[tuple[str, str]]:
    """A cell's outputs as (kind, masked text), consecutive streams of one name joined."""
    result: list[tuple[str, str]] = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            text = "".join(output.get("text", ""))
            name = f"stream:{output.get('name')}"
            if result and result[-1][0] == name:
                result[-1] = (name, result[-1][1] + text)
                continue
            result.append((name, text))
        elif kind in ("execute_result", "display_data"):
            plain = output.get("data", {}).get("text/plain", "")
            result.append(("result", "".join(plain)))
        elif kind == "error":
            result.append(("error", f"{output.get('ename')}: {output.get('evalue')}"))
    return [(kind, normalize(text)) for kind, text in result]


def first_difference(expected: list[tuple[str, str]], got: list[tuple[str, str]]) -> str:
    """One line saying where two output lists first differ."""
    for (kind_a, a), (kind_b, b) in zip(expected, got, strict=False):
        if kind_a != kind_b:
            return (
                f"the guide shows {_KINDS.get(kind_a, kind_a)}, the server run gave "
                f"{_KINDS.get(kind_b, kind_b)}: {_short(b)}"
            )
        if a != b:
            lines = zip([*a.splitlines(), ""], [*b.splitlines(), ""], strict=False)
            for line_a, line_b in lines:
                if line_a != line_b:
                    return (
                        f"the guide shows {_short(line_a)!r}, "
                        f"the server run gave {_short(line_b)!r}"
                    )
    if len(expected) != len(got):
        return f"the guide shows {len(expected)} output(s), the server run gave {len(got)}"
    return "no difference"


_KINDS = {
    "stream:stdout": "printed output",
    "stream:stderr": "output on stderr",
    "result": "a result",
    "error": "an error",
}


def _short(text: str) -> str:
    text = " | ".join(line.strip() for line in text.splitlines() if line.strip())
    return text if len(text) <= 160 else text[:157] + "..."


@dataclass
class CellResult:
    """One code cell: where it is, and how its outputs compare."""

    notebook: str
    index: int
    section: str
    status: str  # same | differs | blocked | not-checked
    detail: str = ""
    exchanges: list[Judged] = field(default_factory=list)
    causes: list[Judged] = field(default_factory=list)
    follows: int | None = None

    @property
    def where(self) -> str:
        return f"{self.notebook} cell {self.index}"


@dataclass
class GuideRun:
    cells: list[CellResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _sections(notebook: Any) -> list[str]:
    """The heading each cell is under (the nearest one above it)."""
    current = ""
    found = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
                if match:
                    current = match.group(1)
        found.append(current)
    return found


class _Stop(Exception):
    pass


_STRICT_CLIENTS = """\
# leanrails conformance: the guide's clients refuse the kit's conventions before sending, as
# the sandbox clients that wrote its outputs did, so the server is sent what the guide sent.
import functools
import leanrails
for _client in (leanrails.LeanRails, leanrails.AsyncLeanRails):
    _client.__init__ = functools.partialmethod(_client.__init__, strict=True)
"""


def run_guide(
    notebooks: list[Path],
    proxy: Proxy,
    key: str,
    *,
    time_left: Callable[[], float],
    cell_timeout: float = 60,
) -> GuideRun:
    """Run each notebook against the proxy and compare every code cell's outputs.

    The kernels start from an IPython folder of their own (a temporary one, so nothing is
    written to the user's), whose startup file makes the guide's live clients strict: the
    guide's outputs were written by strict sandbox clients, and a live client would send
    what they refused.
    """
    run = GuideRun()
    try:
        import ipykernel  # noqa: F401  (the python3 kernel each notebook runs in)
    except ImportError:
        run.skipped.append("not run: the guide part needs ipykernel (the conformance extra)")
        return run
    # The kernels get the stand-in key, and nothing of the environment that holds the key.
    forms = key_forms(key)
    env = {k: v for k, v in os.environ.items() if not any(form in v for form in forms)}
    env |= {"LEANRAILS_API_KEY": STAND_IN, "LEANRAILS_BASE_URL": proxy.url}
    with tempfile.TemporaryDirectory(prefix="leanrails-conformance-ipython-") as ipython:
        startup = Path(ipython) / "profile_default" / "startup"
        startup.mkdir(parents=True)
        (startup / "00-strict-clients.py").write_text(_STRICT_CLIENTS, encoding="utf-8")
        env["IPYTHONDIR"] = ipython
        for path in notebooks:
            if time_left() <= 0:
                run.skipped.append(f"{path.name}: not run, the time limit was reached")
                continue
            cells, stopped = _run_notebook(path, proxy, env, time_left, cell_timeout)
            run.cells += cells
            if stopped:
                run.skipped.append(f"{path.name}: {stopped}")
    return run


def _run_notebook(
    path: Path,
    proxy: Proxy,
    env: dict[str, str],
    time_left: Callable[[], float],
    cell_timeout: float,
) -> tuple[list[CellResult], str | None]:
    """Run one notebook from a temporary copy: each code cell's result, and why it stopped."""
    import nbformat
    from nbclient import NotebookClient

    committed = nbformat.read(path, as_version=4)
    sections = _sections(committed)
    expected = {i: comparable(c.get("outputs", [])) for i, c in enumerate(committed.cells)}
    results: list[CellResult] = []
    state: dict[str, Any] = {"last": None, "drifted": []}

    def started(cell: Any, cell_index: int, **_: Any) -> None:
        if time_left() <= 0:
            raise _Stop
        proxy.begin(f"{path.name} cell {cell_index}")

    def executed(cell: Any, cell_index: int, **_: Any) -> None:
        got = comparable(cell.get("outputs", []))
        log = proxy.end()
        where = (path.name, cell_index, sections[cell_index])
        results.append(_judge_cell(*where, expected[cell_index], got, log, state))

    with tempfile.TemporaryDirectory(prefix="leanrails-conformance-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        notebook = nbformat.read(copy, as_version=4)
        client = NotebookClient(
            notebook,
            timeout=int(cell_timeout),
            timeout_func=lambda cell: max(1, min(int(cell_timeout), int(time_left()) + 1)),
            startup_timeout=max(1, int(time_left()) + 1),
            shutdown_kernel="immediate",  # the deadline is the run's, not the kernel's
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": tmp}},
            on_cell_execute=started,
            on_cell_executed=executed,
        )
        try:
            client.execute(env=env, stderr=subprocess.DEVNULL)
        except _Stop:
            return results, "stopped at the time limit"
        except Exception as exc:  # a kernel that will not start, a cell that times out
            return results, plain(f"stopped: {type(exc).__name__}: {exc}")
    return results, None


def _judge_cell(
    notebook: str,
    index: int,
    section: str,
    expected: list[tuple[str, str]],
    got: list[tuple[str, str]],
    log: CellLog,
    state: dict[str, Any],
) -> CellResult:
    result = CellResult(notebook, index, section, "same", exchanges=log.exchanges)
    state["drifted"] += [exchange for exchange in log.exchanges if exchange.observations]
    if log.blocked:
        result.status = "blocked"
        result.detail = "; ".join(sorted(set(log.blocked)))
        state["last"] = result
        return result
    if expected == got:
        return result
    result.detail = plain(first_difference(expected, got))
    result.status = "differs"
    drifted = [exchange for exchange in log.exchanges if exchange.observations]
    earlier: list[Judged] = state["drifted"]
    last: CellResult | None = state["last"]
    if last is not None and last.status in ("blocked", "not-checked"):
        result.status = "not-checked"
        result.follows = last.index if last.follows is None else last.follows
    elif drifted:
        result.causes = drifted
    elif earlier:
        result.causes = list(earlier)  # shows what earlier requests of the notebook got
    elif last is not None:
        result.follows = last.index if last.follows is None else last.follows
    state["last"] = result
    return result
