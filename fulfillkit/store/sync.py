"""Keeping a store current: list what is new from where the last sync stopped, re-read what
may have changed, commit page by page.

Panora lists by ``created_at`` ascending and its cursor is the base64 of a row's id
(``../shared/reference/PANORA-FACTS.md``, "Order and cursor"), with no filter by date and
no "modified since". So a sync of one resource of one connection does:

1. **Plan** (:func:`plan_refresh`): Panora has no "modified since", so changed records are
   found either by re-reading the *open* ones by id (a fulfillment with no tracking number
   yet, or a Shopify ``shipment_status`` that is not final, created within
   ``refresh_days``) or by rescanning the whole list. ``refresh="auto"`` takes whichever
   costs fewer requests for the numbers at hand; ``"open"``, ``"all"`` and ``"none"``
   force a choice; ``full=True`` is a rescan from the first page.
2. **New records**: list from a cursor that overlaps what the store holds: the newest
   stored row whose ``created_at`` is strictly earlier than the newest stored
   ``created_at``, so the whole last tie group is read again and a row inserted into it
   later is not lost; rows are deduplicated by id. With nothing new that is one request
   (two when the last tie group is longer than a page). If that row is gone upstream
   (500 ``The provided cursor does not exist!``), an earlier stored row is tried, then a
   full scan; each fallback is counted.
3. **Changed records**: the plan's re-reads (by id, least recently seen first) or rescan.

Each page or batch is committed in one transaction (:func:`~fulfillkit.store.writer.commit`),
so a sync killed at any point leaves everything it committed, and the next one resumes
from it. ``max_requests`` caps the requests of the whole sync; the report says what was
left for the next one. Requests are paced by the client (``X-RateLimit-*``), and the
progress bars say when they wait for the window.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, TypeVar

import duckdb

from fulfillkit.errors import (
    ConfigurationError,
    FailedId,
    FetchFailed,
    FulfillkitError,
    UnknownCursorError,
)
from fulfillkit.fetch.engine import Fetcher, error_row
from fulfillkit.fetch.options import BatchOptions
from fulfillkit.fetch.paging import CursorPaginator
from fulfillkit.fetch.resources import FULFILLMENTS, ORDERS, Resource
from fulfillkit.store.database import Database
from fulfillkit.store.identity import Connection, resolve
from fulfillkit.store.report import SyncReport
from fulfillkit.store.schema import ensure
from fulfillkit.store.writer import Counts, Ledger, commit

__all__ = [
    "FINAL_FULFILLMENT_STATUSES",
    "FINAL_SHIPMENT_STATUSES",
    "Refresh",
    "SyncOptions",
    "cursor_for",
    "plan_refresh",
    "sync_client",
]

T = TypeVar("T")
Refresh = Literal["auto", "open", "all", "none"]
FINAL_SHIPMENT_STATUSES: Final = ("delivered", "failure")
"""Shopify ``shipment_status`` values after which a parcel does not move any more."""
FINAL_FULFILLMENT_STATUSES: Final = ("cancelled", "error", "failure")
"""Shopify fulfillment ``status`` values after which nothing will ship."""
REFRESH_BATCH: Final = 100
"""Records re-read by id per committed batch."""
TOUCH_EVERY: Final = 20
"""Pages between two bulk writes of unchanged records' ``last_seen_at``."""


