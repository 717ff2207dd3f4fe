"""The one batch engine, and the async core both clients share.

* :func:`run_batch` fetches distinct ids with a fixed pool of ``max_concurrency`` worker
  tasks (no task per id: a million ids cost a million small dict entries, not a million
  tasks). Each failure becomes a :class:`~fulfillkit.FetchError` (an unexpected exception
  too: ``invalid_response``, the batch goes on); an authentication failure, or a failure
  of our own side (checkpoint, sink), stops the batch. ``on_progress`` and a ``stop``
  token let a caller (the explorer) follow and stop it; ids not started stay ``pending``.
* :class:`Fetcher` is the core of :class:`~fulfillkit.AsyncClient` and
  :class:`~fulfillkit.Client`: ``get``, listing, ``get_many`` with checkpoint, sink and
  ``via=``, ``get_orders``. It calls down only (request loop, protocol, checkpoint, sink).
  Every fulfillkit exception that stops a batch leaves with ``.partial`` set, and no
  ``ExceptionGroup`` or third-party exception escapes.

Example:
    >>> import asyncio
    >>> from fulfillkit.fetch.config import ClientConfig
    >>> cfg = ClientConfig.from_args("k" * 12, connection_token="t" * 12, base_url=None)
    >>> state = BatchState(["a", "b"])
    >>> async def fake(record_id: str) -> Fulfillment:
    ...     return Fulfillment(id=record_id)
    >>> asyncio.run(run_batch(state, fake, concurrency=2, progress=False))
    >>> state.result().ok
    True
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import warnings
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from fulfillkit.errors import (
    AuthenticationError,
    ClientClosedError,
    ConfigurationError,
    FetchError,
    FetchFailed,
    FulfillkitError,
    InvalidResponseError,
)
from fulfillkit.fetch.checkpoint import Checkpoint, OnMismatch
from fulfillkit.fetch.progress import progress_bar
from fulfillkit.fetch.protocol import (
    FULFILLMENTS,
    ORDERS,
    canonical_id,
    check_id,
    check_ids,
    record_path,
    request_params,
)
from fulfillkit.fetch.request import Requester, detached
from fulfillkit.fetch.results import BatchResult, OrdersResult
from fulfillkit.fetch.sink import ParquetSink
from fulfillkit.models import (
    FULFILLMENT_ADAPTER,
    FULFILLMENT_PAGE_ADAPTER,
    ORDER_ADAPTER,
    Fulfillment,
    Order,
)
from fulfillkit.redaction import redact

__all__ = [
    "BatchState",
    "Fetcher",
    "Listing",
    "ProgressCallback",
    "Via",
    "error_row",
    "run_batch",
    "with_partial",
]

R = TypeVar("R", Fulfillment, Order)
Via = Literal["id", "list", "auto"]
ProgressCallback = Callable[[int, int, int], None]
"""``on_progress(done, total, failed)``: called on the event loop after each id."""


def error_row(record_id: str, exc: BaseException) -> FetchError:
    """The :class:`FetchError` row for an exception raised while fetching one id."""
    if isinstance(exc, FetchFailed):
        return FetchError(record_id, exc.kind, exc.status, redact(exc.message), exc.attempts)
    return FetchError(
        record_id,
        "invalid_response",
        None,
        f"unexpected {type(exc).__name__}: {redact(str(exc))[:300]}",
        1,
    )


@dataclass(slots=True)
class BatchState(Generic[R]):
    """The mutable progress of one batch; a partial result can be read at any time, which
    is what an interrupted or failed batch hands back as ``.partial``.

    With ``keep_records=False`` (a batch streaming to a sink) a fetched record is handed to
    ``on_result`` and only its id is kept (in :attr:`written`).
    """

    ids: Sequence[str]
    results: dict[str, R] = field(default_factory=dict)
    errors: dict[str, FetchError] = field(default_factory=dict)
    keep_records: bool = True
    written: set[str] = field(default_factory=set)

    def done(self, record_id: str) -> bool:
        """Whether ``record_id`` was fetched (kept or written)."""
        return record_id in self.results or record_id in self.written

    def add(self, record_id: str, record: R, on_result: Callable[[str, R], None] | None) -> None:
        """Account for one fetched record (after ``on_result`` returned: a failed write
        leaves the id pending)."""
        if on_result is not None:
            on_result(record_id, record)
        if self.keep_records:
            self.results[record_id] = record
        else:
            self.written.add(record_id)

    def _split(self) -> tuple[list[R], list[FetchError], list[str]]:
        done, failed = self.results, self.errors
        return (
            [done[i] for i in self.ids if i in done],
            [failed[i] for i in self.ids if i in failed],
            [i for i in self.ids if not self.done(i) and i not in failed],
        )

    def result(self: BatchState[Fulfillment]) -> BatchResult:
        """Fetched, failed and pending ids, each list in first-seen input order."""
        records, errors, pending = self._split()
        return BatchResult(
            fulfillments=records, errors=errors, pending=pending, written=len(self.written)
        )

    def orders_result(self: BatchState[Order]) -> OrdersResult:
        """The same, for a batch of orders."""
        records, errors, pending = self._split()
        return OrdersResult(orders=records, errors=errors, pending=pending)


@dataclass(slots=True)
class Listing:
    """What a listing (``client.list()``) fetched so far: the ``.partial`` of a listing
    that stopped, so that no page already fetched is lost.

    Example:
        >>> listing = Listing()
        >>> listing.records.append(Fulfillment(id="a"))
        >>> listing.result().ok, len(listing.result())
        (True, 1)
    """

    records: list[Fulfillment] = field(default_factory=list)

    def result(self) -> BatchResult:
        """Every record listed so far, in the order listed."""
        return BatchResult(fulfillments=list(self.records), errors=[])


def with_partial(exc: FulfillkitError, partial: Callable[[], Any]) -> None:
    """Set ``exc.partial`` to ``partial()`` unless it is set already (the innermost
    handler knows best what was fetched)."""
    if exc.partial is None:
        exc.partial = partial()


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The exception to raise for a failed task group: a fulfillkit one first."""
    leaves: list[BaseException] = []
    stack: list[BaseException] = [group]
    while stack:
        exc = stack.pop(0)
        if isinstance(exc, BaseExceptionGroup):
            stack.extend(exc.exceptions)
        else:
            leaves.append(exc)
    for exc in leaves:
        if isinstance(exc, FulfillkitError):
            return exc
    return leaves[0]


