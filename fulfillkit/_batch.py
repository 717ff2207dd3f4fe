"""The one batch engine, its result type, and running it from synchronous code.

* :func:`run_batch` fetches distinct ids with a fixed pool of ``max_concurrency`` worker
  tasks in an :class:`asyncio.TaskGroup` (no task per id, so a million ids cost a million
  small dict entries, not a million tasks), records each failure as a :class:`FetchError`,
  updates a ``tqdm.auto`` progress bar itself, and stops the whole batch on an
  authentication failure (the other workers are cancelled, no new request starts).
* :class:`BatchResult` accounts for every distinct id: fetched, failed, or (only after an
  interruption) pending.
* :class:`LoopThread` runs coroutines on an event loop in a worker thread, which is how the
  synchronous :class:`~fulfillkit.Client` works unchanged inside Jupyter, where a loop is
  already running and :func:`asyncio.run` fails. Ctrl-C cancels the in-flight requests.

Example:
    >>> r = BatchResult(fulfillments=[], errors=[FetchError("x", "not_found", 500, "gone", 1)])
    >>> r.ok, len(r), r.error_counts()
    (False, 0, {'not_found': 1})
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from ._errors import AuthenticationError, ErrorKind, FetchFailed
from ._progress import progress_bar
from ._redact import redact
from .models import Fulfillment, Order

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BatchResult", "BatchState", "FetchError", "LoopThread", "OrdersResult", "run_batch"]

T = TypeVar("T")
R = TypeVar("R", Fulfillment, Order)


@dataclass(frozen=True, slots=True)
class FetchError:
    """Why one id could not be fetched.

    Attributes:
        id: the requested id.
        kind: ``not_found``, ``auth``, ``rate_limited``, ``server``, ``network``,
            ``timeout`` or ``invalid_response``.
        status: the last HTTP status, or ``None`` when no response came back.
        message: what went wrong, secrets redacted.
        attempts: how many requests were actually sent for this id.
    """

    id: str
    kind: ErrorKind
    status: int | None
    message: str
    attempts: int

    @classmethod
    def from_exception(cls, record_id: str, exc: FetchFailed) -> FetchError:
        """The row for an exception raised by ``get``."""
        return cls(record_id, exc.kind, exc.status, redact(exc.message), exc.attempts)


@dataclass(slots=True, kw_only=True)
class _Outcome:
    """What every batch result has: the errors, the ids left pending, and their summaries."""

    errors: list[FetchError]
    pending: list[str] = field(default_factory=list)

    def _count(self) -> int:
        raise NotImplementedError

    @property
    def ok(self) -> bool:
        """True when every id was fetched."""
        return not self.errors and not self.pending

    @property
    def requested(self) -> int:
        """How many distinct ids were asked for."""
        return self._count() + len(self.errors) + len(self.pending)

    def __len__(self) -> int:
        return self._count()

    def error_counts(self) -> dict[str, int]:
        """Number of errors per kind, most frequent first."""
        return dict(Counter(e.kind for e in self.errors).most_common())

    def failed_ids(self) -> list[str]:
        """The ids that ended in :attr:`errors` (e.g. to retry them later)."""
        return [e.id for e in self.errors]

    def raise_for_errors(self) -> Self:
        """Raise the first error's exception type if any id failed; else return self."""
        if self.errors:
            first = self.errors[0]
            from ._base import ERRORS_BY_KIND

            raise ERRORS_BY_KIND[first.kind](
                f"{len(self.errors)} of {self.requested} ids failed "
                f"({self.error_counts()}); first: {first.id!r}: {first.message}",
                status=first.status,
                attempts=first.attempts,
                id=first.id,
            )
        return self

    def errors_frame(self) -> pd.DataFrame:
        """The errors as a DataFrame (``id``, ``kind``, ``status``, ``message``, ``attempts``)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "id": pd.array([e.id for e in self.errors], dtype="string"),
                "kind": pd.array([e.kind for e in self.errors], dtype="string"),
                "status": pd.array([e.status for e in self.errors], dtype="Int64"),
                "message": pd.array([e.message for e in self.errors], dtype="string"),
                "attempts": pd.array([e.attempts for e in self.errors], dtype="Int64"),
            }
        )

    def _summary(self, name: str) -> str:
        parts = [f"{name}={self._count()}", f"errors={len(self.errors)}"]
        if self.pending:
            parts.append(f"pending={len(self.pending)}")
        if self.errors:
            parts.append(f"by_kind={self.error_counts()}")
        return f"{type(self).__name__}({', '.join(parts)})"


@dataclass(slots=True, kw_only=True)
class BatchResult(_Outcome):
    """The outcome of :meth:`Client.get_many`: every distinct requested id, accounted for.

    ``fulfillments`` holds one record per id that succeeded, in first-seen input order;
    ``errors`` one :class:`FetchError` per id that failed, in the same order; ``pending``
    the ids never finished (only non-empty after an interruption). ``len()`` and iteration
    are over the fulfillments.

    Example:
        >>> batch = BatchResult(fulfillments=[Fulfillment(id="a")], errors=[])
        >>> batch.ok, [f.id for f in batch]
        (True, ['a'])
    """

    fulfillments: list[Fulfillment]
    written: int = 0
    """Records streamed to a sink (``get_many(..., sink=...)``) instead of being kept in
    :attr:`fulfillments`."""

    def _count(self) -> int:
        return len(self.fulfillments)

    @property
    def requested(self) -> int:
        """How many distinct ids were asked for."""
        return len(self.fulfillments) + self.written + len(self.errors) + len(self.pending)

    def __iter__(self) -> Iterator[Fulfillment]:
        return iter(self.fulfillments)

    def to_frame(self, **kwargs: Any) -> pd.DataFrame:
        """The fetched records as a tidy DataFrame: see :func:`fulfillkit.to_frame`."""
        from fulfillkit.frames import to_frame

        return to_frame(self.fulfillments, **kwargs)

    def audit(self, **kwargs: Any) -> pd.DataFrame:
        """Data-quality findings on the fetched records: see :func:`fulfillkit.audit`
        (given the records, it also tells unparseable timestamps from missing ones)."""
        from .reports.audit import audit

        return audit(self.fulfillments, **kwargs)

    def to_arrow(self, **kwargs: Any) -> Any:
        """The fetched records as a ``pyarrow.Table``: see :func:`fulfillkit.to_arrow`."""
        from fulfillkit.frames import to_arrow

        return to_arrow(self.fulfillments, **kwargs)

    def to_polars(self, **kwargs: Any) -> Any:
        """The fetched records as a ``polars.DataFrame``: see :func:`fulfillkit.to_polars`."""
        from fulfillkit.frames import to_polars

        return to_polars(self.fulfillments, **kwargs)

    def __repr__(self) -> str:
        summary = self._summary("fulfillments")
        return (
            summary.replace(", errors=", f", written={self.written}, errors=", 1)
            if self.written
            else summary
        )

    def _repr_html_(self) -> str:
        from .display import batch_html

        return batch_html(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        from .display import batch_text

        p.text(repr(self) if cycle else batch_text(self))


@dataclass(slots=True, kw_only=True)
class OrdersResult(_Outcome):
    """The outcome of :meth:`Client.get_orders`: ``orders`` (first-seen order), ``errors``.

    Example:
        >>> OrdersResult(orders=[Order(id="o1")], errors=[]).ok
        True
    """

    orders: list[Order]

    def _count(self) -> int:
        return len(self.orders)

    def __iter__(self) -> Iterator[Order]:
        return iter(self.orders)

    def __repr__(self) -> str:
        return self._summary("orders")


@dataclass(slots=True)
class BatchState(Generic[R]):
    """The mutable progress of one batch; a partial result can be read at any time, which
    is what an interrupted batch hands back.

    With ``keep_records=False`` (a batch streaming to a sink) a fetched record is handed to
    ``on_result`` and only its id is kept (in :attr:`written`): memory does not grow with
    the records.
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
        """Account for one fetched record: keep it (and hand it to ``on_result``), or, with
        ``keep_records=False``, hand it to ``on_result`` and keep only its id (once the
        callback has returned, so a failed write leaves the id pending)."""
        if self.keep_records:
            self.results[record_id] = record
            if on_result is not None:
                on_result(record_id, record)
            return
        if on_result is not None:
            on_result(record_id, record)
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