def cursor_for(record_id: str) -> str:
    """Panora's list cursor for a row: the base64 of its id (what ``next_cursor`` is).

    Example:
        >>> cursor_for("801f9ede-c698-4e66-a7fc-48d19eebaa4f")[:12]
        'ODAxZjllZGUt'
    """
    return base64.b64encode(record_id.encode()).decode()


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncOptions:
    """What :meth:`Store.sync <fulfillkit.Store.sync>` was asked for, checked once."""

    orders: bool = True
    refresh: Refresh = "auto"
    refresh_days: float = 30.0
    full: bool = False
    max_requests: int | None = None
    progress: bool | None = None
    page_size: int = 100
    remote_data: bool | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        if self.refresh not in ("auto", "open", "all", "none"):
            raise ConfigurationError(
                f"refresh must be 'auto', 'open', 'all' or 'none', got {self.refresh!r}"
            )
        for name in ("orders", "full"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigurationError(f"{name} must be True or False")
        if self.remote_data is not None and not isinstance(self.remote_data, bool):
            raise ConfigurationError("remote_data must be True, False or None")
        days = self.refresh_days
        if isinstance(days, bool) or not isinstance(days, (int, float)) or not days > 0:
            raise ConfigurationError(f"refresh_days must be a positive number, got {days!r}")
        cap = self.max_requests
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
            raise ConfigurationError(f"max_requests must be an int >= 1 or None, got {cap!r}")
        size = self.page_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigurationError(f"page_size must be an int >= 1, got {size!r}")
        if self.progress is not None and not isinstance(self.progress, bool):
            raise ConfigurationError("progress must be True, False or None")


@dataclass(slots=True)
class _Budget:
    """The requests a sync may still send (``max_requests``), counted at the client."""

    sent: Callable[[], int]
    limit: int | None
    start: int = 0

    def __post_init__(self) -> None:
        self.start = self.sent()

    @property
    def spent(self) -> int:
        return self.sent() - self.start

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.spent)

    @property
    def exhausted(self) -> bool:
        return self.limit is not None and self.spent >= self.limit


