"""``AsyncClient`` and ``Client``: Panora fulfillments by id, one or thousands.

Both are thin faces over one async core, :class:`~fulfillkit.fetch.engine.Fetcher` (the
batch engine, over the request loop, the protocol and the transport; see
``docs/design.md``). :class:`AsyncClient` awaits it; :class:`Client` runs it on an event loop in a
worker thread (:class:`~fulfillkit.fetch.loopthread.LoopThread`), so it works unchanged in
a Jupyter cell, where a loop is already running.

A :class:`Client` dropped without :meth:`Client.close` is cleaned up when garbage-collected
(``weakref.finalize``: its thread, loop and sockets are released; no thread is started); an
:class:`AsyncClient` dropped without :meth:`AsyncClient.aclose` has its sockets closed
synchronously the same way (no loop or thread started, nothing awaited).

Example:
    >>> import fulfillkit as fk
    >>> with fk.Client.sandbox(n=20) as client:            # doctest: +SKIP
    ...     batch = client.get_many(client.sandbox_ids[:10], progress=False)
    ...     df = batch.to_frame()
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from pydantic import SecretStr

from fulfillkit.closing import Closing
from fulfillkit.errors import (
    BatchInterrupted,
    ClientClosedError,
    ConfigurationError,
    FulfillkitError,
)
from fulfillkit.fetch.checkpoint import OnMismatch
from fulfillkit.fetch.config import DEFAULT_MAX_RESPONSE_BYTES, ClientConfig, hide
from fulfillkit.fetch.engine import BatchState, Fetcher, Listing, with_partial
from fulfillkit.fetch.loopthread import LoopThread
from fulfillkit.fetch.options import BatchOptions, ProgressCallback, Via
from fulfillkit.fetch.paging import ListedPage
from fulfillkit.fetch.request import Requester
from fulfillkit.fetch.resources import FULFILLMENTS, ORDERS, Resource
from fulfillkit.fetch.results import BatchResult, OrdersResult
from fulfillkit.fetch.retry import RetryPolicy
from fulfillkit.fetch.transport import AsyncBaseTransport, asgi_transport
from fulfillkit.models import Fulfillment, Order
from fulfillkit.redaction import SafeURL, install_log_redaction

if TYPE_CHECKING:
    import pandas as pd

    from fulfillkit.fetch.sink import ParquetSink
    from fulfillkit.sandbox import Faults, SandboxApp

__all__ = ["AsyncClient", "Client"]

T = TypeVar("T")
R = TypeVar("R", Fulfillment, Order)
Res = TypeVar("Res", BatchResult, OrdersResult)


def _core(
    api_key: object,
    connection_token: object,
    transport: AsyncBaseTransport | None,
    settings: dict[str, Any],
) -> Fetcher:
    """Validate settings and build the shared core (credentials checked here, once)."""
    install_log_redaction()
    config = ClientConfig.from_args(api_key, connection_token=connection_token, **settings)
    return Fetcher(Requester(config, transport))


def _sandbox_args(
    n: int | None,
    seed: int | None,
    latency: float,
    faults: Faults | None,
    rate_limit: tuple[int, float] | None,
    app: SandboxApp | None,
    kwargs: dict[str, Any],
) -> tuple[tuple[str, str, AsyncBaseTransport, dict[str, Any]], SandboxApp]:
    """The core arguments of a sandbox client, and the app it talks to."""
    from fulfillkit.sandbox import (
        DEFAULT_N,
        DEFAULT_SEED,
        SANDBOX_API_KEY,
        SANDBOX_CONNECTION_TOKEN,
        SandboxApp,
        make_dataset,
    )

    if app is None:
        dataset = make_dataset(
            DEFAULT_N if n is None else n, seed=DEFAULT_SEED if seed is None else seed
        )
        app = SandboxApp(dataset, latency=latency, faults=faults, rate_limit=rate_limit)
    elif n is not None or seed is not None or faults is not None or latency:
        raise ConfigurationError(
            "Client.sandbox(app=...) serves that app as it is: set n, seed, latency and "
            "faults on the SandboxApp instead"
        )

    if "retry_policy" not in kwargs:
        retries = kwargs.pop("max_retries", None)
        kwargs["retry_policy"] = RetryPolicy(
            base_delay=0.01, max_delay=0.2, **({} if retries is None else {"max_retries": retries})
        )
    kwargs.setdefault("base_url", "http://sandbox.localhost")
    transport = kwargs.pop("transport", None) or asgi_transport(app)
    args = (SANDBOX_API_KEY, SANDBOX_CONNECTION_TOKEN, transport, kwargs)
    return args, app


class _Face:
    """What both clients share: the core, its settings, a repr that never fails."""

    _core: Fetcher
    _sandbox: SandboxApp | None = None

    # One constructor for both clients (the arguments are documented on each class).
    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        *,
        connection_token: str | SecretStr | None = None,
        base_url: str | None = None,
        max_concurrency: int = 8,
        timeout: float = 30.0,
        max_retries: int | None = None,
        rate_limit: tuple[int, float] | str | None = "auto",
        allow_insecure: bool = False,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        retry_policy: RetryPolicy | None = None,
        transport: AsyncBaseTransport | None = None,
    ) -> None:
        api_key, connection_token = hide(api_key), hide(connection_token)  # type: ignore[assignment]
        base_url = SafeURL(base_url) if isinstance(base_url, str) else base_url
        settings = {
            "base_url": base_url,
            "max_concurrency": max_concurrency,
            "timeout": timeout,
            "max_retries": max_retries,
            "allow_insecure": allow_insecure,
            "max_response_bytes": max_response_bytes,
            "rate_limit": rate_limit,
            "retry_policy": retry_policy,
        }
        self._attach(_core(api_key, connection_token, transport, settings))

    def _attach(self, core: Fetcher) -> None:
        """Take the core built from the settings (the sync client also starts its loop)."""
        self._core = core

    @property
    def sandbox_app(self) -> SandboxApp | None:
        """The embedded sandbox a :meth:`sandbox` client talks to (``None`` otherwise): move
        its clock with ``client.sandbox_app.advance(days=7)``."""
        return self._sandbox

    @property
    def sandbox_ids(self) -> list[str]:
        """The fulfillment ids the sandbox holds now (empty for a real connection)."""
        app = self._sandbox
        return [] if app is None else app.dataset.fulfillment_ids_at(app.now)

    @property
    def core(self) -> Fetcher:
        """The async core every method runs on (for fulfillkit's own upper layers: the
        store's sync, the widgets); most code calls the methods instead."""
        return self._core

    @property
    def base_url(self) -> str:
        """The base URL, credentials removed."""
        return self._core.requester.config.display_url

    @property
    def max_concurrency(self) -> int:
        """Requests in flight at once."""
        return self._core.requester.config.max_concurrency

    @property
    def rate_limit(self) -> tuple[int, float] | None:
        """The client-side budget in force, ``(requests, seconds)`` or ``None``."""
        return self._core.requester.config.rate_limit

    @property
    def closed(self) -> bool:
        """Whether the client was closed."""
        return self._core.requester.closed

    def __repr__(self) -> str:
        core = getattr(self, "_core", None)
        if core is None:  # a half-built client (its constructor raised)
            return f"{type(self).__name__}(<not configured>)"
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, api_key=SecretStr('**********'),"
            f" connection_token=SecretStr('**********'), max_concurrency={self.max_concurrency})"
        )


