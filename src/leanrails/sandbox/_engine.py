"""The :class:`Sandbox` facade: one engine's parts wired together, and its Python helpers.

A transport (the in-process httpx2 transports, or the ASGI app behind ``leanrails
sandbox``) turns its request into a :class:`SandboxRequest`, runs :meth:`Sandbox.process`
and turns the :class:`SandboxResponse` back. ``process`` is a generator: it yields a
``Hold`` whenever a delay fault holds a response, so the synchronous and asynchronous
drivers (:meth:`Sandbox.handle`, :meth:`Sandbox.handle_async`) share every line of
request handling and differ only in how they wait.

The parts: :mod:`._routes` (routing), :mod:`._auth`, :mod:`._checks` (request checks),
:mod:`._idempotency`, :mod:`._sessions` (the state machine, with :mod:`._pricing` and
:mod:`._customer`), :mod:`._hosted` (the hosted-page controller, rendered by
:mod:`._page`), :mod:`._faults` and :mod:`._store`. Each holds its sandbox conventions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import anyio.to_thread
from pydantic import ValidationError

from .._session import CheckoutSession
from ._auth import TEST_API_KEY, account_for
from ._catalog import DEFAULT_PRICES, Price
from ._customer import CompleteParams
from ._errors import from_validation_error
from ._faults import FaultBook, Faults, Hold
from ._hosted import CANCEL_PAGE, SUCCESS_PAGE
from ._idempotency import Idempotency
from ._routes import Router
from ._sessions import Sessions
from ._sqlite_store import SQLiteStore
from ._store import MemoryStore, Store
from ._wire import SandboxRequest, SandboxResponse, Step

if TYPE_CHECKING:
    from ._postgres_store import PostgresStore

__all__ = ["IN_PROCESS_BASE_URL", "Sandbox"]

IN_PROCESS_BASE_URL: Final = "https://sandbox.leanrails.test"
"""The base URL of an in-process sandbox. ``.test`` is reserved: it never resolves."""

POSTGRES_SCHEMES: Final = ("postgresql://", "postgres://")
NEEDS_POSTGRES: Final = (
    "--db postgresql://... needs psycopg and psycopg-pool: pip install 'leanrails[postgres]'"
)


def is_postgres(db: object) -> bool:
    """Whether ``db`` is a PostgreSQL URL (else a SQLite path)."""
    return isinstance(db, str) and db.startswith(POSTGRES_SCHEMES)


def postgres_store(url: str, **options: Any) -> PostgresStore:
    """A :class:`PostgresStore` on ``url``; without the ``postgres`` extra, an ImportError
    that says what to install."""
    try:
        from ._postgres_store import PostgresStore
    except ImportError as exc:
        raise ImportError(NEEDS_POSTGRES, name=exc.name) from None
    return PostgresStore(url, **options)


def _open(db: str | Path | Store | None) -> tuple[Store, str]:
    """The store ``db`` names, and where it keeps its state (for ``repr``)."""
    if db is None:
        return MemoryStore(), "memory"
    if is_postgres(db):
        store = postgres_store(str(db))
        return store, store.where
    if isinstance(db, str | Path):
        return SQLiteStore(db), str(db)
    return db, str(getattr(db, "where", type(db).__name__))


class Sandbox:
    """A stateful LeanRails: one engine, served in-process or over HTTP.

    ``clock`` returns Unix seconds and is used for ``created``, expiry and the 24-hour
    idempotency window; pass a fake one in tests. ``prices`` replaces the catalogue
    (:data:`DEFAULT_PRICES`). ``db`` is a SQLite file path or a ``postgresql://`` URL
    (the ``postgres`` extra), or a store: sessions and idempotency records then survive a
    restart and are shared by every process on it. ``base_url`` is where hosted-page ``url`` values
    point. ``accept_unknown_params=True`` plays a newer server: a create's top-level
    parameters the kit does not know are accepted and returned as fields of the session
    (a field of the same name wins), instead of a 400 ``parameter_unknown``; a test sends
    them with ``extra_body``.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        prices: Iterable[Price] | None = None,
        db: str | Path | Store | None = None,
        base_url: str = IN_PROCESS_BASE_URL,
        accept_unknown_params: bool = False,
    ) -> None:
        catalogue = DEFAULT_PRICES if prices is None else tuple(prices)
        self.base_url = base_url.rstrip("/")
        self._store, self._where = _open(db)
        self._faults = FaultBook()
        # One lock serializes every use of the store, whichever part makes it.
        self._lock = threading.RLock()

        def now() -> int:
            return int(clock())

        self._sessions = Sessions(
            self._store, now, {price.id: price for price in catalogue}, self.base_url
        )
        self._idempotency = Idempotency(self._store, self._lock, now)
        self._router = Router(
            self._sessions, self._idempotency, self._faults, self._lock, accept_unknown_params
        )

    @property
    def success_url(self) -> str:
        """The sandbox's own success page, as a ``success_url``: after paying, the browser
        lands there and sees the session's outcome (sandbox convention)."""
        return self.base_url + SUCCESS_PAGE

    @property
    def cancel_url(self) -> str:
        """The sandbox's own cancel page, as a ``cancel_url`` (sandbox convention)."""
        return self.base_url + CANCEL_PAGE

    @property
    def prices(self) -> Mapping[str, Price]:
        """The catalogue, by price id."""
        return self._sessions.prices

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the store (the database connections, with ``db``)."""
        with self._lock:
            self._store.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Sandbox(base_url={self.base_url!r}, store={self._where!r})"

    # -- fault controls: each acts on one key's account, the documented key's by default --

    @property
    def faults(self) -> Faults:
        """The faults of the documented key's account (:data:`TEST_API_KEY`)."""
        return self._faults.of(account_for(TEST_API_KEY))

    def fail_next(
        self,
        count: int,
        status: int = 503,
        *,
        retry_after: int | None = None,
        api_key: str = TEST_API_KEY,
    ) -> None:
        """Answer the next ``count`` API requests of ``api_key`` with ``status``, processing
        nothing."""
        self._faults.of(account_for(api_key)).fail_next(count, status, retry_after=retry_after)

    def delay_responses(
        self, seconds: float, *, count: int | None = None, api_key: str = TEST_API_KEY
    ) -> None:
        """Hold the next ``count`` API responses (all, when None) to ``api_key`` for
        ``seconds``."""
        self._faults.of(account_for(api_key)).delay(seconds, count=count)

    def drop_after_commit(self, count: int = 1, *, api_key: str = TEST_API_KEY) -> None:
        """Commit the next ``count`` creates of ``api_key``, then drop the connection instead
        of answering."""
        self._faults.of(account_for(api_key)).drop_after_commit(count)

    def clear_faults(self, *, api_key: str | None = None) -> None:
        """Remove the faults of ``api_key`` (of every key when None), and release the
        responses their delays hold."""
        if api_key is None:
            self._faults.clear()
        else:
            self._faults.of(account_for(api_key)).clear()

    # -- Python test helpers -----------------------------------------------------------

    @property
    def session_count(self) -> int:
        """How many sessions the sandbox holds (to show that retries created exactly one)."""
        with self._lock:
            return self._sessions.count()

    @property
    def held(self) -> int:
        """How many responses delay faults are holding now (of every account)."""
        return self._faults.holding

    @property
    def in_flight(self) -> int:
        """How many POSTs are being processed now (held by a delay, for example)."""
        return self._idempotency.in_flight

    def retrieve(self, session_id: str) -> CheckoutSession:
        """The session as ``GET /v1/checkout_sessions/{id}`` returns it."""
        with self._lock:
            session = self._sessions.present(self._sessions.load(session_id))
        return CheckoutSession.model_validate(session)

    def complete(
        self, session_id: str, *, customer_details: Mapping[str, Any] | None = None
    ) -> CheckoutSession:
        """Complete and pay an open session, as a customer on the hosted page would.

        ``customer_details`` takes ``email``, ``name``, ``phone`` and ``address`` (``city``,
        ``country``, ``line1``, ``line2``, ``postal_code``, ``state``). Left out, a
        documented test customer is used (``customer@example.com`` or the session's
        ``customer_email``, with a test address when the session requires one). Raises
        :class:`SandboxError` (404, or 400 when the session is not open or an address is
        required and missing).
        """
        body = {} if customer_details is None else {"customer_details": dict(customer_details)}
        try:
            params = CompleteParams.model_validate(body)
        except ValidationError as exc:
            raise from_validation_error(exc) from None
        with self._lock:
            session = self._sessions.complete(session_id, params.customer_details)
        return CheckoutSession.model_validate(session)

    def expire(self, session_id: str) -> CheckoutSession:
        """Expire an open session now."""
        with self._lock:
            session = self._sessions.expire(session_id)
        return CheckoutSession.model_validate(session)

    # -- request handling --------------------------------------------------------------

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer ``request``, blocking through any delay fault."""
        steps = self.process(request)
        try:
            while True:
                next(steps).wait()
        except StopIteration as done:
            result: SandboxResponse = done.value
            return result
        finally:
            steps.close()

    async def handle_async(self, request: SandboxRequest) -> SandboxResponse:
        """Answer ``request``, sleeping (not blocking) through any delay fault.

        With ``db``, each step runs in a worker thread: a database call waiting for another
        process's lock (up to the store's busy timeout) blocks that thread, never the event
        loop. In memory, steps run inline: they never wait.
        """
        if not isinstance(self._store, MemoryStore):
            return await _handle_in_threads(self.process(request))
        steps = self.process(request)
        try:
            while True:
                await next(steps).wait_async()
        except StopIteration as done:
            result: SandboxResponse = done.value
            return result
        finally:
            steps.close()

    def process(self, request: SandboxRequest) -> Step:
        """The answer to ``request``, as a generator that yields the holds to wait out."""
        return self._router.process(request)


async def _handle_in_threads(steps: Step) -> SandboxResponse:
    """Run each step of ``steps`` in a worker thread, and wait out its holds on the loop."""
    try:
        while True:
            step = await anyio.to_thread.run_sync(_advance, steps)
            if isinstance(step, SandboxResponse):
                return step
            await step.wait_async()
    finally:
        steps.close()


def _advance(steps: Step) -> Hold | SandboxResponse:
    """The next hold of ``steps``, or its answer (a StopIteration cannot cross threads)."""
    try:
        return next(steps)
    except StopIteration as done:
        result: SandboxResponse = done.value
        return result
