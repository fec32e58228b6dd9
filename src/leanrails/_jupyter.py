"""``%load_ext leanrails``: the kit in IPython, on request only.

``import leanrails`` changes nothing in IPython: the kit's own objects (a session, an API
error, ``leanrails.ValidationError``) carry their rich display (``_repr_mimebundle_``), and
everything else looks as it did. Loading the extension (:func:`load`, as the guide does)
adds two things, and ``%unload_ext leanrails`` removes them:

- ``httpx2.Request`` (what ``client.checkout_sessions.build()`` returns) shows as a table,
  the key masked (``_display.register``);
- an uncaught error of the kit's own (every ``LeanRailsError``, ``leanrails.ValidationError``,
  a ``ValidationError`` of a request model) shows as the kit's table instead of some sixty
  lines of traceback, whose end is what the learner needs (which parameter, why, what the
  server said). Beneath the table, the traceback is collapsed, and shows the reader's own
  frames (the cell, their modules): each run of frames inside the kit, installed packages
  and the standard library (leanrails, httpx2, httpcore, contextlib) is folded into one
  line, and the full traceback stays a ``%tb`` away. So a saved notebook names no machine's
  folders, and its tracebacks do not change with the kit's line numbers (a guide notebook
  run again in JupyterLab saves the same text). One error line follows, so the cell still
  fails (nbval, "Run All" and ``raises-exception`` see an error, with the real exception name
  and text).

The plain-text form (a terminal, nbval) is the error's text and the same one line. Other
exceptions, and another library's custom handler, are left alone.
"""

from __future__ import annotations

import html
import os
import re
import sys
import sysconfig
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import ValidationError

from . import _display as display
from ._display import session_html, validation_error_html
from ._errors import LeanRailsError
from ._params import RequestModel
from ._params import ValidationError as KitValidationError
from ._session import CheckoutSession

__all__ = ["display_bundle", "error_bundle", "load", "register", "unload"]

HANDLED = (ValidationError, LeanRailsError)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_KIT = str(Path(__file__).resolve().parent) + os.sep
_PACKAGES = sorted({sysconfig.get_path("purelib"), sysconfig.get_path("platlib")})
_SHORT_PREFIXES = ((_KIT, "leanrails/"), *((path + os.sep, "site-packages/") for path in _PACKAGES))
# Where a frame is another package's internals: installed packages, the standard library.
# Longest first: site-packages may sit inside the standard library's folder.
_INTERNAL = tuple(
    sorted(
        {str(Path(path).resolve()) + os.sep for path in (*_PACKAGES, sysconfig.get_path("stdlib"))},
        key=len,
        reverse=True,
    )
)
_FRAME_FILE = re.compile(r"\AFile (.+?):\d+(?:, in |$)", re.M)


def _short_paths(text: str) -> str:
    for prefix, short in _SHORT_PREFIXES:
        text = text.replace(prefix, short)
    return text


def _package(frame: str) -> str | None:
    """The package a traceback frame is in (``leanrails``, an installed one, or the standard
    library); None for a notebook cell's frame and a user's own module's."""
    match = _FRAME_FILE.match(frame)
    if match is None:
        return None
    path = os.path.realpath(os.path.expanduser(match.group(1)))
    if path.startswith(_KIT):
        return "leanrails"
    for prefix in _INTERNAL:
        if path.startswith(prefix):
            rest = path.removeprefix(prefix)
            return rest.split(os.sep, 1)[0] if "-packages" in prefix else "the standard library"
    return None


def trimmed(frames: list[str]) -> list[str]:
    """A structured traceback with each run of other packages' frames folded into one line."""
    kept: list[str] = []
    folded: list[str] = []

    def fold() -> None:
        if folded:
            names = ", ".join(sorted(set(folded)))
            count = len(folded)
            kept.append(f"... {count} frame{'s' if count != 1 else ''} in {names} (%tb shows them)")
            folded.clear()

    for frame in frames:
        package = _package(_ANSI.sub("", frame))
        if package is None:
            fold()
            kept.append(frame)
        else:
            folded.append(package)
    fold()
    return kept


