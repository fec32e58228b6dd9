"""Routing: which handler answers a request, and the headers every answer carries.

API routes (under ``/v1``, authenticated; see :mod:`leanrails.sandbox` for the list) run
their POSTs through :class:`Idempotency`; the caller's account's faults reach them as hooks.
Faults apply to ``/v1/checkout_sessions`` routes only, never to the test helpers, the hosted
page or ``/openapi.yaml``, so a test can always inspect and reset the sandbox. Every API
request but the fault helpers' takes one of its account's slots (:mod:`._shares`) until it
is answered. Every answer carries a ``Request-Id`` and echoes a header-safe
``X-API-Version``.

``HEAD`` is answered as ``GET`` would be, without the body (RFC 9110 §9.3.2): same status,
same headers (``Content-Length`` included) but ``Set-Cookie``. It takes no fault's count
(a failure or delay set for the next requests waits for them), and mints no CSRF cookie for
the hosted page (the token is made per GET, and nothing of it is kept server-side).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable
from importlib import resources
from typing import Any, Final

from .._params import CheckoutSessionCreateParams
from ._auth import TEST_API_KEY, Caller, authenticate
from ._checks import JSON, EmptyParams, json_object, read_params, refuse_conventions
from ._customer import CompleteParams
from ._errors import SandboxError, injected, invalid, not_found
from ._faults import FaultBook, FaultParams
from ._hosted import LANDINGS, HostedPage
from ._idempotency import Idempotency, Receipt
from ._record import new_id
from ._sessions import Sessions
from ._shares import Shares
from ._store import StoreBusy
from ._wire import SandboxRequest, SandboxResponse, Step, dump_json, response

_LOG: Final = logging.getLogger("leanrails.sandbox")


class Router:
    """Answers every request of one sandbox. ``lock`` is the engine's."""

    def __init__(
        self,
        sessions: Sessions,
        idempotency: Idempotency,
        faults: FaultBook,
        lock: threading.RLock,
        accept_unknown_params: bool = False,
    ) -> None:
        self._accept_unknown_params = accept_unknown_params
        self._sessions = sessions
        self._idempotency = idempotency
        self._faults = faults
        self._lock = lock
        self._page = HostedPage(sessions, lock)
        self._shares = Shares()

    def process(self, request: SandboxRequest) -> Step:
        """The answer to ``request``, as a generator that yields the holds to wait out."""
        request_id = new_id("req_")
        common: list[tuple[str, str]] = [("Request-Id", request_id)]
        version = request.header("x-api-version")
        if version is not None and _is_header_safe(version):
            common.append(("X-API-Version", version))
        head = request.method.upper() == "HEAD"
        try:
            result = yield from self._route(request, request_id, head)
        except SandboxError as exc:
            result = response(exc.status, dump_json(exc.body()), JSON, exc.headers)
        except StoreBusy:
            error = SandboxError(
                503,
                "api_error",
                "database_busy",
                "The sandbox's database is locked by another writer; retry shortly.",
                headers=(("Retry-After", "1"),),
            )
            result = response(503, dump_json(error.body()), JSON, error.headers)
        except Exception:  # pragma: no cover - a bug; answered as the API would
            _LOG.exception(
                "sandbox: unexpected error answering %s %s", request.method, request.path
            )
            error = SandboxError(500, "api_error", None, "The sandbox failed unexpectedly.")
            result = response(500, dump_json(error.body()), JSON)
        headers = result.headers + tuple(common)
        if head:
            headers = tuple(h for h in headers if h[0].lower() != "set-cookie")
            return SandboxResponse(result.status, headers, b"")
        return SandboxResponse(result.status, headers, result.body, result.drop_connection)

    def _route(self, request: SandboxRequest, request_id: str, head: bool) -> Step:
        method, path = "GET" if head else request.method.upper(), request.path
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["v1"]:
            caller = authenticate(request)
            route = (request, method, parts[1:], caller, request_id, head)
            if parts[1:3] == ["test_helpers", "faults"]:  # outside the share: clear gets through
                return (yield from self._route_api(*route))
            with self._shares.take(caller.account):
                return (yield from self._route_api(*route))
        if method == "GET" and path == "/openapi.yaml":
            return response(200, _openapi(), "application/yaml; charset=utf-8")
        if len(parts) == 2 and parts[0] == "pay" and method in ("GET", "POST"):
            return self._page.answer(request, method, parts[1])
        if method == "GET" and path == "/":
            return self._page.index(request, TEST_API_KEY)
        if method == "GET" and path in LANDINGS:
            return self._page.landing(request, LANDINGS[path])
        raise _unrecognized(method, path)

    def _route_api(
        self,
        request: SandboxRequest,
        method: str,
        parts: list[str],
        caller: Caller,
        rid: str,
        head: bool,
    ) -> Step:
        faults = self._faults.peek(caller.account)
        if parts[:1] == ["checkout_sessions"] and not head:  # a HEAD takes no fault's count
            failure = faults.take_failure()
            if failure is not None:
                raise injected(*failure)
        idempotent = functools.partial(self._idempotency.run, request, caller.api_key, rid)
        match method, parts:
            case "POST", ["checkout_sessions"]:
                create = self._create_action(caller)
                hold, drop = faults.take_delay, faults.take_drop
                return (yield from idempotent(create, hold=hold, drop=drop))
            case "GET", ["checkout_sessions", session_id]:
                held = None if head else faults.take_delay()
                if held is not None:
                    yield held
                with self._lock:
                    record = self._sessions.load(session_id, caller.account)
                    session = self._sessions.present(record)
                return response(200, dump_json(session), JSON)
            case "POST", ["checkout_sessions", session_id, "expire"]:
                expire = self._expire_action(caller, session_id)
                return (yield from idempotent(expire, hold=faults.take_delay))
            case "POST", ["test_helpers", "checkout_sessions", session_id, "complete"]:
                return (yield from idempotent(self._complete_action(caller, session_id)))
            case "POST", ["test_helpers", "faults"]:
                return (yield from idempotent(self._faults_action(caller)))
            case "GET", ["test_helpers", "faults"]:
                return response(200, dump_json(faults.state()), JSON)
        raise _unrecognized(method, request.path)

    # -- the POST actions: each reads its body and commits through the receipt ---------------

    def _create_action(self, caller: Caller) -> Callable[[bytes, Receipt], None]:
        def create(body: bytes, receipt: Receipt) -> None:
            now = self._sessions.now()
            context = {"now": now}
            unknown: dict[str, Any] = {}
            if self._accept_unknown_params:
                body, unknown = _split_unknown(body)
            params = read_params(CheckoutSessionCreateParams, body, required=True, context=context)
            refuse_conventions(params)
            self._sessions.create(params, caller.account, now, receipt, unknown)

        return create

    def _complete_action(self, caller: Caller, session_id: str) -> Callable[[bytes, Receipt], None]:
        def complete(body: bytes, receipt: Receipt) -> None:
            details = read_params(CompleteParams, body).customer_details
            self._sessions.complete(session_id, details, account=caller.account, receipt=receipt)

        return complete

    def _expire_action(self, caller: Caller, session_id: str) -> Callable[[bytes, Receipt], None]:
        def expire(body: bytes, receipt: Receipt) -> None:
            read_params(EmptyParams, body)
            self._sessions.expire(session_id, account=caller.account, receipt=receipt)

        return expire

    def _faults_action(self, caller: Caller) -> Callable[[bytes, Receipt], None]:
        def set_faults(body: bytes, receipt: Receipt) -> None:
            faults = self._faults.of(caller.account)
            read_params(FaultParams, body).apply(faults)
            receipt.commit(faults.state(), None)

        return set_faults