async def run_batch(
    state: BatchState[R],
    fetch: Callable[[str], Awaitable[R]],
    *,
    concurrency: int,
    progress: bool | None,
    desc: str = "fulfillments",
    on_result: Callable[[str, R], None] | None = None,
    rate_cap: Callable[[], float | None] | None = None,
    on_progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Fetch every id of ``state`` not yet in it, ``concurrency`` at a time.

    Raises :class:`AuthenticationError` (after cancelling the other workers) when the
    credentials are refused, and whatever ``on_result`` raises (a checkpoint or sink
    failure); every other failure becomes a :class:`FetchError`. ``stop.set()`` (from any
    thread) lets the requests in flight finish and starts no new one.
    """
    todo = [i for i in state.ids if not state.done(i) and i not in state.errors]
    ids = iter(todo)
    total = len(state.ids)
    finished = total - len(todo)
    bar = progress_bar(
        total=total, initial=finished, progress=progress, desc=desc, rate_cap=rate_cap
    )
    failures = len(state.errors)

    async def worker() -> None:
        nonlocal failures, finished
        for record_id in ids:  # one shared iterator: each id is taken by one worker
            if stop is not None and stop.is_set():
                return
            try:
                record = await fetch(record_id)
            except Exception as exc:
                state.errors[record_id] = error_row(record_id, exc)
                failures += 1
                bar.set_postfix(errors=failures, refresh=False)
                if isinstance(exc, AuthenticationError):
                    raise
            else:
                state.add(record_id, record, on_result)
            finished += 1
            bar.update(1)
            if on_progress is not None:
                on_progress(finished, total, failures)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(concurrency, len(todo))):
                group.create_task(worker())
    except BaseExceptionGroup as group_error:
        raise _first_error(group_error) from None
    finally:
        bar.close()


class Fetcher:
    """The async core shared by both clients: every public fetch, built on one
    :class:`~fulfillkit.fetch.request.Requester`."""

    def __init__(self, requester: Requester) -> None:
        self.requester = requester

    def __repr__(self) -> str:
        return f"Fetcher({self.requester!r})"

    # -- single records -------------------------------------------------------------------

    async def fulfillment(self, record_id: str, params: dict[str, str]) -> Fulfillment:
        """One fulfillment by (checked) id, through the retry loop."""
        return await self.requester.fetch(
            record_path(FULFILLMENTS, record_id),
            params,
            FULFILLMENT_ADAPTER,
            record_id=record_id,
            what="fulfillment",
        )

    async def order(self, record_id: str, params: dict[str, str]) -> Order:
        """One order by (checked) id, through the retry loop."""
        return await self.requester.fetch(
            record_path(ORDERS, record_id), params, ORDER_ADAPTER, record_id=record_id, what="order"
        )

    async def get(self, record_id: object, remote_data: bool, *, order: bool = False) -> Any:
        """``get`` / ``get_order``: check, fetch, and never let a foreign exception out."""
        self.requester.check_open()
        checked, params = check_id(record_id), request_params(remote_data)
        try:
            if order:
                return await self.order(checked, params)
            return await self.fulfillment(checked, params)
        except FulfillkitError:
            raise
        except Exception as exc:
            row = error_row(checked, exc)
            raise InvalidResponseError(row.message, id=checked) from detached(exc)

    # -- listing --------------------------------------------------------------------------

    async def pages(
        self,
        *,
        remote_data: bool,
        page_size: int,
        progress: bool | None,
        listing: Listing | None = None,
    ) -> AsyncGenerator[list[Fulfillment], None]:
        """Every page of the list endpoint, deduplicated by id, until ``next_cursor`` is
        null. Each page request goes through the retry loop and the pacer.

        With ``listing``, every record is also kept there, and a failure leaves as one
        fulfillkit exception whose ``.partial`` holds them (an unexpected exception
        becomes :class:`InvalidResponseError`, its cause chained).
        """
        if listing is None:
            async for page in self._pages(remote_data, page_size, progress):
                yield page
            return
        pages = self._pages(remote_data, page_size, progress)
        try:
            while True:
                try:
                    page = await anext(pages)
                except StopAsyncIteration:
                    return
                except FulfillkitError as exc:
                    with_partial(exc, listing.result)
                    raise
                except Exception as exc:
                    error = InvalidResponseError(error_row("listing", exc).message)
                    with_partial(error, listing.result)
                    raise error from detached(exc)
                listing.records.extend(page)
                yield page
        finally:
            await pages.aclose()

    async def _pages(
        self, remote_data: bool, page_size: int, progress: bool | None
    ) -> AsyncGenerator[list[Fulfillment], None]:
        self.requester.check_open()
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
                page = await self.requester.fetch(
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

    async def _collect_by_listing(
        self,
        state: BatchState[Fulfillment],
        remote_data: bool,
        via: Via,
        on_result: Callable[[str, Fulfillment], None] | None,
    ) -> None:
        missing = {canonical_id(i): i for i in state.ids if not state.done(i)}
        budget = None if via == "list" else len(missing) // 2
        pages = self.pages(remote_data=remote_data, page_size=100, progress=False)
        try:
            while missing and (budget is None or budget > 0):
                try:
                    page = await anext(pages)
                except StopAsyncIteration:
                    break
                except (AuthenticationError, ClientClosedError):
                    raise
                except Exception as exc:  # a page that fails: the ids not seen go by id
                    warnings.warn(
                        f"listing stopped ({redact(str(exc))[:200]}); fetching the "
                        f"{len(missing)} ids not listed yet by id",
                        RuntimeWarning,
                        stacklevel=2,
                    )
                    break
                for record in page:
                    requested = missing.pop(canonical_id(record.id or ""), None)
                    if requested is not None:
                        state.add(requested, record, on_result)
                if budget is not None:
                    budget -= 1
        finally:
            await pages.aclose()

    # -- batches --------------------------------------------------------------------------

    def fulfillments_state(self, ids: Iterable[object], *, sink: object) -> BatchState[Fulfillment]:
        """A fresh state for ``get_many`` (ids checked and deduplicated)."""
        self.requester.check_open()
        return BatchState(check_ids(ids), keep_records=sink is None)

    async def get_many(
        self,
        state: BatchState[Fulfillment],
        *,
        remote_data: bool,
        progress: bool | None,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_mismatch: OnMismatch = "raise",
        via: Via = "id",
        sink: str | os.PathLike[str] | ParquetSink | None = None,
        on_progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
    ) -> BatchResult:
        """Run a batch of fulfillments into ``state``; see ``AsyncClient.get_many``.

        Checkpoint and sink are opened (and so checked) before the first request; any
        fulfillkit exception leaves with ``.partial`` set.
        """
        if via not in ("id", "list", "auto"):
            raise ConfigurationError(f"via must be 'id', 'list' or 'auto', got {via!r}")
        params = request_params(remote_data)
        config = self.requester.config
        ckpt = (
            Checkpoint(
                checkpoint,
                base_url=config.base_url,
                token=config.connection_token,
                on_mismatch=checkpoint_mismatch,
            )
            if checkpoint is not None
            else None
        )
        out = _open_sink(sink, remote_data) if sink is not None else None
        try:
            with contextlib.ExitStack() as stack:
                on_result = self._prepare(state, ckpt, out, stack)
                if via != "id":
                    await self._collect_by_listing(state, remote_data, via, on_result)

                async def fetch(record_id: str) -> Fulfillment:
                    return await self.fulfillment(record_id, params)

                await run_batch(
                    state,
                    fetch,
                    concurrency=config.max_concurrency,
                    progress=progress,
                    on_result=on_result,
                    rate_cap=self.requester.pacer.rate_cap,
                    on_progress=on_progress,
                    stop=stop,
                )
        except FulfillkitError as exc:
            with_partial(exc, state.result)
            raise
        return state.result()

    @staticmethod
    def _prepare(
        state: BatchState[Fulfillment],
        ckpt: Checkpoint | None,
        out: ParquetSink | None,
        stack: contextlib.ExitStack,
    ) -> Callable[[str, Fulfillment], None] | None:
        """Open the checkpoint and the sink (checks before any request), load what a
        previous run finished, and return the per-record callback."""
        wanted = {canonical_id(i): i for i in state.ids}
        if ckpt is not None:
            stack.enter_context(ckpt)
            for key, record in ckpt.open().items():
                requested = wanted.get(canonical_id(key))
                if requested is None:
                    continue
                if out is not None:
                    state.written.add(requested)  # already in a committed part
                else:
                    state.results[requested] = record
        if out is None:
            return ckpt.write if ckpt is not None else None
        stack.enter_context(out)
        for key in out.open(resume=ckpt is not None):
            requested = wanted.get(canonical_id(key))
            if requested is not None:
                state.written.add(requested)
        if ckpt is not None:
            out.on_commit = ckpt.write_many
        return out.write

    def orders_state(self, order_ids: Iterable[object]) -> BatchState[Order]:
        """A fresh state for ``get_orders`` (nulls dropped, ids checked and deduplicated)."""
        self.requester.check_open()
        return BatchState(check_ids(_present(order_ids)))

    async def get_orders(
        self, state: BatchState[Order], *, remote_data: bool, progress: bool | None
    ) -> OrdersResult:
        """Run a batch of orders into ``state``; see ``get_many``. Any fulfillkit
        exception leaves with ``.partial`` set."""
        params = request_params(remote_data)

        async def fetch(record_id: str) -> Order:
            return await self.order(record_id, params)

        try:
            await run_batch(
                state,
                fetch,
                concurrency=self.requester.config.max_concurrency,
                progress=progress,
                desc="orders",
                rate_cap=self.requester.pacer.rate_cap,
            )
        except FulfillkitError as exc:
            with_partial(exc, state.orders_result)
            raise
        return state.orders_result()


def _present(values: Iterable[Any]) -> list[Any]:
    """Drop nulls (None, NaN, pd.NA) from a column of ids; keep everything else to check."""

    def missing(v: Any) -> bool:
        return v is None or type(v).__name__ in ("NAType", "NaTType") or v != v  # NaN

    return [v for v in values if not missing(v)]


def _open_sink(sink: str | os.PathLike[str] | ParquetSink, remote_data: bool) -> ParquetSink:
    """``sink=`` as a :class:`~fulfillkit.fetch.sink.ParquetSink` (a path makes one)."""
    return sink if isinstance(sink, ParquetSink) else ParquetSink(sink, remote_data=remote_data)
