"""``leanrails.explore()``: the request builder for JupyterLab, loaded only when called.

The widgets live in ``_explore_form`` and need the ``lab`` extra (ipywidgets, PyYAML);
importing ``leanrails`` never imports them, so the client stays as light as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._client import LeanRails
from ._errors import UsageError

if TYPE_CHECKING:
    from ._explore_form import Explorer

__all__ = ["INSTALL_HINT", "explore"]

INSTALL_HINT = "explore() needs the lab extra: pip install 'leanrails[lab]'"


def explore(client: LeanRails | None = None, **body: Any) -> Explorer:
    """A form for ``POST /v1/checkout_sessions`` in JupyterLab, generated from the contract.

    Every parameter is a field (line items are added and removed with buttons). As you
    type, the body is validated with the same model as ``create`` and the problems are
    shown as a table; the request is shown live as the ``create(...)`` call and as curl
    (key masked). Send creates the session with ``client``, and shows the session or the
    API error. By default ``client`` is a sandbox of its own, served on a free 127.0.0.1
    port (``LeanRails.sandbox(serve=True)``), so a session's URL opens in the browser; without
    the ``server`` extra it is in-process, and the form says that its URLs open nowhere.
    ``body`` fills the form instead of the example request.
    """
    if not isinstance(client, LeanRails | None):
        raise UsageError(f"explore() sends with a LeanRails client, got {type(client).__name__}")
    try:
        from ._explore_form import Explorer
    except ImportError as exc:
        if exc.name not in ("ipywidgets", "yaml"):
            raise
        raise ImportError(INSTALL_HINT, name=exc.name) from None
    if client is None:
        try:
            client = LeanRails.sandbox(serve=True)
        except ImportError:  # no uvicorn: the server extra is not installed
            client = LeanRails.sandbox()
    return Explorer(client, body or None)