class AsyncClient(_Face):
    """Asynchronous Panora fulfillments client.

    Args:
        api_key: Panora API key; ``None`` reads ``PANORA_API_KEY``.
        connection_token: the connection's token; ``None`` reads
            ``PANORA_CONNECTION_TOKEN``. Required: without it Panora serves *another
            connection's* data, so the client refuses to start. Key and token must be
            printable ASCII without surrounding whitespace.
        base_url: ``None`` reads ``PANORA_BASE_URL``, else ``https://api.panora.dev``.
        max_concurrency: requests in flight at once (also the connection pool size).
        timeout: seconds one request may take in all (connect, headers and body).
        max_retries: retries after the first attempt for retryable failures (shorthand
            for ``retry_policy=RetryPolicy(max_retries=...)``; default 3).
        rate_limit: ``(requests, seconds)`` client-side budget; ``"auto"`` (default) uses
            Panora's published 100 per 60 s for hosted Panora URLs and none elsewhere;
            ``None`` disables it. Server ``X-RateLimit-*`` headers are always obeyed.
        allow_insecure: allow plain ``http://`` to a non-loopback host.
        max_response_bytes: larger bodies (decoded) are refused (``invalid_response``).
        retry_policy: backoff and retry settings (the one place retries are set).
        transport: an httpx async transport to use instead of the network.

    Example:
        >>> async def main() -> None:                            # doctest: +SKIP
        ...     async with AsyncClient() as client:
        ...         batch = await client.get_many(["801f9ede-c698-4e66-a7fc-48d19eebaa4f"])
    """

    def _attach(self, core: Fetcher) -> None:
        super()._attach(core)
        # Dropped without aclose(): its sockets are closed synchronously (no thread, no loop).
        self._finalizer = weakref.finalize(self, core.requester.close_now)

    @classmethod
    def sandbox(
        cls,
        n: int | None = None,
        *,
        seed: int | None = None,
        latency: float = 0.0,
        faults: Faults | None = None,
        rate_limit: tuple[int, float] | None = (10_000, 1.0),  # sandbox.FAST_RATE_LIMIT
        app: SandboxApp | None = None,
        **kwargs: Any,
    ) -> Self:
        """A client wired in-process to the embedded Panora sandbox: no network, no keys.

        By default the sandbox holds the default dataset (``fulfillkit.sandbox.DEFAULT_N``
        fulfillments, seed ``DEFAULT_SEED``: the same as ``fulfillkit sandbox`` serves);
        ``sandbox_ids`` lists the ids it holds. ``rate_limit`` is the sandbox's throttle:
        10,000 requests per second by default, so answers carry the ``X-RateLimit-*``
        headers without slowing demos; ``(100, 60.0)`` is Panora's. ``app=`` serves a
        :class:`~fulfillkit.sandbox.SandboxApp` you hold, to move its clock
        (``app.advance(days=7)``) between syncs.

        Example:
            >>> client = AsyncClient.sandbox(n=5)
            >>> len(client.sandbox_ids)
            5
        """
        (key, token, transport, settings), app = _sandbox_args(
            n, seed, latency, faults, rate_limit, app, kwargs
        )
        client = cls(key, connection_token=token, transport=transport, **settings)
        client._sandbox = app
        return client

    async def get(self, id: str, *, remote_data: bool = False) -> Fulfillment:
        """Fetch one fulfillment by id (surrounding whitespace is stripped).

        Raises :class:`~fulfillkit.NotFoundError`, :class:`~fulfillkit.AuthenticationError`
        and the other :class:`~fulfillkit.FetchFailed` errors after retries.

        Example:
            >>> f = await client.get("801f9ede-c698-4e66-a7fc-48d19eebaa4f")  # doctest: +SKIP
        """
        return await self._core.get(FULFILLMENTS, id, remote_data)

    async def get_order(self, id: str, *, remote_data: bool = False) -> Order:
        """Fetch one order by id (a fulfillment's ``order_id``)."""
        return await self._core.get(ORDERS, id, remote_data)

    # The options are written out on purpose (as to_frame's are): a notebook's help shows
    # the whole signature. They are one value below this line (BatchOptions), and a test
    # keeps these signatures equal to its fields.
    async def get_many(
        self,
        ids: Iterable[str],
        *,
        remote_data: bool = False,
        progress: bool | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_mismatch: OnMismatch = "raise",
        via: Via = "id",
        sink: str | os.PathLike[str] | ParquetSink | None = None,
        on_progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
    ) -> BatchResult:
        """Fetch many fulfillments concurrently; every distinct id ends up fetched or in
        ``errors`` with a reason. Duplicates are fetched once.

        ``ids`` is any collection of id text: a list, set, generator, numpy array or a
        pandas Series of any string dtype (surrounding whitespace is stripped). A
        DataFrame, a bare string or a missing value raises
        :class:`~fulfillkit.InvalidIdError` before anything is sent, saying what to pass.

        A batch that stops (refused credentials, a base URL without Panora's routes, a
        server that cannot be reached at all, a checkpoint or sink that cannot be written,
        the client closed) raises one fulfillkit exception whose ``.partial`` holds
        everything fetched so far; an unusable checkpoint or sink path fails before the
        first request.

        ``checkpoint="run.jsonl"`` records each record as it arrives; a rerun with the same
        file fetches only the ids not yet in it. The file is tied to this base URL and
        connection token: another connection's checkpoint raises
        :class:`~fulfillkit.CheckpointError` unless ``checkpoint_mismatch="discard"``.

        ``via="id"`` (default) sends one request per id. ``via="list"`` pages through the
        list endpoint until every id is seen, then fetches the rest by id. ``via="auto"``
        lists for at most half as many pages as ids are missing, then fetches the rest by
        id, so it never costs more than 1.5x by-id.

        ``sink="out.parquet"`` (or a :class:`~fulfillkit.fetch.sink.ParquetSink`) streams
        the records to a Parquet dataset folder of atomically committed parts instead of
        keeping them: ``fulfillments`` stays empty, ``written`` counts them. With
        ``checkpoint=`` too, a killed run resumes where it stopped.

        ``on_progress(done, total, failed)`` is called after each id; ``stop.set()`` (any
        thread) finishes the requests in flight and leaves the rest ``pending``.

        Example:
            >>> batch = await client.get_many(ids)                       # doctest: +SKIP
            >>> batch.ok, len(batch.errors)                              # doctest: +SKIP
        """
        options = BatchOptions(
            remote_data=remote_data,
            progress=progress,
            checkpoint=checkpoint,
            checkpoint_mismatch=checkpoint_mismatch,
            via=via,
            sink=sink,
            on_progress=on_progress,
            stop=stop,
        )
        return await self._core.batch(self._core.state(FULFILLMENTS, ids, options), options)

    async def get_orders(
        self,
        order_ids: Iterable[str | None],
        *,
        remote_data: bool = False,
        progress: bool | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_mismatch: OnMismatch = "raise",
        via: Via = "id",
        on_progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
    ) -> OrdersResult:
        """Fetch many orders concurrently (e.g. the ``order_id`` column of a frame); missing
        values and duplicates are dropped. The same options and guarantees as
        :meth:`get_many` (``checkpoint=``, ``via=``), except the sink (fulfillments only).

        Example:
            >>> orders = await client.get_orders(df["order_id"])         # doctest: +SKIP
        """
        options = BatchOptions(
            remote_data=remote_data,
            progress=progress,
            checkpoint=checkpoint,
            checkpoint_mismatch=checkpoint_mismatch,
            via=via,
            on_progress=on_progress,
            stop=stop,
        )
        return await self._core.batch(self._core.state(ORDERS, order_ids, options), options)

    async def list(
        self, *, remote_data: bool = False, page_size: int = 100, progress: bool | None = None
    ) -> AsyncIterator[Fulfillment]:
        """Every fulfillment of the connection, page by page (cursor pagination).

        ``next_cursor`` is passed back verbatim, listing stops on a null one, records are
        deduplicated by id (Panora's pages overlap when timestamps tie), requests are paced
        by the rate-limit headers and retried like any other. Progress counts records.

        A failure mid-way (after retries) raises one fulfillkit exception whose
        ``.partial`` is a :class:`~fulfillkit.BatchResult` of every record listed before it.

        Example:
            >>> async for f in client.list(page_size=100):               # doctest: +SKIP
            ...     print(f.id)
        """
        async for record in self._records(FULFILLMENTS, remote_data, page_size, progress):
            yield record

    async def list_orders(
        self, *, remote_data: bool = False, page_size: int = 100, progress: bool | None = None
    ) -> AsyncIterator[Order]:
        """Every order of the connection, as :meth:`list` lists fulfillments (a failure's
        ``.partial`` is an :class:`~fulfillkit.OrdersResult`).

        Example:
            >>> orders = [o async for o in client.list_orders()]          # doctest: +SKIP
        """
        async for record in self._records(ORDERS, remote_data, page_size, progress):
            yield record

    async def _records(
        self, resource: Resource[R, Res], remote_data: bool, page_size: int, progress: bool | None
    ) -> AsyncIterator[R]:
        keep = Listing(resource, remote_data=remote_data)
        pages = self._core.listing(
            resource, remote_data=remote_data, page_size=page_size, progress=progress, keep=keep
        )
        try:
            async for page in pages:
                for record in page.records:
                    yield record
        finally:
            await pages.aclose()

    async def list_frame(
        self, *, remote_data: bool = False, page_size: int = 100, progress: bool | None = None
    ) -> pd.DataFrame:
        """The whole connection as a DataFrame: :meth:`list` then :func:`~fulfillkit.to_frame`."""
        from fulfillkit.frames import to_frame

        records = [
            r
            async for r in self.list(
                remote_data=remote_data, page_size=page_size, progress=progress
            )
        ]
        return to_frame(records, remote_data=remote_data)

    async def aclose(self) -> None:
        """Close the connection pool; later calls raise :class:`~fulfillkit.ClientClosedError`.

        A client dropped without it is cleaned up when garbage-collected: its sockets are
        closed (``weakref.finalize``), also at interpreter exit, without a warning.
        """
        self._finalizer.detach()
        await self._core.requester.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


