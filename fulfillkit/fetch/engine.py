"""The one batch engine and the one list loop, over a :class:`~fulfillkit.fetch.resources.Resource`.

* :func:`run_batch` fetches distinct ids with a fixed pool of ``max_concurrency`` worker
  tasks (no task per id: a million ids cost a million small dict entries, not a million
  tasks). Each failure becomes a :class:`~fulfillkit.FailedId` (an unexpected exception
  too: ``invalid_response``, the batch goes on). A failure that says no other id can
  succeed (``stops_batch``: refused credentials, a base URL without Panora's routes), a
  server that could not be connected to before anything answered (fail fast), and a
  failure of our own side (checkpoint, sink) stop the batch. ``on_progress`` and a
  ``stop`` token let a caller (the explorer) follow and stop it; ids not started stay
  ``pending``.
* :meth:`Fetcher.listing` is the list loop: a
  :class:`~fulfillkit.fetch.paging.CursorPaginator` says what to ask next, pages are
  deduplicated by id, progress counts records, and every failure leaves as one fulfillkit
  exception (with ``.partial`` when the caller keeps a :class:`Listing`).
* :class:`Fetcher` is the core of :class:`~fulfillkit.AsyncClient` and
  :class:`~fulfillkit.Client`: ``get``, ``listing`` and ``batch`` (checkpoint, sink and
  ``via=``), for any resource, with one :class:`~fulfillkit.fetch.options.BatchOptions`.
  Every fulfillkit exception that stops a batch leaves with ``.partial`` set, and no
  ``ExceptionGroup`` or third-party exception escapes.

Example:
    >>> import asyncio
    >>> from fulfillkit.fetch.resources import FULFILLMENTS
    >>> state = BatchState(FULFILLMENTS, ["a", "b"])
    >>> async def fake(record_id: str) -> Fulfillment:
    ...     return Fulfillment(id=record_id)
    >>> asyncio.run(run_batch(state, fake, concurrency=2, progress=False))
    >>> state.result().ok
    True
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import warnings
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from fulfillkit.errors import (
    ClientClosedError,
    ConfigurationError,
    FailedId,
    FetchFailed,
    FulfillkitError,
    InvalidResponseError,
    UnreachableError,
)
from fulfillkit.fetch.checkpoint import Checkpoint
from fulfillkit.fetch.options import BatchOptions, ProgressCallback
from fulfillkit.fetch.paging import CursorPaginator, ListedPage
from fulfillkit.fetch.progress import BarStatus, progress_bar
from fulfillkit.fetch.protocol import canonical_id, check_id, check_ids, request_params
from fulfillkit.fetch.request import Requester, detached
from fulfillkit.fetch.resources import FULFILLMENTS, Resource
from fulfillkit.fetch.results import BatchResult, OrdersResult
from fulfillkit.fetch.sink import ParquetSink
from fulfillkit.models import Fulfillment, Order
from fulfillkit.redaction import redact

__all__ = [
    "BatchState",
    "Fetcher",
    "Listing",
    "OnResult",
    "error_row",
    "run_batch",
    "with_partial",
]

R = TypeVar("R", Fulfillment, Order)
Res = TypeVar("Res", BatchResult, OrdersResult)
OnResult = Callable[[str, Any], None]
"""``on_result(requested_id, record)``: called for each fetched record, before it counts as
done (a failure leaves the id pending and stops the batch)."""


def error_row(record_id: str, exc: BaseException) -> FailedId:
    """The :class:`FailedId` row for an exception raised while fetching one id."""
    if isinstance(exc, FetchFailed):
        return FailedId(record_id, exc.kind, exc.status, redact(exc.message), exc.attempts)
    return FailedId(
        record_id,
        "invalid_response",
        None,
        f"unexpected {type(exc).__name__}: {redact(str(exc))[:300]}",
        1,
    )


@dataclass(slots=True)
class BatchState(Generic[R, Res]):
    """The mutable progress of one batch; a partial result can be read at any time, which
    is what an interrupted or failed batch hands back as ``.partial``.

    With ``keep_records=False`` (a batch streaming to a sink) a fetched record is handed to
    ``on_result`` and only its id is kept (in :attr:`written`).
    """

    resource: Resource[R, Res]
    ids: Sequence[str]
    remote_data: bool = False
    results: dict[str, R] = field(default_factory=dict)
    errors: dict[str, FailedId] = field(default_factory=dict)
    keep_records: bool = True
    written: set[str] = field(default_factory=set)

    def done(self, record_id: str) -> bool:
        """Whether ``record_id`` was fetched (kept or written)."""
        return record_id in self.results or record_id in self.written

    def add(self, record_id: str, record: R, on_result: OnResult | None) -> None:
        """Account for one fetched record (after ``on_result`` returned: a failed write
        leaves the id pending)."""
        if on_result is not None:
            on_result(record_id, record)
        if self.keep_records:
            self.results[record_id] = record
        else:
            self.written.add(record_id)

    def todo(self) -> list[str]:
        """The ids neither fetched nor failed yet, in input order."""
        return [i for i in self.ids if not self.done(i) and i not in self.errors]

    def result(self) -> Res:
        """Fetched, failed and pending ids, each list in first-seen input order."""
        done, failed = self.results, self.errors
        return self.resource.result(
            [done[i] for i in self.ids if i in done],
            [failed[i] for i in self.ids if i in failed],
            self.todo(),
            len(self.written),
            self.remote_data,
        )


@dataclass(slots=True)
class Listing(Generic[R, Res]):
    """What a listing fetched so far: the ``.partial`` of a listing that stopped, so that
    no page already fetched is lost.

    Example:
        >>> listing = Listing(FULFILLMENTS)
        >>> listing.records.append(Fulfillment(id="a"))
        >>> listing.result().ok, len(listing.result())
        (True, 1)
    """

    resource: Resource[R, Res]
    records: list[R] = field(default_factory=list)
    remote_data: bool = False

    def result(self) -> Res:
        """Every record listed so far, in the order listed."""
        return self.resource.result(list(self.records), [], [], 0, self.remote_data)


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


class FailFast:
    """How a batch tells "this server cannot be reached at all" from one id's bad luck:
    a connect failure (after its retries) while no response of the batch has come back
    yet means the next id would fail the same way, so the batch stops at once.

    "Yet" is counted from construction: the ``requester``'s answered responses then and
    now; its display URL (credentials removed) names the server in the error.
    """

    __slots__ = ("before", "requester")

    def __init__(self, requester: Requester) -> None:
        self.requester = requester
        self.before = requester.answered

    def check(self, exc: BaseException, todo: int) -> None:
        """Raise :class:`UnreachableError` when ``exc`` means the server is unreachable."""
        requester = self.requester
        if (
            isinstance(exc, FetchFailed)
            and exc.connect_failed
            and requester.answered == self.before
        ):
            raise UnreachableError(
                f"cannot connect to {requester.config.display_url}: {exc.message}; stopped the "
                f"batch at once instead of trying {todo} more id(s) (check base_url, the "
                "network or the proxy; .partial holds them as pending)",
                attempts=exc.attempts,
                connect_failed=True,
            )


async def run_batch(
    state: BatchState[R, Res],
    fetch: Callable[[str], Awaitable[R]],
    *,
    concurrency: int,
    progress: bool | None,
    on_result: OnResult | None = None,
    rate_wait: Callable[[], float] | None = None,
    rate_cap: Callable[[], float | None] | None = None,
    on_progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
    fail_fast: FailFast | None = None,
) -> None:
    """Fetch every id of ``state`` not yet in it, ``concurrency`` at a time.

    Raises a ``stops_batch`` failure (:class:`~fulfillkit.AuthenticationError`, ...) after
    cancelling the other workers, :class:`UnreachableError` (``fail_fast``), and whatever
    ``on_result`` raises (a checkpoint or sink failure); every other failure becomes a
    :class:`FailedId`. ``stop.set()`` (from any thread) lets the requests in flight finish
    and starts no new one. ``rate_wait()`` (seconds the rate limit holds requests) shows in
    the bar's postfix while it waits.
    """
    todo = state.todo()
    ids = iter(todo)
    total = len(state.ids)
    finished = total - len(todo)
    bar = progress_bar(
        total=total,
        initial=finished,
        progress=progress,
        desc=state.resource.name,
        rate_cap=rate_cap,
    )
    status = BarStatus(bar, rate_wait)
    status.errors = len(state.errors)

    async def worker() -> None:
        nonlocal finished
        for record_id in ids:  # one shared iterator: each id is taken by one worker
            if stop is not None and stop.is_set():
                return
            try:
                record = await fetch(record_id)
            except Exception as exc:
                state.errors[record_id] = error_row(record_id, exc)
                status.errors += 1
                status.show()
                if fail_fast is not None:
                    fail_fast.check(exc, total - finished - 1)
                if isinstance(exc, FetchFailed) and exc.stops_batch:
                    raise
            else:
                state.add(record_id, record, on_result)
            finished += 1
            bar.update(1)
            if on_progress is not None:
                on_progress(finished, total, status.errors)

    try:
        async with status.watching(), asyncio.TaskGroup() as group:
            for _ in range(min(concurrency, len(todo))):
                group.create_task(worker())
    except BaseExceptionGroup as group_error:
        raise _first_error(group_error) from None
    finally:
        bar.close()


class Fetcher:
    """The async core shared by both clients: every public fetch, for any resource, built
    on one :class:`~fulfillkit.fetch.request.Requester`."""

    def __init__(self, requester: Requester) -> None:
        self.requester = requester

    def __repr__(self) -> str:
        return f"Fetcher({self.requester!r})"

    # -- single records -------------------------------------------------------------------

    async def fetch_one(
        self,
        resource: Resource[R, Any],
        record_id: str,
        params: dict[str, str],
        *,
        raw: bool = False,
    ) -> R:
        """One record by (checked) id, through the retry loop (``raw``: keep its bytes)."""
        record: R = await self.requester.fetch(
            resource.record_path(record_id),
            params,
            resource.adapter,
            record_id=record_id,
            what=resource.record,
            raw=raw,
        )
        return record

    async def get(self, resource: Resource[R, Any], record_id: object, remote_data: bool) -> R:
        """``get`` / ``get_order``: check, fetch, and never let a foreign exception out."""
        self.requester.check_open()
        checked, params = check_id(record_id), request_params(remote_data)
        try:
            return await self.fetch_one(resource, checked, params)
        except FulfillkitError:
            raise
        except Exception as exc:
            row = error_row(checked, exc)
            raise InvalidResponseError(row.message, id=checked) from detached(exc)

    # -- listing --------------------------------------------------------------------------

    async def listing(
        self,
        resource: Resource[R, Res],
        *,
        remote_data: bool,
        page_size: int = 100,
        progress: bool | None = None,
        paginator: CursorPaginator | None = None,
        keep: Listing[R, Res] | None = None,
        raw: bool = False,
    ) -> AsyncGenerator[ListedPage[R], None]:
        """Every page of ``resource``'s list endpoint from ``paginator``'s cursor (the
        start by default) until ``next_cursor`` is null, deduplicated by id (Panora's
        pages overlap where ``created_at`` ties). Each request goes through the retry
        loop and the pacer; ``raw`` keeps each record's bytes (the store's verbatim copy).

        A failure leaves as one fulfillkit exception (an unexpected one becomes
        :class:`InvalidResponseError`, its cause chained); with ``keep``, every record
        listed is kept there and the exception's ``.partial`` holds them.
        """
        self.requester.check_open()
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise ConfigurationError(f"page_size must be an int >= 1, got {page_size!r}")
        params = {"limit": str(page_size), **request_params(remote_data)}
        pager = paginator if paginator is not None else CursorPaginator()
        seen: set[str] = set()
        bar = progress_bar(total=None, progress=progress, desc=f"listing {resource.name}")
        status = BarStatus(bar, self.requester.pacer.wait_time)
        try:
            async with status.watching():
                while pager.has_next:
                    cursor = pager.cursor
                    try:
                        page = await self.requester.fetch(
                            resource.path,
                            pager.next_request(params),
                            resource.page_adapter,
                            record_id=None,
                            what="page",
                            raw=raw,
                        )
                        pager.update_state(page.next_cursor)
                    except FulfillkitError as exc:
                        if keep is not None:
                            with_partial(exc, keep.result)
                        raise
                    except Exception as exc:
                        error = InvalidResponseError(error_row("listing", exc).message)
                        if keep is not None:
                            with_partial(error, keep.result)
                        raise error from detached(exc)
                    fresh = [r for r in page.data if r.id is None or r.id not in seen]
                    seen.update(r.id for r in fresh if r.id is not None)
                    if keep is not None:
                        keep.records.extend(fresh)
                    bar.update(len(fresh))
                    yield ListedPage(fresh, cursor, page.next_cursor)
        finally:
            bar.close()

    async def _collect_by_listing(
        self,
        state: BatchState[R, Res],
        options: BatchOptions,
        on_result: OnResult | None,
    ) -> None:
        """``via="list"`` / ``"auto"``: take requested ids from list pages; what is not
        seen (or what a failed page hid) is left for fetching by id."""
        missing = {canonical_id(i): i for i in state.ids if not state.done(i)}
        budget = None if options.via == "list" else len(missing) // 2
        fail_fast = FailFast(self.requester)
        pages = self.listing(state.resource, remote_data=options.remote_data, progress=False)
        try:
            while missing and (budget is None or budget > 0):
                try:
                    page = await anext(pages)
                except StopAsyncIteration:
                    break
                except ClientClosedError:
                    raise
                except Exception as exc:  # a page that fails: the ids not seen go by id
                    fail_fast.check(exc, len(missing))
                    if isinstance(exc, FetchFailed) and exc.stops_batch:
                        raise
                    warnings.warn(
                        f"listing stopped ({redact(str(exc))[:200]}); fetching the "
                        f"{len(missing)} ids not listed yet by id",
                        RuntimeWarning,
                        stacklevel=2,
                    )
                    break
                for record in page.records:
                    requested = missing.pop(canonical_id(record.id or ""), None)
                    if requested is not None:
                        state.add(requested, record, on_result)
                if budget is not None:
                    budget -= 1
        finally:
            await pages.aclose()

    # -- batches --------------------------------------------------------------------------

    def state(
        self, resource: Resource[R, Res], ids: Iterable[object], options: BatchOptions
    ) -> BatchState[R, Res]:
        """A fresh state for a batch of ``resource`` (ids checked and deduplicated; for
        orders, missing ids dropped)."""
        self.requester.check_open()
        if options.sink is not None and resource is not FULFILLMENTS:
            raise ValueError(f"sink= streams fulfillments only, not {resource.name}")
        checked = check_ids(ids, drop_missing=resource.skips_missing_ids)
        return BatchState(
            resource, checked, remote_data=options.remote_data, keep_records=options.sink is None
        )

    async def batch(
        self,
        state: BatchState[R, Res],
        options: BatchOptions,
        *,
        on_result: OnResult | None = None,
        raw: bool = False,
    ) -> Res:
        """Run a batch into ``state``; see ``AsyncClient.get_many``.

        Checkpoint and sink are opened (and so checked) before the first request; any
        fulfillkit exception leaves with ``.partial`` set. ``on_result`` (the store) sees
        each record as it arrives; ``raw`` keeps each record's bytes.
        """
        config = self.requester.config
        params = options.params()
        resource = state.resource
        ckpt = (
            Checkpoint(
                options.checkpoint,
                base_url=config.base_url,
                token=config.connection_token,
                on_mismatch=options.checkpoint_mismatch,
                adapter=resource.adapter,
                resource=resource.name,
            )
            if options.checkpoint is not None
            else None
        )
        out = _open_sink(options.sink, options.remote_data) if options.sink is not None else None
        try:
            with contextlib.ExitStack() as stack:
                write = self._prepare(state, ckpt, out, stack)
                each = _chain(write, on_result)
                if options.via != "id":
                    await self._collect_by_listing(state, options, each)

                async def fetch(record_id: str) -> R:
                    return await self.fetch_one(resource, record_id, params, raw=raw)

                pacer = self.requester.pacer
                await run_batch(
                    state,
                    fetch,
                    concurrency=config.max_concurrency,
                    progress=options.progress,
                    on_result=each,
                    rate_wait=pacer.wait_time,
                    rate_cap=pacer.rate_cap,
                    on_progress=options.on_progress,
                    stop=options.stop,
                    fail_fast=FailFast(self.requester),
                )
        except FulfillkitError as exc:
            with_partial(exc, state.result)
            raise
        return state.result()

    @staticmethod
    def _prepare(
        state: BatchState[R, Res],
        ckpt: Checkpoint[Any] | None,
        out: ParquetSink | None,
        stack: contextlib.ExitStack,
    ) -> OnResult | None:
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


def _chain(first: OnResult | None, second: OnResult | None) -> OnResult | None:
    """One callback calling ``first`` then ``second`` (either may be absent)."""
    if first is None or second is None:
        return first or second

    def both(record_id: str, record: Any) -> None:
        first(record_id, record)
        second(record_id, record)

    return both


def _open_sink(sink: object, remote_data: bool) -> ParquetSink:
    """``sink=`` as a :class:`~fulfillkit.fetch.sink.ParquetSink` (a path makes one)."""
    if isinstance(sink, ParquetSink):
        return sink
    return ParquetSink(sink, remote_data=remote_data)  # type: ignore[arg-type]