def _request_models() -> set[str]:
    found: set[str] = set()
    pending = [RequestModel]
    while pending:
        model = pending.pop()
        found.add(model.__name__)
        pending += model.__subclasses__()
    return found


def is_kit_error(error: BaseException) -> bool:
    """One of the kit's errors, or a ``ValidationError`` of one of its request models."""
    if isinstance(error, (LeanRailsError, KitValidationError)):
        return True
    return isinstance(error, ValidationError) and error.title in _request_models()


def summary(error: BaseException) -> str:
    """The one error line: the exception's name and its first line of text."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def _shell() -> Any:
    """The running IPython shell, or None; IPython is only looked up, never imported."""
    get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    return get_ipython() if callable(get_ipython) else None


def display_bundle(obj: object) -> dict[str, str]:
    """``obj`` as IPython shows it: the HTML registered for it (``_display``), and its text.

    Outside IPython, or for a type with no HTML display, ``_display``'s renderers are
    called directly, and anything else is its escaped text.
    """
    text = str(obj) if isinstance(obj, BaseException) else repr(obj)
    shell = _shell()
    if shell is not None:
        data, _ = shell.display_formatter.format(obj)
        if "text/html" in data:
            if not isinstance(obj, ValidationError):  # its repr names no input
                text = data.get("text/plain", text)
            return {"text/html": data["text/html"], "text/plain": text}
    if isinstance(obj, ValidationError):
        page = validation_error_html(obj)
    elif isinstance(obj, CheckoutSession):
        page = session_html(obj)
    else:
        name = type(obj).__name__
        page = (
            f"<div><p><strong>{html.escape(name)}</strong></p><pre>{html.escape(text)}</pre></div>"
        )
    return {"text/html": page, "text/plain": text}


def error_bundle(error: BaseException, traceback_text: str) -> dict[str, str]:
    """The display of a kit error: HTML (table, then the traceback collapsed) and plain text."""
    bundle = display_bundle(error)
    lines = traceback_text.strip("\n").count("\n") + 1
    details = (
        '<details class="leanrails-traceback"><summary>Traceback '
        f"({lines} lines; also <code>%tb</code>)</summary>"
        f'<pre style="font-size: 85%">{html.escape(_short_paths(traceback_text))}</pre></details>'
    )
    return {
        "text/html": f'<div class="leanrails-uncaught">{bundle["text/html"]}{details}</div>',
        "text/plain": bundle["text/plain"],
    }


def _handler(
    shell: Any,
    etype: type[BaseException],
    value: BaseException,
    tb: TracebackType | None,
    tb_offset: int | None = None,
) -> list[str]:
    if not is_kit_error(value):
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return []
    # %tb and %debug read these; IPython's own path sets them too.
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
    if sys.version_info >= (3, 12):
        sys.last_exc = value
    full = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    traceback_text = _ANSI.sub("", shell.InteractiveTB.stb2text(trimmed(full)))
    shell.display_pub.publish(data=error_bundle(value, traceback_text), metadata={})
    line = summary(value)
    stb = [f"\x1b[0;31m{line}\x1b[0m"]
    shell._showtraceback(etype, value, stb)
    return stb


def register(shell: Any) -> bool:
    """Install the error handler in ``shell``; ``False`` when another one is installed there.

    A custom exception handler that someone else installed is kept.
    """
    if shell.custom_exceptions not in ((), HANDLED):
        return False
    shell.set_custom_exc(HANDLED, _handler)
    return True


def load(shell: Any) -> None:
    """``%load_ext leanrails``: requests as tables, kit errors as the kit's table."""
    display.register(shell)
    register(shell)


def unload(shell: Any) -> None:
    """``%unload_ext leanrails``: IPython's own display and tracebacks again."""
    display.unregister(shell)
    if shell.custom_exceptions == HANDLED:
        shell.set_custom_exc((), None)
