"""Browser-side helpers for the hosted page's tests: filling the checkout, another origin."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

CARD_EXPIRY = "12 / 34"
CARD_CVC = "123"


def fill_checkout(page: Page, card_number: str, *, name: str = "Jane Smith") -> None:
    """Fill the checkout as a customer types it, by the fields' labels."""
    page.get_by_label("Name").fill(name)
    page.get_by_label("Card number").fill(card_number)
    page.get_by_label("Expiry date").fill(CARD_EXPIRY)
    page.get_by_label("Security code").fill(CARD_CVC)


# Each text node of the amount cells as line boxes: more than one distinct top is a wrap.
COUNT_WRAPPED_AMOUNTS = """() => {
  const wrapped = [];
  for (const cell of document.querySelectorAll('td.num')) {
    const range = document.createRange();
    range.selectNodeContents(cell);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    if (tops.size > 1) wrapped.push(cell.textContent);
  }
  return wrapped;
}"""


@contextmanager
def other_origin(pages: Mapping[str, str]) -> Iterator[str]:
    """Serve ``pages`` (path -> HTML) on another 127.0.0.1 port; yield that origin."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write((body or "").encode())

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read the browser, not this log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="other-origin", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