_UNKEPT = "An unknown parameter cannot be kept and sent back as JSON: "


def _split_unknown(body: bytes) -> tuple[bytes, dict[str, Any]]:
    """A create's body without the top-level keys the kit does not know, and those keys."""
    json_object(body)  # refused here as read_params would refuse it
    known = CheckoutSessionCreateParams.model_fields
    try:
        value = json.loads(body)  # numbers as they were sent, for the unknown keys' values
        unknown = {k: v for k, v in value.items() if k not in known}
        # Kept only if the answer can write them back as JSON in UTF-8: no lone surrogate,
        # no number json reads as infinite, no integer past Python's 4,300 digits.
        json.dumps(unknown, allow_nan=False, ensure_ascii=False).encode()
    except UnicodeError:  # a ValueError: the input is never echoed (it is not UTF-8)
        raise invalid(_UNKEPT + "a string holds a lone surrogate.", code="json_invalid") from None
    except ValueError as error:
        reason = "a number beyond a double" if "float" in str(error) else "an integer too long"
        raise invalid(_UNKEPT + reason + ".", code="json_invalid") from None
    if not unknown:
        return body, {}
    return json.dumps({k: v for k, v in value.items() if k in known}).encode(), unknown


def _is_header_safe(value: str) -> bool:
    return len(value) <= 255 and all(" " <= ch <= "~" or ch == "\t" for ch in value)


def _unrecognized(method: str, path: str) -> SandboxError:
    shown = path if len(path) <= 100 else path[:100] + "…"
    return not_found(f"Unrecognized request URL ({method}: {shown}).")


_OPENAPI: bytes | None = None


def _openapi() -> bytes:
    global _OPENAPI
    if _OPENAPI is None:
        _OPENAPI = resources.files("leanrails").joinpath("openapi.yaml").read_bytes()
    return _OPENAPI