async def run_batch(
    state: BatchState[R],
    fetch: Callable[[str], Awaitable[R]],
    *,
    concurrency: int,
    progress: bool | None,
    desc: str = "fulfillments",
    on_result: Callable[[str, R], None] | None = None,
    rate_cap: Callable[[], float | None] | None = None,
) -> None:
    """Fetch every id of ``state`` not yet in it, ``concurrency`` at a time.

    Raises :class:`AuthenticationError` (after cancelling the other workers) when the
    credentials are refused; every other failure becomes a :class:`FetchError`.
    ``on_result(id, record)`` is called for each record as it arrives (the checkpoint, a
    sink); see :meth:`BatchState.add`.
    """
    todo = [i for i in state.ids if not state.done(i) and i not in state.errors]
    ids = iter(todo)
    bar = progress_bar(
        total=len(state.ids),
        initial=len(state.ids) - len(todo),
        progress=progress,
        desc=desc,
        rate_cap=rate_cap,
    )
    failures = len(state.errors)

    async def worker() -> None:
        nonlocal failures
        for record_id in ids:  # one shared iterator: each id is taken by one worker
            try:
                record = await fetch(record_id)
            except FetchFailed as exc:
                state.errors[record_id] = FetchError.from_exception(record_id, exc)
                failures += 1
                bar.set_postfix(errors=failures, refresh=False)
                if isinstance(exc, AuthenticationError):
                    raise
            else:
                state.add(record_id, record, on_result)
            bar.update(1)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(concurrency, len(todo))):
                group.create_task(worker())
    except* AuthenticationError as group_error:
        first = group_error.exceptions[0]
        raise first from None
    finally:
        bar.close()


class LoopThread:
    """An event loop running in a daemon thread, for the synchronous client.

    ``run(coro)`` blocks the caller until the coroutine finishes on that loop. It works
    whether or not the calling thread has a running loop (a Jupyter cell does). A
    ``KeyboardInterrupt`` in the caller cancels the coroutine (and so its in-flight
    requests), waits up to ``cancel_timeout`` seconds for it to unwind, and re-raises.
    """

    def __init__(self, name: str = "fulfillkit-loop") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def main() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=main, name=self._name, daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def run(self, coro: Coroutine[Any, Any, T], *, cancel_timeout: float = 1.0) -> T:
        """Run ``coro`` on the loop thread and return its result (or raise its error)."""
        loop = self._start()
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("LoopThread.run called from its own loop thread")
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            while True:  # short waits: the main thread notices Ctrl-C promptly everywhere
                try:
                    return future.result(timeout=0.1)
                except concurrent.futures.TimeoutError:
                    if future.done():  # the coroutine's own TimeoutError, not our wait's
                        raise
        except KeyboardInterrupt:
            future.cancel()
            try:
                future.result(timeout=cancel_timeout)
            except (concurrent.futures.CancelledError, concurrent.futures.TimeoutError):
                pass
            except Exception:  # noqa: S110 - the interrupt is what the caller must see
                pass
            raise

    def close(self) -> None:
        """Stop the loop and join the thread. Idempotent."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        if not thread.is_alive():
            loop.close()
