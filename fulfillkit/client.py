"""``AsyncClient`` and ``Client``: Panora fulfillments by id, one or thousands.

There is one implementation. :class:`AsyncClient` owns the retry loop
(:meth:`AsyncClient._request`: pace, send, classify, sleep) and the batch engine.
:class:`Client` is the same object driven from synchronous code: it runs the async core on
an event loop in a worker thread (:class:`~fulfillkit._batch.LoopThread`), so it works
unchanged in a Jupyter cell, where a loop is already running.

Example:
    >>> import fulfillkit as fk
    >>> with fk.Client.sandbox(n=20) as client:            # doctest: +SKIP
    ...     batch = client.get_many(client.sandbox_ids[:10], progress=False)
    ...     df = batch.to_frame()
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar

import httpx
import pydantic
from pydantic import SecretStr

from ._base import (
    DEFAULT_MAX_RESPONSE_BYTES,
    FULFILLMENTS,
    ORDERS,
    ClientConfig,
    Failure,
    Parsed,
    check_id,
    check_ids,
    interpret,
    oversize,
    record_path,
    request_headers,
    request_params,
    transport_failure,
)
from ._batch import BatchResult, BatchState, LoopThread, OrdersResult, run_batch
from ._checkpoint import Checkpoint
from ._errors import BatchInterrupted, ConfigurationError, InvalidResponseError
from ._http import ResponseTooLarge, Transport
from ._pacer import Pacer
from ._progress import progress_bar
from ._redact import install_log_redaction
from ._retry import Decision, RetryPolicy, classify_exception
from .models import FULFILLMENT_ADAPTER, FULFILLMENT_PAGE_ADAPTER, ORDER_ADAPTER, Fulfillment, Order

if TYPE_CHECKING:
    import pandas as pd

    from .sandbox import Faults
    from .sink import ParquetSink

__all__ = ["AsyncClient", "Client"]

T = TypeVar("T")
Params = dict[str, str]
Via = Literal["id", "list", "auto"]


async def _next_page(pages: AsyncGenerator[list[Fulfillment], None]) -> list[Fulfillment]:
    return await anext(pages)


def _present(values: Iterable[Any]) -> list[Any]:
    """Drop nulls (None, NaN, pd.NA) from a column of ids; keep everything else to check."""

    def missing(v: Any) -> bool:
        return v is None or type(v).__name__ in ("NAType", "NaTType") or v != v  # NaN

    return [v for v in values if not missing(v)]


class AsyncClient:
    """Asynchronous Panora fulfillments client.

    Args:
        api_key: Panora API key; ``None`` reads ``PANORA_API_KEY``.
        connection_token: the connection's token; ``None`` reads
            ``PANORA_CONNECTION_TOKEN``. Required: without it Panora serves *another
            connection's* data, so the client refuses to start.
        base_url: ``None`` reads ``PANORA_BASE_URL``, else ``https://api.panora.dev``.
        max_concurrency: requests in flight at once (also the connection pool size).
        timeout: seconds for connect, read, write and pool waits.
        max_retries: retries after the first attempt for retryable failures.
        rate_limit: ``(requests, seconds)`` client-side budget; ``"auto"`` (default) uses
            Panora's published 100 per 60 s for hosted Panora URLs and none elsewhere;
            ``None`` disables it. Server ``X-RateLimit-*`` headers are always obeyed.
        allow_insecure: allow plain ``http://`` to a non-loopback host.
        max_response_bytes: larger bodies are refused (``invalid_response``).
        transport: an :class:`httpx.AsyncBaseTransport` to use instead of the network.

    Example:
        >>> async def main() -> None:                            # doctest: +SKIP
        ...     async with AsyncClient() as client:
        ...         batch = await client.get_many(["801f9ede-c698-4e66-a7fc-48d19eebaa4f"])
    """

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        *,
        connection_token: str | SecretStr | None = None,
        base_url: str | None = None,
        max_concurrency: int = 8,
        timeout: float = 30.0,
        max_retries: int = 3,
        rate_limit: tuple[int, float] | str | None = "auto",
        allow_insecure: bool = False,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        retry_policy: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        install_log_redaction()
        self._config = ClientConfig.from_args(
            api_key,
            connection_token=connection_token,
            base_url=base_url,
            max_concurrency=max_concurrency,
            timeout=timeout,
            max_retries=max_retries,
            allow_insecure=allow_insecure,
            max_response_bytes=max_response_bytes,
            rate_limit=rate_limit,
            retry_policy=retry_policy,
        )
        self._headers = request_headers(self._config)
        self._transport = Transport(
            base_url=self._config.base_url,
            max_connections=self._config.max_concurrency,
            timeout=self._config.timeout,
            transport=transport,
        )
        self._pacer = Pacer(self._config.rate_limit)
        self._rng = random.Random()
        self.sandbox_ids: list[str] = []

    # -- configuration -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The base URL, credentials removed."""
        return self._config.display_url

    @property
    def max_concurrency(self) -> int:
        """Requests in flight at once."""
        return self._config.max_concurrency

    @property
    def rate_limit(self) -> tuple[int, float] | None:
        """The client-side budget in force, ``(requests, seconds)`` or ``None``."""
        return self._config.rate_limit

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, api_key=SecretStr('**********'),"
            f" connection_token=SecretStr('**********'), max_concurrency={self.max_concurrency})"
        )

    @classmethod
    def sandbox(
        cls,
        n: int = 500,
        *,
        seed: int = 0,
        latency: float = 0.0,
        faults: Faults | None = None,
        rate_limit: tuple[int, float] | None = (10_000, 1.0),  # sandbox.FAST_RATE_LIMIT
        **kwargs: Any,
    ) -> Self:
        """A client wired in-process to the embedded Panora sandbox: no network, no keys.

        ``sandbox_ids`` lists the ids the sandbox holds. ``rate_limit`` is the sandbox's
        throttle: 10,000 requests per second by default, so answers carry the
        ``X-RateLimit-*`` headers without slowing demos; ``(100, 60.0)`` is Panora's.

        Example:
            >>> client = AsyncClient.sandbox(n=5)
            >>> len(client.sandbox_ids)
            5
        """
        from .sandbox import (
            SANDBOX_API_KEY,
            SANDBOX_CONNECTION_TOKEN,
            SandboxApp,
            make_dataset,
        )

        dataset = make_dataset(n, seed=seed)
        app = SandboxApp(dataset, latency=latency, faults=faults, rate_limit=rate_limit)
        kwargs.setdefault("retry_policy", RetryPolicy(base_delay=0.01, max_delay=0.2))
        client = cls(
            SANDBOX_API_KEY,
            connection_token=SANDBOX_CONNECTION_TOKEN,
            base_url="http://sandbox.localhost",
            transport=httpx.ASGITransport(app=app),
            **kwargs,
        )
        client.sandbox_ids = list(dataset.fulfillment_ids)
        return client

    # -- the one retry loop --------------------------------------------------------------

    async def _request(
        self,
        path: str,
        params: dict[str, str],
        adapter: pydantic.TypeAdapter[T],
        *,
        record_id: str | None,
        what: str,
    ) -> T:
        policy = self._config.retry
        attempts = 0
        seen: dict[Decision, int] = {}
        while True:
            await self._pacer.acquire()
            attempts += 1
            outcome: Parsed[T] | Failure
            try:
                raw = await self._transport.get(
                    path,
                    params=params,
                    headers=self._headers,
                    max_bytes=self._config.max_response_bytes,
                )
            except ResponseTooLarge:
                self._pacer.release()
                outcome = oversize(self._config.max_response_bytes)
            except Exception as exc:
                self._pacer.release()
                decision = classify_exception(exc)
                if decision is None:
                    raise
                outcome = transport_failure(exc, decision)
            else:
                self._pacer.release()
                self._pacer.observe(raw.headers)
                outcome = interpret(raw.status, raw.headers, raw.body, adapter, what=what)
            if isinstance(outcome, Parsed):
                return outcome.value
            if outcome.status == 429:
                self._pacer.hold(outcome.retry_after)
            delay = None
            seen[outcome.decision] = times = seen.get(outcome.decision, 0) + 1
            if policy.should_retry(outcome.decision, attempts, times):
                delay = policy.delay(attempts, outcome.retry_after, self._rng)
            if delay is None:
                if outcome.retry_after is not None and outcome.retry_after > policy.max_retry_after:
                    outcome = Failure(
                        outcome.decision,
                        f"{outcome.message} (Retry-After {outcome.retry_after:.0f}s exceeds "
                        f"max_retry_after={policy.max_retry_after:.0f}s)",
                        outcome.status,
                        outcome.retry_after,
                    )
                raise outcome.error(attempts=attempts, record_id=record_id)
            await asyncio.sleep(delay)

    # -- fulfillments --------------------------------------------------------------------

    async def get(self, id: str, *, remote_data: bool = False) -> Fulfillment:
        """Fetch one fulfillment by id.

        Raises :class:`~fulfillkit.NotFoundError`, :class:`~fulfillkit.AuthenticationError`
        and the other :class:`~fulfillkit.FetchFailed` errors after retries.

        Example:
            >>> f = await client.get("801f9ede-c698-4e66-a7fc-48d19eebaa4f")  # doctest: +SKIP
        """
        return await self._fetch_fulfillment(check_id(id), request_params(remote_data))

    async def get_order(self, id: str, *, remote_data: bool = False) -> Order:
        """Fetch one order by id (a fulfillment's ``order_id``)."""
        return await self._fetch_order(check_id(id), request_params(remote_data))

    async def _fetch_fulfillment(self, record_id: str, params: Params) -> Fulfillment:
        return await self._request(
            record_path(FULFILLMENTS, record_id),
            params,
            FULFILLMENT_ADAPTER,
            record_id=record_id,
            what="fulfillment",
        )

    async def _fetch_order(self, record_id: str, params: Params) -> Order:
        return await self._request(
            record_path(ORDERS, record_id), params, ORDER_ADAPTER, record_id=record_id, what="order"
        )

    async def get_many(
        self,
        ids: Iterable[str],
        *,
        remote_data: bool = False,
        progress: bool | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        via: Via = "id",
        sink: str | os.PathLike[str] | ParquetSink | None = None,
    ) -> BatchResult:
        """Fetch many fulfillments concurrently; every distinct id ends up fetched or in
        ``errors`` with a reason. Duplicates are fetched once.

        Raises :class:`~fulfillkit.InvalidIdError` before sending anything if an id is not
        a non-empty string, and :class:`~fulfillkit.AuthenticationError` if the
        credentials are refused (the batch stops).

        ``checkpoint="run.jsonl"`` appends each record to that file as it arrives; a rerun
        with the same file fetches only the ids not yet in it (see
        :class:`~fulfillkit._checkpoint.Checkpoint`).

        ``via="id"`` (default) sends one request per id. ``via="list"`` pages through the
        list endpoint until every id is seen, then fetches the rest by id: a few requests
        instead of one per id, which wins when the ids are a large share of the
        connection. ``via="auto"`` lists for at most half as many pages as ids are
        missing, then fetches the rest by id, so it never costs more than 1.5x by-id.

        ``sink="out.parquet"`` (or a :class:`~fulfillkit.sink.ParquetSink`) streams the
        records to Parquet in row groups as they arrive instead of keeping them:
        ``fulfillments`` stays empty, ``written`` counts them, memory stays bounded. The
        file appears (atomically) when the batch ends; failures are in ``errors`` as usual.
        Not combined with ``checkpoint``.

        Example:
            >>> batch = await client.get_many(ids)                       # doctest: +SKIP
            >>> batch.ok, len(batch.errors)                              # doctest: +SKIP
        """
        state: BatchState[Fulfillment] = BatchState(check_ids(ids), keep_records=sink is None)
        await self._run(
            state,
            remote_data=remote_data,
            progress=progress,
            checkpoint=checkpoint,
            via=via,
            sink=sink,
        )
        return state.result()

    async def get_orders(
        self,
        order_ids: Iterable[str],
        *,
        remote_data: bool = False,
        progress: bool | None = None,
    ) -> OrdersResult:
        """Fetch many orders concurrently (e.g. the ``order_id`` column of a frame); nulls
        and duplicates are dropped. Same guarantees as :meth:`get_many`.

        Example:
            >>> orders = await client.get_orders(df["order_id"].dropna())   # doctest: +SKIP
        """
        state: BatchState[Order] = BatchState(check_ids(_present(order_ids)))
        params = request_params(remote_data)

        async def fetch(record_id: str) -> Order:
            return await self._fetch_order(record_id, params)

        await run_batch(
            state,
            fetch,
            concurrency=self.max_concurrency,
            progress=progress,
            desc="orders",
            rate_cap=self._pacer.rate_cap,
        )
        return state.orders_result()

    async def _run(
        self,
        state: BatchState[Fulfillment],
        *,
        remote_data: bool,
        progress: bool | None,
        checkpoint: str | os.PathLike[str] | None = None,
        via: Via = "id",
        sink: str | os.PathLike[str] | ParquetSink | None = None,
    ) -> None:
        if via not in ("id", "list", "auto"):
            raise ConfigurationError(f"via must be 'id', 'list' or 'auto', got {via!r}")
        if sink is not None and checkpoint is not None:
            raise ConfigurationError("pass either sink= or checkpoint=, not both")
        params = request_params(remote_data)
        ckpt = Checkpoint(checkpoint) if checkpoint is not None else None
        out = _open_sink(sink, remote_data) if sink is not None else None
        on_result: Callable[[str, Fulfillment], None] | None = None
        if out is not None:
            on_result = out.write
        elif ckpt is not None:
            on_result = ckpt.write
        # A sink is published when the batch ends, and removed on an error or interruption.
        with (
            ckpt if ckpt is not None else contextlib.nullcontext(),
            out if out is not None else contextlib.nullcontext(),
        ):
            if ckpt is not None:
                wanted = set(state.ids)
                state.results.update((k, v) for k, v in ckpt.load().items() if k in wanted)
            if via != "id":
                await self._collect_by_listing(state, remote_data, via, on_result)

            async def fetch(record_id: str) -> Fulfillment:
                return await self._fetch_fulfillment(record_id, params)

            await run_batch(
                state,
                fetch,
                concurrency=self._config.max_concurrency,
                progress=progress,
                on_result=on_result,
                rate_cap=self._pacer.rate_cap,
            )

    async def _collect_by_listing(
        self,
        state: BatchState[Fulfillment],
        remote_data: bool,
        via: Via,
        on_result: Callable[[str, Fulfillment], None] | None,
    ) -> None:
        missing = {i for i in state.ids if not state.done(i)}
        budget = None if via == "list" else len(missing) // 2
        pages = self._pages(remote_data=remote_data, page_size=100, progress=False)
        try:
            async for page in pages:
                for record in page:
                    if record.id in missing:
                        missing.discard(record.id)
                        state.add(record.id, record, on_result)
                if not missing:
                    break
                if budget is not None:
                    budget -= 1
                    if budget <= 0:
                        break
        finally:
            await pages.aclose()

    # -- listing -------------------------------------------------------------------------

    async def _pages(
        self, *, remote_data: bool, page_size: int, progress: bool | None
    ) -> AsyncGenerator[list[Fulfillment], None]:
        """Every page of the list endpoint, deduplicated by id, until ``next_cursor`` is
        null. Each page request goes through the retry loop and the pacer."""
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise ConfigurationError(f"page_size must be an int >= 1, got {page_size!r}")
        params = {"limit": str(page_size), **request_params(remote_data)}
        seen_ids: set[str] = set()
        seen_cursors: set[str] = set()
        cursor: str | None = None
        bar = progress_bar(total=None, progress=progress, desc="listing")
        try:
            while True:
                query = {**params, "cursor": cursor} if cursor is not None else params
                page = await self._request(
                    FULFILLMENTS, query, FULFILLMENT_PAGE_ADAPTER, record_id=None, what="page"
                )
                fresh = [r for r in page.data if r.id is None or r.id not in seen_ids]
                seen_ids.update(r.id for r in fresh if r.id is not None)
                bar.update(len(fresh))
                yield fresh
                cursor = page.next_cursor
                if cursor is None:
                    return
                if cursor in seen_cursors:
                    raise InvalidResponseError(
                        "the list endpoint returned a cursor it had already returned; "
                        "stopping instead of looping"
                    )
                seen_cursors.add(cursor)
        finally:
            bar.close()

    async def list(
        self, *, remote_data: bool = False, page_size: int = 100, progress: bool | None = None
    ) -> AsyncIterator[Fulfillment]:
        """Every fulfillment of the connection, page by page (cursor pagination).

        ``next_cursor`` is passed back verbatim, listing stops on a null one, records are
        deduplicated by id (Panora's pages overlap when timestamps tie), requests are paced
        by the rate-limit headers and retried like any other. Progress counts records.

        Example:
            >>> async for f in client.list(page_size=100):               # doctest: +SKIP
            ...     print(f.id)
        """
        pages = self._pages(remote_data=remote_data, page_size=page_size, progress=progress)
        try:
            async for page in pages:
                for record in page:
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

    # -- lifecycle -----------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class Client:
    """Synchronous Panora fulfillments client: the same arguments and methods as
    :class:`AsyncClient`, not awaited. Safe to call inside a running event loop.

    Example:
        >>> import fulfillkit as fk
        >>> with fk.Client.sandbox(n=3) as client:
        ...     f = client.get(client.sandbox_ids[0])
        >>> isinstance(f, fk.Fulfillment)
        True
    """

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        *,
        connection_token: str | SecretStr | None = None,
        base_url: str | None = None,
        max_concurrency: int = 8,
        timeout: float = 30.0,
        max_retries: int = 3,
        rate_limit: tuple[int, float] | str | None = "auto",
        allow_insecure: bool = False,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        retry_policy: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._async = AsyncClient(
            api_key,
            connection_token=connection_token,
            base_url=base_url,
            max_concurrency=max_concurrency,
            timeout=timeout,
            max_retries=max_retries,
            rate_limit=rate_limit,
            allow_insecure=allow_insecure,
            max_response_bytes=max_response_bytes,
            retry_policy=retry_policy,
            transport=transport,
        )
        self._loop = LoopThread()
        self._closed = False

    @classmethod
    def sandbox(
        cls,
        n: int = 500,
        *,
        seed: int = 0,
        latency: float = 0.0,
        faults: Faults | None = None,
        rate_limit: tuple[int, float] | None = (10_000, 1.0),  # sandbox.FAST_RATE_LIMIT
        **kwargs: Any,
    ) -> Client:
        """A client wired in-process to the embedded sandbox: see :meth:`AsyncClient.sandbox`.

        Example:
            >>> Client.sandbox(n=2).sandbox_ids.__len__()
            2
        """
        self = cls.__new__(cls)
        self._async = AsyncClient.sandbox(
            n, seed=seed, latency=latency, faults=faults, rate_limit=rate_limit, **kwargs
        )
        self._loop = LoopThread()
        self._closed = False
        return self

    @property
    def sandbox_ids(self) -> list[str]:
        """Ids held by the embedded sandbox (empty for a real server)."""
        return self._async.sandbox_ids

    @property
    def base_url(self) -> str:
        """The base URL, credentials removed."""
        return self._async.base_url

    @property
    def max_concurrency(self) -> int:
        """Requests in flight at once."""
        return self._async.max_concurrency

    @property
    def rate_limit(self) -> tuple[int, float] | None:
        """The client-side budget in force."""
        return self._async.rate_limit

    def __repr__(self) -> str:
        return repr(self._async).replace("AsyncClient(", "Client(", 1)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this Client is closed")

    def get(self, id: str, *, remote_data: bool = False) -> Fulfillment:
        """Fetch one fulfillment by id. See :meth:`AsyncClient.get`.

        Example:
            >>> with Client.sandbox(n=1) as c:
            ...     c.get(c.sandbox_ids[0]).id == c.sandbox_ids[0]
            True
        """
        self._check_open()
        return self._loop.run(self._async.get(id, remote_data=remote_data))

    def get_order(self, id: str, *, remote_data: bool = False) -> Order:
        """Fetch one order by id. See :meth:`AsyncClient.get_order`."""
        self._check_open()
        return self._loop.run(self._async.get_order(id, remote_data=remote_data))

    def get_many(
        self,
        ids: Iterable[str],
        *,
        remote_data: bool = False,
        progress: bool | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        via: Via = "id",
        sink: str | os.PathLike[str] | ParquetSink | None = None,
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
        state: BatchState[Fulfillment] = BatchState(check_ids(ids), keep_records=sink is None)
        try:
            self._loop.run(
                self._async._run(
                    state,
                    remote_data=remote_data,
                    progress=progress,
                    checkpoint=checkpoint,
                    via=via,
                    sink=sink,
                )
            )
        except KeyboardInterrupt:
            raise BatchInterrupted(state.result()) from None
        return state.result()

    def get_orders(
        self, order_ids: Iterable[str], *, remote_data: bool = False, progress: bool | None = None
    ) -> OrdersResult:
        """Fetch many orders concurrently. See :meth:`AsyncClient.get_orders`."""
        self._check_open()
        return self._loop.run(
            self._async.get_orders(order_ids, remote_data=remote_data, progress=progress)
        )

    def list(
        self, *, remote_data: bool = False, page_size: int = 100, progress: bool | None = None
    ) -> Iterator[Fulfillment]:
        """Every fulfillment of the connection. See :meth:`AsyncClient.list`.

        Example:
            >>> with Client.sandbox(n=250) as c:
            ...     len({f.id for f in c.list(page_size=100, progress=False)})
            250
        """
        self._check_open()
        pages = self._async._pages(remote_data=remote_data, page_size=page_size, progress=progress)
        try:
            while True:
                try:
                    page = self._loop.run(_next_page(pages))
                except StopAsyncIteration:
                    return
                yield from page
        finally:
            self._loop.run(pages.aclose())

    def list_frame(
        self, *, remote_data: bool = False, page_size: int = 100, progress: bool | None = None
    ) -> pd.DataFrame:
        """The whole connection as a DataFrame. See :meth:`AsyncClient.list_frame`."""
        self._check_open()
        return self._loop.run(
            self._async.list_frame(remote_data=remote_data, page_size=page_size, progress=progress)
        )

    def close(self) -> None:
        """Close connections and stop the worker thread. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._loop.run(self._async.aclose())
        finally:
            self._loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _open_sink(sink: str | os.PathLike[str] | ParquetSink, remote_data: bool) -> ParquetSink:
    """``sink=`` as a :class:`~fulfillkit.sink.ParquetSink` (a path opens one)."""
    from .sink import ParquetSink

    return sink if isinstance(sink, ParquetSink) else ParquetSink(sink, remote_data=remote_data)