@dataclass(slots=True)
class _Run:
    """One sync of one connection: its database connection, identity, and tallies."""

    con: duckdb.DuckDBPyConnection
    core: Fetcher
    options: SyncOptions
    connection: Connection
    sync_id: int
    budget: _Budget
    report: SyncReport
    counts: Counts = field(default_factory=Counts)
    ledgers: dict[str, Ledger] = field(default_factory=dict)
    commits: int = 0

    def ledger(self, resource: Resource[Any, Any]) -> Ledger:
        """What the store holds of ``resource`` (read once per sync)."""
        ledger = self.ledgers.get(resource.name)
        if ledger is None:
            ledger = Ledger.load(self.con, resource.name, self.connection.label)
            self.ledgers[resource.name] = ledger
        return ledger

    def touch(self) -> None:
        """Write the pending ``last_seen_at`` of unchanged records."""
        for ledger in self.ledgers.values():
            ledger.touch(self.con, at=datetime.now(UTC), sync_id=self.sync_id)

    async def db(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking database call off the event loop (bars keep moving)."""
        return await asyncio.to_thread(call, *args, **kwargs)

    def store_now(self, resource: Resource[Any, Any], records: list[Any]) -> None:
        """Commit one page or batch (blocking: a few milliseconds per hundred records)."""
        keyed = [r for r in records if r.id is not None]
        if len(keyed) < len(records):
            self.error(
                FailedId(
                    "(no id)",
                    "invalid_response",
                    200,
                    f"{len(records) - len(keyed)} {resource.name} without an id cannot be stored",
                    1,
                ),
                resource,
            )
        counts = commit(
            self.con,
            self.ledger(resource),
            keyed,
            sync_id=self.sync_id,
            observed_at=datetime.now(UTC),
            remote_data=self.connection.remote_data,
        )
        self.counts.add(counts)
        self.commits += 1
        if self.commits % TOUCH_EVERY == 0:
            self.touch()

    async def store(self, resource: Resource[Any, Any], records: list[Any]) -> None:
        """Commit one page off the event loop (progress bars keep moving meanwhile)."""
        await self.db(self.store_now, resource, records)

    def error(self, row: FailedId, resource: Resource[Any, Any]) -> None:
        self.report.errors.append(row)
        self.con.execute(
            "INSERT INTO fk_sync_errors VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                self.sync_id,
                self.connection.label,
                resource.name,
                row.id,
                row.kind,
                row.status,
                row.message,
                row.attempts,
            ],
        )


def _open_filter(resource: str, remote_data: bool) -> str:
    """SQL for "may still change": no tracking yet, or a parcel still on its way (with
    remote data), and not cancelled; for orders, not yet fulfilled, closed or cancelled."""
    if resource == "orders":
        return (
            "coalesce(v.fulfillment_status, '') <> 'fulfilled' "
            "AND coalesce(v.order_status, '') NOT IN ('closed', 'cancelled')"
        )
    untracked = "coalesce(len(v.tracking_numbers), 0) = 0"
    if not remote_data:
        return untracked
    finals = ", ".join(f"'{s}'" for s in FINAL_SHIPMENT_STATUSES)
    dead = ", ".join(f"'{s}'" for s in FINAL_FULFILLMENT_STATUSES)
    return (
        f"({untracked} OR coalesce(v.shipment_status, '') NOT IN ({finals})) AND "
        f"coalesce(json_extract_string(v.raw_json, '$.remote_data.status'), '') NOT IN ({dead})"
    )


def _open_ids(run: _Run, resource: str) -> list[str]:
    """The open records not seen by this sync yet, least recently seen first. "Recent" is
    measured from the newest stored ``created_at`` of the connection (the shop's own clock:
    immune to a skewed local clock, and a quiet shop's last weeks still count)."""
    rows = run.con.sql(
        f"""WITH cur AS (
  SELECT s.id, s.last_seen_at, s.last_sync_id, v.* EXCLUDE (id)
  FROM fk_{resource}_seen s
  JOIN fk_{resource}_versions v
    ON v.connection = s.connection AND v.id = s.id AND v.version = s.version
  WHERE s.connection = $connection)
SELECT v.id FROM cur v
WHERE v.created_at >= (SELECT max(created_at) FROM cur) - to_seconds(CAST($seconds AS DOUBLE))
  AND v.last_sync_id <> $sync AND {_open_filter(resource, run.connection.remote_data)}
ORDER BY v.last_seen_at, v.id""",
        params={
            "connection": run.connection.label,
            "seconds": run.options.refresh_days * 86_400.0,
            "sync": run.sync_id,
        },
    ).fetchall()
    return [record_id for (record_id,) in rows]


def _stored(run: _Run, resource: str) -> int:
    row = run.con.sql(
        f"SELECT count(*) FROM fk_{resource}_seen WHERE connection = $connection",
        params={"connection": run.connection.label},
    ).fetchall()
    return int(row[0][0]) if row else 0


def _resume_cursors(run: _Run, resource: str) -> list[str | None]:
    """Where to resume listing, best first: the newest stored row strictly older than the
    newest ``created_at`` (so the last tie group is read again), then one a page earlier;
    ``None`` (the first page) last."""
    size = run.options.page_size
    rows = run.con.sql(
        f"""WITH cur AS (
  SELECT v.id, v.created_at FROM fk_{resource}_seen s
  JOIN fk_{resource}_versions v
    ON v.connection = s.connection AND v.id = s.id AND v.version = s.version
  WHERE s.connection = $connection AND v.created_at IS NOT NULL)
SELECT id FROM cur WHERE created_at < (SELECT max(created_at) FROM cur)
ORDER BY created_at DESC, id DESC LIMIT $limit""",
        params={"connection": run.connection.label, "limit": size + 1},
    ).fetchall()
    ids = [record_id for (record_id,) in rows]
    picked = ids[:1] + (ids[size:] if len(ids) > size else [])
    return [*(cursor_for(record_id) for record_id in picked), None]


def plan_refresh(
    refresh: Refresh, *, full: bool, stored: int, open_count: int, page_size: int
) -> tuple[Literal["all", "open", "none"], str]:
    """Which refresh to run, and why (in the report's words).

    ``"all"`` rescans the list (it also finds new records), ``"open"`` lists what is new
    then re-reads the open records by id, ``"none"`` only lists what is new.

    Example:
        >>> plan_refresh("auto", full=False, stored=20_000, open_count=150, page_size=100)[0]
        'open'
        >>> plan_refresh("auto", full=False, stored=2_000, open_count=300, page_size=100)[0]
        'all'
    """
    pages = max(1, math.ceil(stored / page_size))
    if full:
        return "all", f"full rescan ({pages} page(s) of {stored:,} stored)"
    if refresh in ("all", "open", "none"):
        what = {
            "all": f"rescan ({pages} page(s))",
            "open": f"re-read {open_count:,} open by id",
            "none": "new records only",
        }[refresh]
        return refresh, f"refresh={refresh}: {what}"
    if stored == 0:
        return "all", "refresh=auto: first sync, listing everything"
    by_id = 1 + open_count
    if pages <= by_id:
        return "all", (
            f"refresh=auto: rescan of {stored:,} stored in {pages} page(s) is cheaper than "
            f"{by_id} request(s) for new + {open_count:,} open"
        )
    return "open", (
        f"refresh=auto: new + {open_count:,} open by id ({by_id} request(s)) instead of a "
        f"{pages}-page rescan"
    )


async def _list(run: _Run, resource: Resource[Any, Any], starts: list[str | None]) -> bool:
    """List from the first usable start; commit each page. Returns whether the listing
    reached its end (False: capped or failed)."""
    for position, start in enumerate(starts):
        if run.budget.exhausted:
            run.report.left_for_next += 1  # this listing waits for the next sync
            return False
        pages = run.core.listing(
            resource,
            remote_data=run.connection.remote_data,
            page_size=run.options.page_size,
            progress=run.options.progress,
            paginator=CursorPaginator(start),
            raw=True,
        )
        try:
            async for page in pages:
                await run.store(resource, page.records)
                if page.next_cursor is not None and run.budget.exhausted:
                    run.report.left_for_next += 1
                    return False
            return True
        except UnknownCursorError:
            if position == len(starts) - 1:
                raise
            run.report.deleted_cursor_fallbacks += 1
        finally:
            await pages.aclose()
    return True


async def _reread(run: _Run, resource: Resource[Any, Any], ids: list[str]) -> None:
    """Re-read ``ids`` by id (within the budget), committing every REFRESH_BATCH records."""
    remaining = run.budget.remaining
    if remaining is not None and remaining < len(ids):
        run.report.left_for_next += len(ids) - remaining
        ids = ids[:remaining]
    if not ids:
        return
    buffer: list[Any] = []

    def keep(record_id: str, record: Any) -> None:
        buffer.append(record)
        if len(buffer) >= REFRESH_BATCH:
            run.store_now(resource, buffer[:])
            buffer.clear()

    options = BatchOptions(remote_data=run.connection.remote_data, progress=run.options.progress)
    state = run.core.state(resource, ids, options)
    try:
        result = await run.core.batch(state, options, on_result=keep, raw=True)
    finally:
        if buffer:
            await run.store(resource, buffer)
    for row in result.errors:
        run.error(row, resource)


async def _sync_resource(run: _Run, resource: Resource[Any, Any]) -> None:
    stored = await run.db(_stored, run, resource.name)
    wants_open = run.options.refresh in ("auto", "open") and not run.options.full
    open_ids = await run.db(_open_ids, run, resource.name) if wants_open else []
    plan, why = plan_refresh(
        run.options.refresh,
        full=run.options.full,
        stored=stored,
        open_count=len(open_ids),
        page_size=run.options.page_size,
    )
    run.report.plans[resource.name] = why
    try:
        if plan == "all":
            complete = await _list(run, resource, [None])
        else:
            complete = await _list(run, resource, await run.db(_resume_cursors, run, resource.name))
            if plan == "open":  # the listing's overlap re-read some: not again
                await run.db(run.touch)
                await _reread(run, resource, await run.db(_open_ids, run, resource.name))
    except FetchFailed as exc:
        if exc.stops_batch:
            raise
        run.error(error_row(f"listing {resource.name}", exc), resource)
        run.report.outcome = "failed"
        return
    if not complete and run.report.outcome == "complete":
        run.report.outcome = "capped"


def _begin(con: duckdb.DuckDBPyConnection, connection: Connection, options: SyncOptions) -> int:
    """Start a sync's row (outcome ``running``; an earlier ``running`` row is from a sync
    that was killed: it becomes ``interrupted``)."""
    con.execute("UPDATE fk_syncs SET outcome = 'interrupted' WHERE outcome = 'running'")
    row = con.sql("SELECT coalesce(max(sync_id), 0) + 1 FROM fk_syncs").fetchall()
    sync_id = int(row[0][0]) if row else 1
    con.execute(
        "INSERT INTO fk_syncs VALUES (?, ?, ?, NULL, 'running', ?, 0, 0, 0, 0, 0, 0, 0, NULL)",
        [
            sync_id,
            connection.label,
            datetime.now(UTC),
            options.refresh if not options.full else "full",
        ],
    )
    return sync_id


def _finish(run: _Run, message: str | None) -> None:
    report = run.report
    run.con.execute(
        """UPDATE fk_syncs SET ended_at = ?, outcome = ?, requests = ?, new = ?, changed = ?,
unchanged = ?, errors = ?, deleted_cursor_fallbacks = ?, left_for_next = ?, message = ?
WHERE sync_id = ?""",
        [
            report.ended_at,
            report.outcome,
            report.requests,
            report.new,
            report.changed,
            report.unchanged,
            len(report.errors),
            report.deleted_cursor_fallbacks,
            report.left_for_next,
            message,
            run.sync_id,
        ],
    )


def _prepare(
    con: duckdb.DuckDBPyConnection, core: Fetcher, options: SyncOptions
) -> tuple[Connection, int]:
    ensure(con)
    config = core.requester.config
    connection = resolve(
        con,
        base_url=config.base_url,
        token=config.connection_token,
        label=options.label,
        remote_data=options.remote_data,
    )
    return connection, _begin(con, connection, options)


async def sync_client(db: Database, core: Fetcher, options: SyncOptions) -> SyncReport:
    """Sync one client's connection into ``db`` (see the module docstring).

    Raises the fetch error that stops everything (refused credentials, an unreachable
    server, a base URL without Panora's routes) after recording the sync as failed; its
    ``.partial`` is the report so far.
    """
    core.requester.check_open()
    stack = contextlib.ExitStack()
    con = await asyncio.to_thread(stack.enter_context, db.write())
    try:
        connection, sync_id = await asyncio.to_thread(_prepare, con, core, options)
        report = SyncReport(
            connection=connection.label, started_at=datetime.now(UTC), sync_id=sync_id
        )
        run = _Run(
            con,
            core,
            options,
            connection,
            sync_id,
            _Budget(lambda: core.requester.sent, options.max_requests),
            report,
        )
        resources: list[Resource[Any, Any]] = (
            [FULFILLMENTS, ORDERS] if options.orders else [FULFILLMENTS]
        )
        message: str | None = None
        try:
            for resource in resources:
                before = (run.counts.new, run.counts.changed, run.counts.unchanged)
                try:
                    await _sync_resource(run, resource)
                finally:
                    report.by_resource[resource.name] = {
                        "new": run.counts.new - before[0],
                        "changed": run.counts.changed - before[1],
                        "unchanged": run.counts.unchanged - before[2],
                    }
        except asyncio.CancelledError:  # Ctrl-C in the caller, or the client closed
            report.outcome, message = "interrupted", "interrupted"
            raise
        except FulfillkitError as exc:
            report.outcome = "failed"
            message = str(exc)[:500]
            exc.partial = report  # what the sync did before it stopped (its own batch's
            # partial, if any, is inside: the records it committed are in the store)
            if isinstance(exc, FetchFailed):
                run.error(error_row(f"sync {connection.label}", exc), FULFILLMENTS)
            raise
        finally:
            report.new, report.changed, report.unchanged = (
                run.counts.new,
                run.counts.changed,
                run.counts.unchanged,
            )
            report.requests = run.budget.spent
            report.ended_at = datetime.now(UTC)
            with contextlib.suppress(Exception):  # recording must not hide the real error
                await asyncio.to_thread(run.touch)
                await asyncio.to_thread(_finish, run, message)
        return report
    finally:
        await asyncio.to_thread(stack.close)
