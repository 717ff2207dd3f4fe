"""The explorer: fulfillments in a notebook, as an analyst's workbench (one ipywidgets box).

``fk.explorer(data)`` opens on what you hold:

* a client (or nothing: the embedded sandbox, its ids filled in): paste or upload ids,
  tick ``remote_data``, press **Fetch**. The fetch runs in a worker thread, so the
  progress bar moves and **Stop** keeps what was fetched;
* a frame, a :class:`~fulfillkit.BatchResult` or records (the data rule,
  :func:`fulfillkit.frames.frame_of`): shown at once;
* a :class:`~fulfillkit.Store`: its fulfillments (orders joined when stored), plus the
  History tab (one fulfillment's versions) and, with ``client=``, the Sync tab.

Tabs: **Fulfillments** (filters over every row, the grid, exports), **Errors**,
**Carrier report** (stated / detected / effective), **Audit** (findings, severity filter,
rules not run), **Charts**, then **History** and **Sync** for a store, and **Log** (what
the callbacks printed; errors never go to the kernel's log). Every tab shows the
selection the filters keep. Everything shown is in Python too: ``ex.frame``,
``ex.selection``, ``ex.batch``, ``ex.state`` (:class:`~fulfillkit.notebook.state.ExplorerState`),
``ex.last_export``. Every value that came from the API is escaped before it is shown.

For tests and scripts the buttons work from Python::

    ex.ids_text.value = "\\n".join(ids)
    ex.fetch_button.click()
    ex.wait()                      # join the worker thread
    ex.carrier_filter.value = "UPS"
    ex.csv_button.click()          # ex.last_export is the file
"""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING, Any, Final

import ipywidgets as w

from fulfillkit.client import AsyncClient, Client
from fulfillkit.errors import FulfillkitError, InvalidDataError
from fulfillkit.fetch.results import BatchResult
from fulfillkit.notebook.audit_tab import AuditTab
from fulfillkit.notebook.charts_tab import ChartsTab
from fulfillkit.notebook.fetch_panel import FetchPanel
from fulfillkit.notebook.fulfillments_tab import FulfillmentsTab
from fulfillkit.notebook.grid import GRID_CSS, Grid
from fulfillkit.notebook.history_tab import HistoryTab
from fulfillkit.notebook.html import bad
from fulfillkit.notebook.log import Log
from fulfillkit.notebook.report_tab import ReportTab
from fulfillkit.notebook.state import WINDOW_ROWS, ExplorerState
from fulfillkit.notebook.sync_tab import SyncTab
from fulfillkit.notebook.worker import Worker
from fulfillkit.store import Store

if TYPE_CHECKING:
    import os
    import threading
    from collections.abc import Iterator
    from pathlib import Path

    import pandas as pd

    from fulfillkit.reports import CarrierChoice
    from fulfillkit.store import SyncReport

__all__ = ["PAGE_SIZE", "Explorer", "explorer"]

PAGE_SIZE: Final = 50
"""Rows per page of the grids (their page-size menu offers others)."""

_SANDBOX_SIZE: Final = 500
_MISSING_SANDBOX_IDS: Final = ("00000000-0000-4000-8000-000000000000", "not-a-uuid")
_CSS: Final = f"""<style>
.fk-explorer .fk-muted{{color:#666}}
.fk-explorer .fk-bad{{color:#b00020}}
.fk-explorer table.fk-table{{border-collapse:collapse;font-size:12px}}
.fk-explorer table.fk-table th,.fk-explorer table.fk-table td{{padding:2px 8px;
 border-bottom:1px solid #eee;text-align:left}}
{GRID_CSS}</style>"""


