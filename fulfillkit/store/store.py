"""``fk.Store``: a connection's fulfillments and orders kept in a local DuckDB file.

Fetch once, then sync only what changed; keep every version; read with zero requests.
See :mod:`fulfillkit.store.sync` for how a sync works and
:mod:`fulfillkit.store.schema` for what the file holds.

Example:
    >>> import fulfillkit as fk
    >>> store = fk.Store(":memory:")
    >>> with fk.Client.sandbox(n=120) as client:
    ...     report = store.sync(client, progress=False)
    >>> report.new > 120, len(store.to_frame()["id"].unique())
    (True, 120)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
import pyarrow as pa

from fulfillkit.client import AsyncClient, Client
from fulfillkit.errors import BatchInterrupted, ConfigurationError, FulfillkitError
from fulfillkit.formatting import CARD_STYLE, escape
from fulfillkit.frames import (
    arrow_from_record_table,
    frame_from_record_table,
    frame_options,
    to_pandas,
)
from fulfillkit.optional import require
from fulfillkit.paths import output_path
from fulfillkit.store.database import MEMORY, Database, check_file
from fulfillkit.store.lake import export_lake
from fulfillkit.store.readers import (
    Filters,
    connection_labels,
    history_table,
    query,
    status_changes_table,
    typed_current,
    with_current,
)
from fulfillkit.store.report import SyncReport
from fulfillkit.store.schema import check
from fulfillkit.store.sync import Refresh, SyncOptions, sync_client

if TYPE_CHECKING:
    from fulfillkit.carriers import CarrierTable

__all__ = ["Store", "status_changes"]

FieldMappings = Literal["columns", "json"]


class Store:
    """A local, queryable memory of one or more Panora connections (a DuckDB file).

    Args:
        path: the store file (created on the first sync, with missing folders);
            ``":memory:"`` for a store that lives as long as this object (tests, demos).
        busy_timeout: seconds to wait while another process writes to the file before
            :class:`~fulfillkit.StoreBusyError`.

    The file is opened per operation and never held between them, so another notebook or
    a cron job can use it too; a file that is not a fulfillkit store is refused (and never
    modified) on first use.
    """

    def __init__(
        self, path: str | os.PathLike[str] = MEMORY, *, busy_timeout: float = 10.0
    ) -> None:
        if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
            raise ConfigurationError(
                f"Store path must be a str or pathlib.Path, got {type(path).__name__}"
            )
        if (
            isinstance(busy_timeout, bool)
            or not isinstance(busy_timeout, (int, float))
            or busy_timeout < 0
        ):
            raise ConfigurationError(f"busy_timeout must be seconds >= 0, got {busy_timeout!r}")
        if os.fspath(path) != MEMORY:
            path = output_path(path, what="store")
            if path.exists():
                check_file(path)
        self._db = Database(path, busy_timeout=float(busy_timeout), check=check)

    @property
    def path(self) -> Path | None:
        """The store file (``None`` in memory)."""
        return self._db.path

    def __repr__(self) -> str:
        return f"Store({MEMORY if self.path is None else str(self.path)!r})"

    # -- syncing ----------------------------------------------------------------------------

    def sync(
        self,
        client: Client | Sequence[Client],
        *,
        orders: bool = True,
        refresh: Refresh = "auto",
        refresh_days: float = 30.0,
        full: bool = False,
        max_requests: int | None = None,
        progress: bool | None = None,
        page_size: int = 100,
        remote_data: bool | None = None,
        label: str | Sequence[str] | None = None,
    ) -> SyncReport:
        """Bring the store up to date with each client's connection; what it did.

        New records are listed from where the last sync stopped (one or two requests when
        nothing is new); changed ones are found by ``refresh``: ``"auto"`` (default)
        re-reads the open fulfillments by id (no tracking number yet, or a shipment still
        on its way, created within ``refresh_days``) or rescans the whole list, whichever
        costs fewer requests; ``"open"``, ``"all"`` and ``"none"`` force a choice;
        ``full=True`` rescans from the first page. Every page or batch is committed as it
        arrives. ``max_requests`` caps the requests; the report says what was left.

        ``remote_data`` (default: what the connection was first stored with, ``True`` for
        a new one) keeps the provider's raw record, whose Shopify ``shipment_status`` the
        open-record rule and :func:`status_changes` need. ``label`` names a new connection
        (one per client for a list).

        Raises the error that stops a sync (refused credentials, an unreachable server)
        after recording it in ``syncs``; its ``.partial`` is the report so far. Ctrl-C
        raises :class:`~fulfillkit.BatchInterrupted` (everything committed stays).

        Example:
            >>> store = Store(":memory:")
            >>> with Client.sandbox(n=50) as client:
            ...     first = store.sync(client, progress=False)
            ...     again = store.sync(client, progress=False)
            >>> (first.new > 0, again.new, again.requests <= 4)
            (True, 0, True)
        """
        clients, labels = _clients(client, label, Client)
        parts: list[SyncReport] = []
        for one, name in zip(clients, labels, strict=True):
            options = _options(
                orders,
                refresh,
                refresh_days,
                full,
                max_requests,
                progress,
                page_size,
                remote_data,
                name,
            )
            try:
                parts.append(one.run(sync_client(self._db, one.core, options)))
            except KeyboardInterrupt:
                raise BatchInterrupted(_so_far(parts)) from None
            except FulfillkitError as exc:
                if exc.partial is None and parts:
                    exc.partial = _so_far(parts)
                raise
        return parts[0] if len(parts) == 1 else SyncReport.combine(parts)

    async def async_sync(
        self,
        client: AsyncClient | Sequence[AsyncClient],
        *,
        orders: bool = True,
        refresh: Refresh = "auto",
        refresh_days: float = 30.0,
        full: bool = False,
        max_requests: int | None = None,
        progress: bool | None = None,
        page_size: int = 100,
        remote_data: bool | None = None,
        label: str | Sequence[str] | None = None,
    ) -> SyncReport:
        """:meth:`sync` for :class:`~fulfillkit.AsyncClient`, awaited on the caller's loop.

        Example:
            >>> async def main(store: Store) -> SyncReport:        # doctest: +SKIP
            ...     async with AsyncClient.sandbox() as client:
            ...         return await store.async_sync(client)
        """
        clients, labels = _clients(client, label, AsyncClient)
        parts = []
        for one, name in zip(clients, labels, strict=True):
            options = _options(
                orders,
                refresh,
                refresh_days,
                full,
                max_requests,
                progress,
                page_size,
                remote_data,
                name,
            )
            parts.append(await sync_client(self._db, one.core, options))
        return parts[0] if len(parts) == 1 else SyncReport.combine(parts)

    # -- reading ----------------------------------------------------------------------------

    def connections(self) -> list[str]:
        """The labels of the connections the store holds (the ``connection`` column)."""
        return connection_labels(self._db)

    def to_arrow(
        self,
        *,
        connection: str | Sequence[str] | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        remote_data: bool | None = None,
        sep: str = ".",
        explode: bool = True,
        carriers: CarrierTable | None = None,
        url_templates: Mapping[str, str] | None = None,
        field_mappings: FieldMappings = "columns",
    ) -> pa.Table:
        """The stored fulfillments as a ``pyarrow.Table``: the columns, types and values of
        :func:`~fulfillkit.to_arrow` of the same records, plus ``connection`` first when
        the store holds several. Zero requests.

        ``connection`` picks one (a label) or several; ``since`` / ``until`` bound
        ``created_at`` (inclusive / exclusive). Rows come by connection, ``created_at`` and
        id. The other options are :func:`~fulfillkit.to_frame`'s (``remote_data``
        defaults to whether the records were stored with it).
        """
        options = frame_options(remote_data, sep, explode, carriers, url_templates, field_mappings)
        return with_current(
            self._db,
            "fulfillments",
            Filters(connection, since, until),
            lambda data, several: arrow_from_record_table(
                data, leading=("connection",) if several else (), **options
            ),
        )

    def to_frame(
        self,
        *,
        connection: str | Sequence[str] | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        remote_data: bool | None = None,
        sep: str = ".",
        explode: bool = True,
        carriers: CarrierTable | None = None,
        url_templates: Mapping[str, str] | None = None,
        field_mappings: FieldMappings = "columns",
    ) -> pd.DataFrame:
        """The stored fulfillments as a DataFrame: the columns, dtypes and values of
        :func:`~fulfillkit.to_frame` of the same records (``connection`` first when the
        store holds several). Options as for :meth:`to_arrow`. Zero requests.

        Example:
            >>> Store(":memory:").to_frame().columns[:3].tolist()
            ['id', 'remote_id', 'order_id']
        """
        options = frame_options(remote_data, sep, explode, carriers, url_templates, field_mappings)
        return with_current(
            self._db,
            "fulfillments",
            Filters(connection, since, until),
            lambda data, several: frame_from_record_table(
                data, leading=("connection",) if several else (), **options
            ),
        )

    def to_polars(
        self,
        *,
        connection: str | Sequence[str] | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        remote_data: bool | None = None,
        sep: str = ".",
        explode: bool = True,
        field_mappings: FieldMappings = "columns",
    ) -> Any:
        """The stored fulfillments as a ``polars.DataFrame`` (extra ``polars``): :meth:`to_arrow`
        handed to Polars without a copy."""
        polars = require("polars", "polars", "Store.to_polars")
        table = self.to_arrow(
            connection=connection,
            since=since,
            until=until,
            remote_data=remote_data,
            sep=sep,
            explode=explode,
            field_mappings=field_mappings,
        )
        return polars.from_arrow(table, rechunk=False)

    def orders_frame(
        self,
        *,
        connection: str | Sequence[str] | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
    ) -> pd.DataFrame:
        """The stored orders as :func:`~fulfillkit.orders_frame` gives them (``connection``
        first when the store holds several); join them with :func:`~fulfillkit.join_orders`."""
        return with_current(
            self._db,
            "orders",
            Filters(connection, since, until),
            lambda data, several: to_pandas(typed_current(data, "orders", several)),
        )

    def sql(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> pd.DataFrame:
        """One read-only SQL query over the store's views (``fulfillments``, ``tracking``,
        ``orders``, ``versions``, ``syncs``, ``sync_errors``), as a DataFrame.

        Example:
            >>> store = Store(":memory:")
            >>> with Client.sandbox(n=30) as client:
            ...     _ = store.sync(client, progress=False)
            >>> store.sql("select count(*) as n from fulfillments")["n"].tolist()
            [30]
        """
        return query(self._db, sql, params)

    def history(self, id: str, *, connection: str | None = None) -> pd.DataFrame:
        """Every version of one fulfillment, oldest first: ``connection``, ``version``,
        ``observed_at``, ``content_hash``, ``sync_id``, then the record's columns as
        ``to_frame(explode=False)`` shows them, and ``raw_json`` last."""
        table = history_table(self._db, id, connection)
        meta = ["connection", "version", "observed_at", "content_hash", "sync_id"]
        frame = frame_from_record_table(
            table.drop_columns(["raw_json"]), leading=tuple(meta), explode=False
        )
        frame["raw_json"] = to_pandas(table.select(["raw_json"]))["raw_json"]
        return frame

    def status_changes(
        self,
        *,
        connection: str | Sequence[str] | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
    ) -> pd.DataFrame:
        """One row per observed change of Shopify's ``shipment_status``: ``connection``,
        ``id``, ``carrier``, ``from_status`` (null for a record's first observation),
        ``to_status``, ``changed_at`` (Panora's ``modified_at`` of that version: when the
        change was recorded upstream), ``observed_at`` (when a sync saw it), ``version``.
        Ready for time-in-status analysis: sort by id and ``changed_at``, diff."""
        return to_pandas(status_changes_table(self._db, Filters(connection, since, until)))

    def syncs(self) -> pd.DataFrame:
        """The sync log (the ``syncs`` view), newest last."""
        return self.sql("select * from syncs order by sync_id")

    def export(self, folder: str | os.PathLike[str]) -> Path:
        """The stored fulfillments as a Parquet dataset partitioned by connection and month
        of ``created_at`` (``connection=<label>/month=YYYY-MM/part-*.parquet``), readable by
        ``dask.dataframe.read_parquet``, DuckDB, Polars and Spark. The folder is replaced
        whole (written beside it, then swapped in); returns it."""
        target = output_path(folder, what="store export", folder=True)
        tables = (
            (label, self.to_arrow(connection=label, field_mappings="json"))
            for label in self.connections()
        )
        return export_lake(tables, target)

    def _repr_html_(self) -> str:
        labels = self.connections()
        if not labels:
            return (
                f"<div class='fk-card'>{CARD_STYLE}<b>Store</b> {escape(repr(self))}: empty</div>"
            )
        counts = self.sql(
            "select connection, count(*) as fulfillments, max(last_seen_at) as last_seen "
            "from fulfillments group by connection order by connection"
        )
        rows = "".join(
            f"<tr><td>{escape(str(r.connection))}</td><td class='fk-num'>{r.fulfillments:,}</td>"
            f"<td>{escape(str(r.last_seen))}</td></tr>"
            for r in counts.itertuples()
        )
        return (
            f"<div class='fk-card'>{CARD_STYLE}<b>Store</b> {escape(repr(self))}<table>"
            "<tr><th>connection</th><th>fulfillments</th><th>last seen</th></tr>"
            f"{rows}</table></div>"
        )


def status_changes(
    store: Store,
    *,
    connection: str | Sequence[str] | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
) -> pd.DataFrame:
    """One row per observed change of ``shipment_status`` in ``store``: see
    :meth:`Store.status_changes`."""
    if not isinstance(store, Store):
        raise ConfigurationError(f"status_changes takes a fk.Store, got {type(store).__name__}")
    return store.status_changes(connection=connection, since=since, until=until)


def _clients(client: Any, label: Any, kind: type) -> tuple[list[Any], list[str | None]]:
    clients = [client] if isinstance(client, (Client, AsyncClient)) else client
    if isinstance(clients, (str, bytes)) or not isinstance(clients, Iterable):
        raise ConfigurationError(
            f"sync takes a {kind.__name__} or a list of them, got {type(client).__name__}"
        )
    clients = list(clients)
    if not clients:
        raise ConfigurationError("sync needs at least one client")
    for one in clients:
        if not isinstance(one, kind):
            hint = (
                " (use `await store.async_sync(client)` for an AsyncClient)"
                if isinstance(one, AsyncClient)
                else ""
            )
            raise ConfigurationError(
                f"sync takes {kind.__name__} objects, got {type(one).__name__}{hint}"
            )
    if label is None or isinstance(label, str):
        labels: list[str | None] = [label] * len(clients)
        if isinstance(label, str) and len(clients) > 1:
            raise ConfigurationError("give one label per client: label=['EU', 'US']")
    else:
        labels = list(label)
        if len(labels) != len(clients):
            raise ConfigurationError(f"{len(labels)} labels for {len(clients)} clients")
    return clients, labels


def _options(
    orders: bool,
    refresh: Refresh,
    refresh_days: float,
    full: bool,
    max_requests: int | None,
    progress: bool | None,
    page_size: int,
    remote_data: bool | None,
    label: str | None,
) -> SyncOptions:
    return SyncOptions(
        orders=orders,
        refresh=refresh,
        refresh_days=refresh_days,
        full=full,
        max_requests=max_requests,
        progress=progress,
        page_size=page_size,
        remote_data=remote_data,
        label=label,
    )


def _so_far(parts: list[SyncReport]) -> SyncReport:
    return SyncReport.combine(parts) if parts else SyncReport(outcome="failed")