async def _next_page(pages: AsyncGenerator[ListedPage[Any], None]) -> ListedPage[Any]:
    return await anext(pages)


class Client(_Face, Closing):
    """Synchronous Panora fulfillments client: the same arguments and methods as
    :class:`AsyncClient`, not awaited. Safe to call inside a running event loop, and to
    :meth:`close` from another thread (running calls raise
    :class:`~fulfillkit.ClientClosedError`).

    Example:
        >>> import fulfillkit as fk
        >>> with fk.Client.sandbox(n=3) as client:
        ...     f = client.get(client.sandbox_ids[0])
        >>> isinstance(f, fk.Fulfillment)
        True
    """

    def _attach(self, core: Fetcher) -> None:
        super()._attach(core)
        self._loop = LoopThread()
        # Dropped without close(): release thread, loop and sockets (never starts a thread).
        self._finalizer = weakref.finalize(self, self._loop.close, core.requester.aclose)

    @classmethod
    def sandbox(
        cls,
        n: int | None = None,
        *,
        seed: int | None = None,
        latency: float = 0.0,
        faults: Faults | None = None,
        rate_limit: tuple[int, float] | None = (10_000, 1.0),  # sandbox.FAST_RATE_LIMIT
        app: SandboxApp | None = None,
        **kwargs: Any,
    ) -> Client:
        """A client wired in-process to the embedded sandbox: see :meth:`AsyncClient.sandbox`.

        Example:
            >>> Client.sandbox(n=2).sandbox_ids.__len__()
            2
        """
        (key, token, transport, settings), app = _sandbox_args(
            n, seed, latency, faults, rate_limit, app, kwargs
        )
        client = cls(key, connection_token=token, transport=transport, **settings)
        client._sandbox = app
        return client

    def _check_open(self) -> None:
        if self._loop.closed:
            raise ClientClosedError("this Client is closed; create a new one")

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine of the core on this client's loop thread (the store's sync and
        the widgets use it; most code calls the methods below)."""
        try:
            self._check_open()
        except ClientClosedError:
            coro.close()
            raise
        return self._loop.run(coro)

    def get(self, id: str, *, remote_data: bool = False) -> Fulfillment:
        """Fetch one fulfillment by id. See :meth:`AsyncClient.get`.

        Example:
            >>> with Client.sandbox(n=1) as c:
            ...     c.get(c.sandbox_ids[0]).id == c.sandbox_ids[0]
            True
        """
        return self.run(self._core.get(FULFILLMENTS, id, remote_data))

    def get_order(self, id: str, *, remote_data: bool = False) -> Order:
        """Fetch one order by id. See :meth:`AsyncClient.get_order`."""
        return self.run(self._core.get(ORDERS, id, remote_data))

    def _batch(self, state: BatchState[R, Res], options: BatchOptions) -> Res:
        """Run a batch on the loop thread: Ctrl-C stops it within a second and raises
        :class:`~fulfillkit.BatchInterrupted` with what was fetched."""
        try:
            return self.run(self._core.batch(state, options))
        except KeyboardInterrupt:
            raise BatchInterrupted(state.result()) from None
        except FulfillkitError as exc:
            with_partial(exc, state.result)
            raise

    # The same signatures as AsyncClient's, on purpose (see there).
    def get_many(
        self,
        ids: Iterable[str],
        *,
        remote_data: bool = False,
        progress: bool | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_mismatch: OnMismatch = "raise",
        via: Via = "id",
        sink: str | os.PathLike[str] | ParquetSink | None = None,
        on_progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
    ) -> BatchResult:
        """Fetch many fulfillments concurrently. See :meth:`AsyncClient.get_many`.

        Ctrl-C stops within a second, cancels in-flight requests and raises
        :class:`~fulfillkit.BatchInterrupted`, whose ``partial`` holds what was fetched.

        Example:
            >>> with Client.sandbox(n=5) as c:
            ...     batch = c.get_many(c.sandbox_ids + ["missing"], progress=False)
            >>> len(batch), [e.kind for e in batch.errors]
            (5, ['not_found'])
        """
        self._check_open()
        options = BatchOptions(
            remote_data=remote_data,
            progress=progress,
            checkpoint=checkpoint,
            checkpoint_mismatch=checkpoint_mismatch,
            via=via,
            sink=sink,
            on_progress=on_progress,
            stop=stop,
        )
        return self._batch(self._core.state(FULFILLMENTS, ids, options), options)

    def get_orders(
        self,
        order_ids: Iterable[str | None],
        *,
        remote_data: bool = False,
        progress: bool | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_mismatch: OnMismatch = "raise",
        via: Via = "id",
        on_progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
    ) -> OrdersResult:
        """Fetch many orders concurrently. See :meth:`AsyncClient.get_orders`.

        Example:
            >>> with Client.sandbox(n=5) as c:
            ...     order_ids = [f.order_id for f in c.get_many(c.sandbox_ids, progress=False)]
            ...     orders = c.get_orders(order_ids, progress=False)
            >>> orders.ok
            True
        """
        self._check_open()
        options = BatchOptions(
            remote_data=remote_data,
            progress=progress,
            checkpoint=checkpoint,
            checkpoint_mismatch=checkpoint_mismatch,
            via=via,
            on_progress=on_progress,
            stop=stop,
        )
        return self._batch(self._core.state(ORDERS, order_ids, options), options)

    def list(
        self, *, remote_data: bool = False, page_size: int = 100, progress: bool | None = None
    ) -> Iterator[Fulfillment]:
        """Every fulfillment of the connection. See :meth:`AsyncClient.list`: a failure
        mid-way raises one fulfillkit exception whose ``.partial`` holds every record listed
        (Ctrl-C: :class:`~fulfillkit.BatchInterrupted`).

        Example:
            >>> with Client.sandbox(n=250) as c:
            ...     len({f.id for f in c.list(page_size=100, progress=False)})
            250
        """
        return self._records(FULFILLMENTS, remote_data, page_size, progress)

    def list_orders(
        self, *, remote_data: bool = False, page_size: int = 100, progress: bool | None = None
    ) -> Iterator[Order]:
        """Every order of the connection. See :meth:`AsyncClient.list_orders`.

        Example:
            >>> with Client.sandbox(n=20) as c:
            ...     orders = list(c.list_orders(progress=False))
            >>> len(orders) > 0
            True
        """
        return self._records(ORDERS, remote_data, page_size, progress)

    def _records(
        self, resource: Resource[R, Res], remote_data: bool, page_size: int, progress: bool | None
    ) -> Iterator[R]:
        self._check_open()
        keep = Listing(resource, remote_data=remote_data)
        pages = self._core.listing(
            resource, remote_data=remote_data, page_size=page_size, progress=progress, keep=keep
        )
        return self._iterate(pages, keep)

    def _iterate(
        self, pages: AsyncGenerator[ListedPage[R], None], keep: Listing[R, Any]
    ) -> Iterator[R]:
        try:
            while True:
                try:
                    page = self._loop.run(_next_page(pages))
                except StopAsyncIteration:
                    return
                except KeyboardInterrupt:
                    raise BatchInterrupted(keep.result()) from None
                except FulfillkitError as exc:  # closed from another thread, too
                    with_partial(exc, keep.result)
                    raise
                yield from page.records
        finally:
            if not self._loop.closed:
                self._loop.run(pages.aclose())

    def list_frame(
        self, *, remote_data: bool = False, page_size: int = 100, progress: bool | None = None
    ) -> pd.DataFrame:
        """The whole connection as a DataFrame. See :meth:`AsyncClient.list_frame`."""
        from fulfillkit.frames import to_frame

        records = list(self.list(remote_data=remote_data, page_size=page_size, progress=progress))
        return to_frame(records, remote_data=remote_data)

    def close(self) -> None:
        """Close connections and stop the worker thread. Idempotent; callable from any
        thread: calls running meanwhile raise :class:`~fulfillkit.ClientClosedError`."""
        self._core.requester.closed = True
        self._finalizer()