def explorer(
    data: object = None,
    *,
    client: Client | None = None,
    export_dir: str | os.PathLike[str] = "fulfillkit-exports",
    page_size: int = PAGE_SIZE,
    carrier: CarrierChoice = "effective",
    window_rows: int = WINDOW_ROWS,
) -> Explorer:
    """An interactive fulfillment explorer (an ipywidgets widget) for a Jupyter notebook.

    ``data`` is a :class:`~fulfillkit.Client` (fetch by id), nothing (the embedded
    sandbox), a :class:`~fulfillkit.Store` (``client=`` adds the Sync tab), or anything the
    data rule takes (a frame, a ``BatchResult``, records). Exports go under
    ``export_dir``; ``page_size`` is the grids' rows per page; ``carrier`` the grouping
    (stated / detected / effective, changeable in the Carrier report tab); ``window_rows``
    the most rows the browser holds at once.

    Raises:
        InvalidDataError: ``data`` is none of those (before any widget is built).

    Example:
        >>> ex = explorer()                       # the sandbox, ids filled in
        >>> ex.fetch_button.click(); ex.wait()
        >>> ex.batch is not None and len(ex.batch.errors)
        2
        >>> ex.close()
    """
    return Explorer(
        data,
        client=client,
        export_dir=export_dir,
        page_size=page_size,
        carrier=carrier,
        window_rows=window_rows,
    )


