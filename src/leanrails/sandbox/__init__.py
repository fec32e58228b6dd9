"""The LeanRails sandbox: a stateful LeanRails for tests, notebooks and other languages.

One engine (:class:`Sandbox`) keeps the state and answers requests. It runs in-process
through :class:`SandboxTransport` / :class:`AsyncSandboxTransport` (no socket, no thread;
base URL :data:`IN_PROCESS_BASE_URL`), or over HTTP as the ASGI app of :func:`create_app`,
which ``leanrails sandbox`` serves under uvicorn.

Routes (sandbox conventions beyond the reference are marked *):

- ``POST /v1/checkout_sessions``: create, as the reference describes it
- ``GET /v1/checkout_sessions/{id}`` *
- ``POST /v1/checkout_sessions/{id}/expire`` *
- ``POST /v1/test_helpers/checkout_sessions/{id}/complete`` *, body
  ``{"customer_details": {...}}`` or ``{}``
- ``POST /v1/test_helpers/faults`` * (and ``GET``), body such as
  ``{"fail_next": {"count": 2, "status": 503, "retry_after": 1}}``,
  ``{"delay": {"seconds": 0.5, "count": 1}}``, ``{"drop_after_commit": 1}`` or
  ``{"clear": true}``
- ``GET /openapi.yaml``: the contract
- ``GET /pay/{id}`` and its form ``POST``: the hosted checkout page *
- ``GET /checkout/success?session_id=…`` and ``GET /checkout/cancel?session_id=…``: the
  sandbox's own success and cancel pages, showing the session's outcome *
  (:data:`SUCCESS_PAGE`, :data:`CANCEL_PAGE`; ``Sandbox.success_url``, ``.cancel_url``)

Every POST under ``/v1`` needs an ``Idempotency-Key`` and every ``/v1`` request the test
key as HTTP Basic username (:data:`TEST_API_KEY`, or any ``sk_test_…`` key).
"""

from ._asgi import create_app
from ._auth import TEST_API_KEY
from ._catalog import DEFAULT_PRICES, Price
from ._engine import IN_PROCESS_BASE_URL, Sandbox
from ._errors import SandboxError
from ._hosted import CANCEL_PAGE, SUCCESS_PAGE
from ._idempotency import IDEMPOTENCY_RETENTION_SECONDS
from ._serve import ServedSandbox, serve_sandbox
from ._sessions import SESSION_LIFETIME_SECONDS
from ._transport import AsyncSandboxTransport, SandboxTransport
from ._wire import MAX_BODY_BYTES, SandboxRequest, SandboxResponse

__all__ = [
    "CANCEL_PAGE",
    "DEFAULT_PRICES",
    "IDEMPOTENCY_RETENTION_SECONDS",
    "IN_PROCESS_BASE_URL",
    "MAX_BODY_BYTES",
    "SESSION_LIFETIME_SECONDS",
    "SUCCESS_PAGE",
    "TEST_API_KEY",
    "AsyncSandboxTransport",
    "Price",
    "Sandbox",
    "SandboxError",
    "SandboxRequest",
    "SandboxResponse",
    "SandboxTransport",
    "ServedSandbox",
    "create_app",
    "serve_sandbox",
]
