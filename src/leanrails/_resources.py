"""The resources (``client.checkout_sessions``, ``client.test_helpers``), written once.

Each method validates its arguments into a ``Call`` and hands it to a runner that the client
supplies, so the same method returns a ``CheckoutSession`` on the sync client, a coroutine
on the async one, an ``APIResponse`` under ``with_raw_response`` and an unsent
``httpx2.Request`` as ``build``. Per-call settings arrive as ``RequestOptions`` and pass
through to the ``Call`` untouched, so a new one is added in one place.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, Unpack
from urllib.parse import quote

import httpx2
from pydantic_core import to_json

from ._call import Call, RequestOptions, TimeoutTypes
from ._params import CheckoutSessionCreateParams
from ._rules import MAX_IDEMPOTENCY_KEY_LENGTH, idempotency_key_fault
from ._session import CustomerDetails

SESSIONS_PATH = "/v1/checkout_sessions"
HELPER_SESSIONS_PATH = "/v1/test_helpers/checkout_sessions"

_R = TypeVar("_R")
_Raw = TypeVar("_Raw")


def _idempotency_key(key: str | None) -> str:
    if key is None:
        return str(uuid.uuid4())
    fault = idempotency_key_fault(key)
    if fault == "length":
        raise ValueError(
            f"idempotency_key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters, got "
            f"{len(key)}; leave it out and the client generates one"
        )
    if fault == "characters":
        raise ValueError("idempotency_key must be printable ASCII, as it is sent as a header")
    return key


def _session_path(session_id: str, action: str = "", *, base: str = SESSIONS_PATH) -> str:
    if not session_id:
        raise ValueError("a checkout session id is required, such as 'cs_test_...'")
    # Quoted whole, so an id can never walk to another path ("../", "?", "#").
    return f"{base}/{quote(session_id, safe='')}{action}"


def _post(path: str, body: bytes, idempotency_key: str | None, options: RequestOptions) -> Call:
    """A POST: JSON body, and an idempotency key that every retry reuses."""
    return Call(
        method="POST",
        path=path,
        body=body,
        idempotency_key=_idempotency_key(idempotency_key),
        **options,
    )


def _create_body(params: CheckoutSessionCreateParams | None, fields: dict[str, Any]) -> bytes:
    if params is None:
        params = CheckoutSessionCreateParams(**fields)
    elif fields:
        raise TypeError(
            "create() takes a CheckoutSessionCreateParams or keyword fields, not both; "
            f"got params and {', '.join(sorted(fields))}"
        )
    elif not isinstance(params, CheckoutSessionCreateParams):
        raise TypeError(
            "params must be a CheckoutSessionCreateParams, got "
            f"{type(params).__name__}; pass a dict's fields as keywords: create(**body)"
        )
    return params.to_json()


class CheckoutSessionCalls(Generic[_R]):
    """The Checkout Session calls; ``_R`` is what the client's runner returns."""

    def __init__(self, run: Callable[[Call], _R]) -> None:
        self._run = run

    def create(
        self,
        params: CheckoutSessionCreateParams | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        api_version: str | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
        **fields: Any,
    ) -> _R:
        """``POST /v1/checkout_sessions``: validate, then send with retries.

        Give a ``CheckoutSessionCreateParams`` or its fields as keywords; either way they
        are validated before anything is sent (pydantic ``ValidationError``). Without an
        ``idempotency_key`` one UUID4 is generated, and every retry reuses it, so retries
        never create a second session. ``api_version``, ``timeout`` and ``max_retries``
        override the client's settings for this call.
        """
        options = RequestOptions(api_version=api_version, timeout=timeout, max_retries=max_retries)
        return self._run(
            _post(SESSIONS_PATH, _create_body(params, fields), idempotency_key, options)
        )

    def retrieve(self, session_id: str, /, **options: Unpack[RequestOptions]) -> _R:
        """``GET /v1/checkout_sessions/{id}`` (a sandbox convention beyond the reference)."""
        return self._run(Call(method="GET", path=_session_path(session_id), **options))

    def expire(
        self,
        session_id: str,
        /,
        *,
        idempotency_key: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> _R:
        """``POST /v1/checkout_sessions/{id}/expire`` (a sandbox convention)."""
        path = _session_path(session_id, "/expire")
        return self._run(_post(path, b"{}", idempotency_key, options))


class CheckoutSessions(CheckoutSessionCalls[_R], Generic[_R, _Raw]):
    """``client.checkout_sessions``; ``with_raw_response`` has the same calls, unparsed."""

    def __init__(
        self,
        run: Callable[[Call], _R],
        run_raw: Callable[[Call], _Raw],
        build: Callable[[Call], httpx2.Request],
    ) -> None:
        super().__init__(run)
        self.with_raw_response = CheckoutSessionCalls(run_raw)
        self.build = CheckoutSessionCalls(build).create
        """The request ``create`` would send, unsent: for ``to_curl`` or inspection.

        It takes ``create``'s arguments; each call generates a fresh idempotency key unless
        one is given.
        """


class HelperCheckoutSessionCalls(Generic[_R]):
    """Test helpers for Checkout Sessions (sandbox conventions, not in the reference)."""

    def __init__(self, run: Callable[[Call], _R]) -> None:
        self._run = run

    def complete(
        self,
        session_id: str,
        /,
        *,
        customer_details: CustomerDetails | Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> _R:
        """``POST /v1/test_helpers/checkout_sessions/{id}/complete``: pay the session."""
        body: dict[str, Any] = {}
        if isinstance(customer_details, CustomerDetails):
            body["customer_details"] = customer_details.model_dump(mode="json", exclude_unset=True)
        elif customer_details is not None:
            body["customer_details"] = dict(customer_details)
        path = _session_path(session_id, "/complete", base=HELPER_SESSIONS_PATH)
        return self._run(_post(path, to_json(body), idempotency_key, options))


class HelperCheckoutSessions(HelperCheckoutSessionCalls[_R], Generic[_R, _Raw]):
    def __init__(self, run: Callable[[Call], _R], run_raw: Callable[[Call], _Raw]) -> None:
        super().__init__(run)
        self.with_raw_response = HelperCheckoutSessionCalls(run_raw)


class Helpers(Generic[_R, _Raw]):
    """``client.test_helpers``: drive the sandbox as a customer would."""

    def __init__(self, run: Callable[[Call], _R], run_raw: Callable[[Call], _Raw]) -> None:
        self.checkout_sessions = HelperCheckoutSessions(run, run_raw)