class Explorer(w.VBox):  # type: ignore[misc]
    """The explorer widget; see the module docstring. Build it with :func:`explorer`.

    Children for tests and scripts: those of :class:`FetchPanel` (``ids_text``,
    ``fetch_button``, ...) when fetching; ``progress`` and ``progress_label`` (the status
    line); ``tabs``; ``fulfillments`` (its ``carrier_filter``, ``status_filter``,
    ``created_from``, ``created_to``, ``find``, ``grid``, ``export_dir``, ``csv_button``,
    ``parquet_button`` and ``export_label`` are also attributes here), ``errors``,
    ``report_tab``, ``audit``, ``charts``, ``history`` and ``sync`` (store), ``output``.
    """

    def __init__(
        self,
        data: object = None,
        *,
        client: Client | None = None,
        export_dir: str | os.PathLike[str] = "fulfillkit-exports",
        page_size: int = PAGE_SIZE,
        carrier: CarrierChoice = "effective",
        window_rows: int = WINDOW_ROWS,
    ) -> None:
        frame, store, client = _source(data, client)
        self.state = ExplorerState(carrier=carrier, window_rows=window_rows)
        self.store: Store | None = store
        self.batch: BatchResult | None = data if isinstance(data, BatchResult) else None
        self._client = client
        self._owns_client = data is None and client is None
        self.logbook = Log()
        self.worker = Worker(self, name="fulfillkit-explorer")
        self._last_paint = 0.0
        self._stale: set[str] = set()
        page = max(1, int(page_size))

        self.title = w.HTML()
        self.fetch: FetchPanel | None = None
        if store is None and (client is not None or self._owns_client):
            self.fetch = FetchPanel(sandbox=self._owns_client)
        self.progress = w.IntProgress(value=0, min=0, max=1, layout=w.Layout(width="30%"))
        self.progress.layout.display = "" if self.fetch is not None else "none"
        self.progress_label = self.logbook.status
        self.output = self.logbook.output
        self.fulfillments = FulfillmentsTab(
            self.state,
            self.logbook,
            self._selection_changed,
            export_dir=str(export_dir),
            page_length=page,
        )
        self.errors = Grid(page_length=page, empty="No errors.")
        self.report_tab = ReportTab(self.state, self.logbook, self._regrouped)
        self.audit = AuditTab(self.state, self.logbook, page_length=page)
        self.charts = ChartsTab(
            self.state, self.logbook, changes=None if store is None else store.status_changes
        )
        self.history = None if store is None else HistoryTab(store, self.logbook, page_length=page)
        self.sync = (
            None
            if store is None
            else SyncTab(store, client, self.logbook, self.worker, self._synced)
        )
        self._aliases()
        self.tabs = w.Tab(children=self._tab_children())
        self._set_titles()
        status = w.HBox([self.progress, self.progress_label], layout=w.Layout(align_items="center"))
        head = [w.HTML(_CSS), self.title, *([self.fetch] if self.fetch else []), status]
        super().__init__([*head, self.tabs], layout=w.Layout(width="100%"))
        self.add_class("fk-explorer")
        self.tabs.observe(self._on_tab, names="selected_index")
        if self.fetch is not None:
            self.fetch.fetch_button.on_click(self._on_fetch)
            self.fetch.stop_button.on_click(self._on_stop)
            self.fetch.sandbox_button.on_click(self._on_sandbox_ids)
            self.fetch.upload.observe(self._on_upload, names="value")
        if self._owns_client:
            self._use_sandbox()
        self._set_title()
        if store is not None:
            self._load_store()
        elif frame is not None:
            errors = self.batch.errors_frame() if self.batch is not None else None
            self._load(frame, errors)
            self.logbook.say(html.escape(self.state.summary_text()))

    # -- public ------------------------------------------------------------------------------

    @property
    def client(self) -> Client | None:
        """The client fetches and syncs go through (the sandbox's when none was given)."""
        return self._client

    @property
    def frame(self) -> pd.DataFrame | None:
        """The frame being explored."""
        return self.state.frame

    @property
    def selection(self) -> pd.DataFrame | None:
        """The rows the filters keep."""
        return self.state.selection

    @property
    def last_export(self) -> Path | None:
        """The last file an export wrote."""
        return self.fulfillments.last_export

    @property
    def running(self) -> bool:
        """True while a fetch or a sync runs."""
        return self.worker.running

    def wait(self, timeout: float | None = 60.0) -> None:
        """Block until the running fetch or sync (if any) has finished and the widget is
        updated. Raises :class:`TimeoutError` if it still runs after ``timeout`` seconds."""
        self.worker.wait(timeout)

    def __repr__(self) -> str:
        shown = "nothing loaded" if self.state.frame is None else self.state.summary_text()
        source = self.title.value.rsplit("Source: ", 1)[-1]
        return f"Explorer({html.unescape(source)}; {shown})"

    def close(self) -> None:
        """Stop a running fetch or sync, close a sandbox client this widget made, close the
        widgets."""
        worker = getattr(self, "worker", None)  # None: __init__ failed (close runs from __del__)
        if worker is not None:
            worker.close(10)
        if getattr(self, "_owns_client", False) and self._client is not None:
            self._client.close()
            self._client = None
        for child in list(self._descendants()):
            child.close()
        if hasattr(self, "logbook"):
            self.logbook.close()
        super().close()

    # -- loading -----------------------------------------------------------------------------

    def _load(self, frame: pd.DataFrame, errors: pd.DataFrame | None) -> None:
        """Explore ``frame``: every tab starts over."""
        self.state.load(frame, errors=errors)
        self.fulfillments.loaded()
        self.charts.loaded()
        if errors is None or errors.empty:
            self.errors.show(_text(_no_errors() if errors is None else errors), note="No errors.")
        else:
            kinds = errors["kind"].value_counts() if "kind" in errors else None
            counts = "" if kinds is None else ", ".join(f"{k}: {n:,}" for k, n in kinds.items())
            self.errors.show(_text(errors), note=f"{len(errors):,} errors ({counts})")
        if self.history is not None:
            self.history.refresh()
        self._selection_changed()
        self._set_titles()

    def _load_store(self) -> None:
        from fulfillkit.frames import join_orders

        store = self.store
        assert store is not None
        frame = store.to_frame()
        errors = None
        if store.connections():
            orders = store.orders_frame()
            if len(orders):
                frame = join_orders(frame, orders)
            errors = store.sql("select * from sync_errors order by sync_id, id")
        self._load(frame, errors)
        self.logbook.say(html.escape(f"{store!r}: {self.state.summary_text()}"))

    def _selection_changed(self) -> None:
        """The filters changed: the report now, the audit and charts when they are seen."""
        self.report_tab.render()
        self._stale = {"audit", "charts"}
        self._render_visible()

    def _regrouped(self) -> None:
        """The carrier grouping changed: new carrier filter labels (the other filters
        stay), every tab again."""
        self.fulfillments.regrouped()
        self._selection_changed()

    # -- the fetch (worker thread) -------------------------------------------------------------

    def _on_fetch(self, _: Any) -> None:
        with self.logbook.logged():
            panel = self.fetch
            assert panel is not None
            if self.running:
                return
            ids = panel.ids()
            if not ids:
                self.logbook.say("Paste or upload some ids first.", failed=True)
                return
            if self._client is None:
                self._use_sandbox()
            client = self._client
            assert client is not None
            remote_data = bool(panel.remote_data.value)
            panel.running(True)
            self.fulfillments.csv_button.disabled = True
            self.fulfillments.parquet_button.disabled = True
            self.progress.max, self.progress.value = len(ids), 0
            self.progress.bar_style = "info"
            self.logbook.say(f"Fetching {len(ids):,} ids…")
            self.worker.start(lambda stop: self._fetch(client, ids, remote_data, stop))

    def _on_stop(self, _: Any) -> None:
        self.worker.stop()
        if self.fetch is not None:
            self.fetch.stop_button.disabled = True
        self.logbook.say("Stopping after the requests in flight…")

    def _fetch(
        self, client: Client, ids: list[str], remote_data: bool, stop: threading.Event
    ) -> None:
        """One ``get_many`` (the batch engine): its progress callback paints the bar, the
        Stop button's event stops it (ids not started stay pending)."""
        started = time.monotonic()
        failure: FulfillkitError | None = None

        def on_progress(done: int, total: int, failed: int) -> None:
            self._paint_progress(done, total, failed, started)

        try:
            result = client.get_many(
                ids, remote_data=remote_data, progress=False, on_progress=on_progress, stop=stop
            )
        except FulfillkitError as exc:  # shown in the widget; the kernel log would hide it
            failure = exc
            partial = exc.partial
            result = (
                partial
                if isinstance(partial, BatchResult)
                else BatchResult(fulfillments=[], errors=[], pending=list(ids))
            )
        try:
            self._fetched(result, remote_data, time.monotonic() - started, failure)
        except Exception as exc:
            self.logbook.failure(exc)
        finally:
            if self.fetch is not None:
                self.fetch.running(False)

    def _paint_progress(
        self, done: int, total: int, errors: int, started: float, *, force: bool = False
    ) -> None:
        now = time.monotonic()
        if not force and now - self._last_paint < 0.1:
            return
        self._last_paint = now
        self.progress.value = done
        elapsed = max(now - started, 1e-9)
        failed = bad(f"{errors:,} errors") if errors else "0 errors"
        rate = f"{done / elapsed:,.0f}/s"
        self.logbook.say(f"{done:,} / {total:,} done, {failed}, {rate}, {elapsed:.1f} s")

    def _fetched(
        self,
        result: BatchResult,
        remote_data: bool,
        elapsed: float,
        failure: FulfillkitError | None,
    ) -> None:
        from fulfillkit.frames import to_frame

        self.batch = result
        self._load(to_frame(result.fulfillments, remote_data=remote_data), result.errors_frame())
        total = result.requested
        self.progress.max = max(total, 1)
        self.progress.value = len(result.fulfillments) + len(result.errors)
        self.progress.bar_style = "success" if result.ok else "warning"
        failed = bad(f"{len(result.errors):,} failed") if result.errors else "0 failed"
        summary = f"{len(result.fulfillments):,} fetched, {failed}"
        if result.pending:
            summary += f", {len(result.pending):,} not fetched (stopped)"
        summary += f" of {total:,} ids in {elapsed:.1f} s"
        if failure is not None:
            self.progress.bar_style = "danger"
            summary += " — " + bad(html.escape(f"{type(failure).__name__}: {failure}"))
            self.logbook.write(f"{type(failure).__name__}: {failure}")
        self.logbook.say(summary)

    def _synced(self, report: SyncReport | None) -> None:
        """After a sync (worker thread): the store again, every tab."""
        try:
            shown = self.tabs.selected_index
            self._load_store()
            self.tabs.selected_index = shown
            if report is not None:
                self.logbook.say(html.escape(report.text().splitlines()[0]))
        except Exception as exc:
            self.logbook.failure(exc)

    # -- callbacks -----------------------------------------------------------------------------

    def _on_tab(self, _: Any) -> None:
        self._render_visible()

    def _on_upload(self, _: Any) -> None:
        if self.fetch is not None and self.fetch.loaded:
            self.logbook.say(self.fetch.loaded)

    def _on_sandbox_ids(self, _: Any) -> None:
        with self.logbook.logged():
            self._use_sandbox()

    def _render_visible(self) -> None:
        index = self.tabs.selected_index if hasattr(self, "tabs") else None
        if index is None or self.state.frame is None:
            return
        child = self.tabs.children[index]
        for name, tab in (("audit", self.audit), ("charts", self.charts)):
            if child is tab and name in self._stale:
                self._stale.discard(name)
                with self.logbook.logged():
                    tab.render()

    # -- helpers -------------------------------------------------------------------------------

    def _tab_children(self) -> list[w.Widget]:
        children: list[w.Widget] = [self.fulfillments, self.errors, self.report_tab]
        children += [self.audit, self.charts]
        children += [tab for tab in (self.history, self.sync) if tab is not None]
        return [*children, self.output]

    def _set_titles(self) -> None:
        if not hasattr(self, "tabs"):
            return
        summary = self.state.summary()
        errors = self.state.errors
        loaded = self.state.frame is not None
        titles = [
            f"Fulfillments ({summary.fulfillments:,})" if loaded else "Fulfillments",
            f"Errors ({0 if errors is None else len(errors):,})",
            "Carrier report",
            "Audit",
            "Charts",
        ]
        titles += ["History"] if self.history is not None else []
        titles += ["Sync"] if self.sync is not None else []
        self.tabs.titles = (*titles, "Log")

    def _aliases(self) -> None:
        """The children tests and scripts reach by name, as attributes of the explorer."""
        for name in ("carrier_filter", "status_filter", "created_from", "created_to", "find"):
            setattr(self, name, getattr(self.fulfillments, name))
        for name in ("all_columns", "grid", "export_dir", "csv_button", "parquet_button"):
            setattr(self, name, getattr(self.fulfillments, name))
        self.export_label = self.fulfillments.export_label
        self.report = self.report_tab.report
        self.chart = self.charts.image
        if self.fetch is not None:
            for name in ("ids_text", "ids_count", "upload", "remote_data", "fetch_button"):
                setattr(self, name, getattr(self.fetch, name))
            self.stop_button = self.fetch.stop_button
            self.sandbox_button = self.fetch.sandbox_button

    def _use_sandbox(self) -> None:
        if self._client is None:
            self._client = Client.sandbox(n=_SANDBOX_SIZE, latency=0.002)
            self._owns_client = True
        assert self.fetch is not None
        ids = [*self._client.sandbox_ids, *_MISSING_SANDBOX_IDS]
        self.fetch.ids_text.value = "\n".join(ids)
        self.logbook.say(
            f"Sandbox: {len(ids) - len(_MISSING_SANDBOX_IDS):,} fulfillment ids and "
            f"{len(_MISSING_SANDBOX_IDS)} that do not exist are filled in. Press Fetch."
        )

    def _set_title(self) -> None:
        client = self._client
        if self.store is not None:
            where = f"the store {html.escape(repr(self.store))}"
        elif self.fetch is None:
            where = "the data given"
        elif self._owns_client or client is None or client.sandbox_ids:
            where = "the embedded sandbox (no credentials, no network)"
        else:
            where = html.escape(client.base_url)
        self.title.value = f"<h3 style='margin:4px 0'>Fulfillment explorer</h3>Source: {where}"

    def _descendants(self) -> Iterator[Any]:
        stack: list[Any] = list(self.children)
        while stack:
            child = stack.pop()
            stack.extend(getattr(child, "children", ()))
            yield child


def _source(data: object, client: object) -> tuple[pd.DataFrame | None, Store | None, Any]:
    """(frame, store, client) from what :func:`explorer` was given; refuses the rest."""
    from fulfillkit.frames import frame_of

    if client is not None and not isinstance(client, Client):
        raise InvalidDataError(
            f"fk.explorer's client= takes a fk.Client, got {type(client).__name__}"
        )
    if isinstance(data, AsyncClient):
        raise InvalidDataError(
            "fk.explorer takes a fk.Client (it runs fetches in a worker thread), not an AsyncClient"
        )
    if isinstance(data, Client):
        if client is not None and client is not data:
            raise InvalidDataError("fk.explorer got two clients: pass one")
        return None, None, data
    if data is None:
        return None, None, client
    if isinstance(data, Store):
        return None, data, client
    return frame_of(data, what="fk.explorer"), None, client


def _no_errors() -> pd.DataFrame:
    """An empty errors frame (the columns of ``BatchResult.errors_frame``)."""
    return BatchResult(fulfillments=[], errors=[]).errors_frame()


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values as empty cells, for a grid."""
    return frame.astype(object).where(frame.notna(), "").reset_index(drop=True)
