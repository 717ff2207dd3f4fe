"""The explorer: fetch, browse, report on and export fulfillments from one Jupyter widget.

``fk.explorer(client)`` returns an :class:`Explorer`, an ``ipywidgets.VBox`` built once in
its ``__init__``:

1. ids: paste them (one per line, or separated by commas or spaces) or upload a ``.txt`` /
   ``.csv`` file (a CSV's ``id`` column, else its first column); tick ``remote_data``;
   press **Fetch**.
2. a progress bar with done / total, errors and rate, updated live. The fetch runs in a
   worker thread (the synchronous :class:`~fulfillkit.Client` is safe to call from one), so
   the kernel stays free to deliver widget events: **Stop** ends a long fetch after the
   current chunk, keeping what was fetched.
3. a carrier filter (canonical names, with counts), the table of the selection, 50 rows a
   page with previous / next buttons (never 20,000 rows of HTML), the errors, the carrier
   report and its chart, in tabs.
4. **Export CSV** / **Export Parquet** write the current selection with
   :func:`fulfillkit.export` into a folder you choose and show the file's full path.

With no client it offers the embedded sandbox (no credentials, no network) and fills in
its ids, plus two that do not exist so that the error table has something to show.

Output of the callbacks (messages, tracebacks) goes to the widget's own log (``.output``),
not to the kernel's log where nobody sees it. Every value that came from the API is
escaped before it becomes HTML.

For tests and scripts, the buttons work from Python::

    explorer.ids_text.value = "\\n".join(ids)
    explorer.fetch_button.click()
    explorer.wait()                       # join the worker thread
    explorer.frame, explorer.batch        # what was fetched
    explorer.csv_button.click()           # explorer.last_export is the file
"""

from __future__ import annotations

import contextlib
import csv
import html
import io
import math
import os
import re
import threading
import time
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import ipywidgets as w

from fulfillkit.errors import FulfillkitError
from fulfillkit.fetch.protocol import parse_ids
from fulfillkit.fetch.results import BatchResult
from fulfillkit.notebook.html import bad as _bad  # _status(bad=...) would shadow the name
from fulfillkit.notebook.html import frame_html

if TYPE_CHECKING:
    import pandas as pd

    from fulfillkit.client import Client
    from fulfillkit.reports import CarrierChoice

__all__ = ["PAGE_SIZE", "Explorer", "explorer", "parse_ids"]

PAGE_SIZE: Final = 50
"""Rows of the table shown at once."""

ALL_CARRIERS: Final = "__all__"
"""The carrier filter's value for "no filter"."""

TABLE_COLUMNS: Final = (
    "id",
    "order_id",
    "carrier",
    "tracking_index",
    "tracking_number",
    "tracking_url",
    "tracking_url_derived",
    "created_at",
    "modified_at",
)
"""Columns shown in the table unless "all columns" is ticked."""

_MAX_ERROR_ROWS: Final = 200
_SANDBOX_SIZE: Final = 500
_MISSING_SANDBOX_IDS: Final = (
    "00000000-0000-4000-8000-000000000000",
    "not-a-uuid",
)
_CSS: Final = """<style>
.fk-explorer .fk-table-wrap{max-height:560px;overflow:auto;border:1px solid #ddd}
.fk-explorer table.fk-table{border-collapse:collapse;font-size:12px;white-space:nowrap}
.fk-explorer table.fk-table th,.fk-explorer table.fk-table td{padding:2px 8px;
 border-bottom:1px solid #eee;text-align:left}
.fk-explorer table.fk-table thead th{position:sticky;top:0;background:#f5f5f5}
.fk-explorer table.fk-table tbody tr:nth-child(even){background:#fafafa}
.fk-explorer .fk-muted{color:#666}
.fk-explorer .fk-bad{color:#b00020}
</style>"""


def explorer(
    client: Client | None = None,
    *,
    export_dir: str | os.PathLike[str] = "fulfillkit-exports",
    page_size: int = PAGE_SIZE,
    carrier: CarrierChoice = "effective",
) -> Explorer:
    """An interactive fulfillment explorer (an ipywidgets widget) for a Jupyter notebook.

    Paste or upload ids, press Fetch, watch the progress, filter by carrier, page through
    the table, read the errors and the carrier report and chart, and export the selection
    to CSV or Parquet under ``export_dir``. Without a ``client`` it uses the embedded
    sandbox, with its ids filled in. ``carrier`` picks the stated, detected or effective
    carrier (default) for the filter, the report and the chart (see
    :func:`~fulfillkit.carrier_report`); the filter's label says which.

    Example:
        >>> ex = explorer()                       # the sandbox, ids filled in
        >>> ex.fetch_button.click(); ex.wait()
        >>> ex.batch is not None and len(ex.batch.errors)
        2
        >>> ex.close()
    """
    return Explorer(client, export_dir=export_dir, page_size=page_size, carrier=carrier)


def ids_from_file(name: str, content: bytes) -> list[str]:
    """Ids from an uploaded file: a CSV's ``id`` column (else its first column), or any
    other text parsed like pasted text.

    Example:
        >>> ids_from_file("ids.csv", b"order,id\\no1,a\\no2,b\\n")
        ['a', 'b']
    """
    text = content.decode("utf-8-sig", errors="replace")
    if not name.lower().endswith(".csv"):
        return parse_ids(text)
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    if "id" in header:
        column, body = header.index("id"), rows[1:]
    else:
        column, body = 0, rows
    return parse_ids("\n".join(row[column] for row in body if len(row) > column))


class Explorer(w.VBox):  # type: ignore[misc]
    """The explorer widget; see the module docstring. Build it with :func:`explorer`.

    Public children, for tests and scripts: ``ids_text``, ``upload``, ``remote_data``,
    ``fetch_button``, ``stop_button``, ``progress``, ``progress_label``, ``carrier_filter``,
    ``all_columns``, ``prev_button``, ``next_button``, ``page_label``, ``table``,
    ``errors_table``, ``report``, ``chart``, ``export_dir``, ``csv_button``,
    ``parquet_button``, ``export_label``, ``output`` (the log), ``tabs``.

    State after a fetch: ``batch`` (:class:`~fulfillkit.BatchResult`), ``frame`` (its
    :func:`~fulfillkit.to_frame`), ``selection`` (the frame under the carrier filter),
    ``page`` and ``last_export``.
    """

    def __init__(
        self,
        client: Client | None = None,
        *,
        export_dir: str | os.PathLike[str] = "fulfillkit-exports",
        page_size: int = PAGE_SIZE,
        carrier: CarrierChoice = "effective",
    ) -> None:
        from fulfillkit.reports.carriers import check_carrier_choice

        self.carrier = check_carrier_choice(carrier)
        self._client = client
        self._owns_client = client is None
        self.page_size = max(1, int(page_size))
        self.batch: BatchResult | None = None
        self.frame: pd.DataFrame | None = None
        self.selection: pd.DataFrame | None = None
        self.page = 0
        self.last_export: Path | None = None
        self._carriers: pd.Series[Any] | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._last_paint = 0.0

        super().__init__(
            [
                w.HTML(_CSS),
                *self._build_input(),
                self._build_progress(),
                self._build_tabs(),
                *self._build_export(export_dir),
            ],
            layout=w.Layout(width="100%"),
        )
        self.add_class("fk-explorer")
        self._connect()
        if self._owns_client:
            self._use_sandbox()
        self._set_title()

    # -- building (once, from __init__) -----------------------------------------------------

    def _build_input(self) -> list[w.Widget]:
        """The title, the ids (pasted or uploaded) and the Fetch / Stop buttons."""
        button = w.Layout(width="auto")
        self.title = w.HTML()
        self.ids_text = w.Textarea(
            placeholder="Paste fulfillment ids: one per line, or separated by commas or spaces",
            layout=w.Layout(width="100%", height="110px"),
        )
        self.ids_count = w.HTML()
        self.upload = w.FileUpload(
            accept=".txt,.csv,.tsv,.ids", multiple=False, description="Upload ids"
        )
        self.remote_data = w.Checkbox(value=False, description="remote_data", indent=False)
        self.fetch_button = w.Button(
            description="Fetch", button_style="primary", icon="download", layout=button
        )
        self.stop_button = w.Button(
            description="Stop", icon="stop", disabled=True, layout=button, button_style=""
        )
        self.sandbox_button = w.Button(
            description="Sandbox ids",
            icon="flask",
            tooltip="Fill in the sandbox's ids (and two unknown ones)",
            layout=w.Layout(width="auto", display="" if self._owns_client else "none"),
        )
        buttons = [self.upload, self.sandbox_button, self.remote_data]
        buttons += [self.fetch_button, self.stop_button, self.ids_count]
        wrap = w.Layout(align_items="center", flex_flow="row wrap")
        return [self.title, self.ids_text, w.HBox(buttons, layout=wrap)]

    def _build_progress(self) -> w.HBox:
        """The progress bar and its done / total, errors and rate."""
        self.progress = w.IntProgress(
            value=0, min=0, max=1, description="", bar_style="", layout=w.Layout(width="40%")
        )
        self.progress_label = w.HTML("<span class='fk-muted'>Nothing fetched yet.</span>")
        return w.HBox([self.progress, self.progress_label], layout=w.Layout(align_items="center"))

    def _build_tabs(self) -> w.Tab:
        """The tabs: the table with its filter and pager, the errors, the report, the chart
        and the log."""
        self.carrier_filter = w.Dropdown(
            options=[("All carriers", ALL_CARRIERS)],
            value=ALL_CARRIERS,
            description="Carrier",
            tooltip=f"Grouped by {self.carrier} carrier",
            disabled=True,
            layout=w.Layout(width="320px"),
        )
        self.all_columns = w.Checkbox(value=False, description="all columns", indent=False)
        pager = w.Layout(width="84px")
        self.prev_button = w.Button(description="◀ Prev", disabled=True, layout=pager)
        self.next_button = w.Button(description="Next ▶", disabled=True, layout=pager)
        self.page_label = w.HTML(layout=w.Layout(min_width="240px"))
        self.table = w.HTML("<span class='fk-muted'>Fetch some ids to see them here.</span>")
        self.errors_table = w.HTML("<span class='fk-muted'>No errors.</span>")
        self.report = w.HTML("<span class='fk-muted'>No data yet.</span>")
        self.chart = w.Image(format="png", layout=w.Layout(max_width="100%", width="auto"))
        self.output = w.Output(layout=w.Layout(max_height="200px", overflow="auto"))
        controls = [self.carrier_filter, self.all_columns, self.prev_button, self.page_label]
        toolbar = w.HBox([*controls, self.next_button], layout=w.Layout(align_items="center"))
        self.tabs = w.Tab(
            children=[
                w.VBox([toolbar, self.table]),
                self.errors_table,
                self.report,
                self.chart,
                self.output,
            ]
        )
        self.tabs.titles = ("Fulfillments", "Errors", "Carrier report", "Chart", "Log")
        return self.tabs

    def _build_export(self, export_dir: str | os.PathLike[str]) -> list[w.Widget]:
        """The export folder, the CSV / Parquet buttons and what they wrote."""
        button = w.Layout(width="auto")
        self.export_dir = w.Text(
            value=str(export_dir), description="Folder", layout=w.Layout(width="360px")
        )
        self.csv_button = w.Button(
            description="Export CSV", icon="file-text", disabled=True, layout=button
        )
        self.parquet_button = w.Button(
            description="Export Parquet", icon="file", disabled=True, layout=button
        )
        self.export_label = w.HTML()
        wrap = w.Layout(align_items="center", flex_flow="row wrap")
        buttons = w.HBox([self.export_dir, self.csv_button, self.parquet_button], layout=wrap)
        return [buttons, self.export_label]

    def _connect(self) -> None:
        """Wire the callbacks."""
        self.ids_text.observe(self._on_ids_changed, names="value")
        self.upload.observe(self._on_upload, names="value")
        self.carrier_filter.observe(self._on_filter, names="value")
        self.all_columns.observe(self._on_filter, names="value")
        self.fetch_button.on_click(self._on_fetch)
        self.stop_button.on_click(self._on_stop)
        self.sandbox_button.on_click(self._on_sandbox_ids)
        self.prev_button.on_click(self._on_prev)
        self.next_button.on_click(self._on_next)
        self.csv_button.on_click(lambda _: self._on_export(".csv"))
        self.parquet_button.on_click(lambda _: self._on_export(".parquet"))

    # -- public ----------------------------------------------------------------------------

    @property
    def client(self) -> Client | None:
        """The client fetches go through (the sandbox's when none was given)."""
        return self._client

    @property
    def running(self) -> bool:
        """True while a fetch is in progress."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = 60.0) -> None:
        """Block until the current fetch (if any) has finished and the widget is updated.

        Raises :class:`TimeoutError` if it is still running after ``timeout`` seconds.
        """
        thread = self._thread
        if thread is None:
            return
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"the fetch is still running after {timeout} s")

    def __repr__(self) -> str:
        fetched = "nothing fetched" if self.batch is None else repr(self.batch)
        return f"Explorer({self.title.value.rsplit('Source: ', 1)[-1]}; {fetched})"

    def close(self) -> None:
        """Stop a running fetch, close a sandbox client this widget made, close widgets."""
        self._stop.set()
        with contextlib.suppress(TimeoutError):
            self.wait(10)
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None
        for child in self._descendants():
            child.close()
        super().close()

    # -- callbacks (kernel thread) -----------------------------------------------------------

    def _on_ids_changed(self, change: dict[str, Any]) -> None:
        n = len(parse_ids(str(change["new"])))
        self.ids_count.value = f"<span class='fk-muted'>{n:,} distinct ids</span>" if n else ""

    def _on_upload(self, change: dict[str, Any]) -> None:
        with self._logged():
            files = change["new"]
            if not files:
                return
            upload = files[0]
            name = str(upload.get("name", "ids.txt"))
            ids = ids_from_file(name, bytes(upload["content"]))
            self.ids_text.value = "\n".join(ids)
            self._status(f"Loaded {len(ids):,} ids from {html.escape(name)}.")

    def _on_sandbox_ids(self, _: Any) -> None:
        with self._logged():
            self._use_sandbox()

    def _on_fetch(self, _: Any) -> None:
        with self._logged():
            if self.running:
                return
            ids = parse_ids(self.ids_text.value)
            if not ids:
                self._status("Paste or upload some ids first.", bad=True)
                return
            client = self._client
            if client is None:
                self._use_sandbox()
                client = self._client
            assert client is not None
            self._stop.clear()
            self.fetch_button.disabled = True
            self.stop_button.disabled = False
            for b in (self.csv_button, self.parquet_button):
                b.disabled = True
            self.progress.max = len(ids)
            self.progress.value = 0
            self.progress.bar_style = "info"
            self._status(f"Fetching {len(ids):,} ids…")
            self._thread = threading.Thread(
                target=self._fetch,
                args=(client, ids, bool(self.remote_data.value)),
                name="fulfillkit-explorer",
                daemon=True,
            )
            self._thread.start()

    def _on_stop(self, _: Any) -> None:
        self._stop.set()
        self.stop_button.disabled = True
        self._status("Stopping after the requests in flight…")

    def _on_filter(self, _: Any) -> None:
        with self._logged():
            self._apply_filter()

    def _on_prev(self, _: Any) -> None:
        with self._logged():
            self._show_page(self.page - 1)

    def _on_next(self, _: Any) -> None:
        with self._logged():
            self._show_page(self.page + 1)

    def _on_export(self, suffix: str) -> None:
        with self._logged():
            from fulfillkit.frames import export
            from fulfillkit.paths import output_path

            if self.selection is None:
                self._export_status("Nothing to export yet: fetch first.", bad=True)
                return
            # The one output-path rule: the folder is made, or a clear OutputPathError.
            folder = output_path(self.export_dir.value or ".", what="export folder", folder=True)
            carrier = self.carrier_filter.value
            label = "all" if carrier == ALL_CARRIERS else _slug(str(carrier))
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            target = folder / f"fulfillments-{label}-{stamp}{suffix}"
            n = 1
            while target.exists():
                n += 1
                target = folder / f"fulfillments-{label}-{stamp}-{n}{suffix}"
            path = export(self.selection, target).resolve()
            self.last_export = path
            self._export_status(
                f"Wrote {len(self.selection):,} rows to <code>{html.escape(str(path))}</code>"
            )
            print(f"exported {len(self.selection)} rows to {path}")

    # -- the fetch (worker thread) ----------------------------------------------------------

    def _fetch(self, client: Client, ids: list[str], remote_data: bool) -> None:
        """One ``get_many`` call (the batch engine): its progress callback paints the bar,
        the Stop button's event stops it (ids not started stay pending)."""
        started = time.monotonic()
        failure: BaseException | None = None

        def on_progress(done: int, total: int, failed: int) -> None:
            self._paint_progress(done, total, failed, started)

        try:
            result = client.get_many(
                ids,
                remote_data=remote_data,
                progress=False,
                on_progress=on_progress,
                stop=self._stop,
            )
        except FulfillkitError as exc:  # shown in the widget; the kernel log would hide it
            failure = exc
            partial = exc.partial
            result = (
                partial
                if isinstance(partial, BatchResult)
                else BatchResult(fulfillments=[], errors=[], pending=list(ids))
            )
        self._paint_progress(
            result.requested - len(result.pending),
            len(ids),
            len(result.errors),
            started,
            force=True,
        )
        try:
            self._show_result(result, remote_data, time.monotonic() - started, failure)
        except Exception:
            self.output.append_stdout(traceback.format_exc())
            self._status("Could not show the result: see the Log tab.", bad=True)
        finally:
            self.fetch_button.disabled = False
            self.stop_button.disabled = True

    def _paint_progress(
        self, done: int, total: int, errors: int, started: float, *, force: bool = False
    ) -> None:
        now = time.monotonic()
        if not force and now - self._last_paint < 0.1:
            return
        self._last_paint = now
        self.progress.value = done
        elapsed = max(now - started, 1e-9)
        err = f"<span class='fk-bad'>{errors:,} errors</span>" if errors else "0 errors"
        self.progress_label.value = (
            f"{done:,} / {total:,} done, {err}, {done / elapsed:,.0f}/s, {elapsed:.1f} s"
        )

    def _show_result(
        self,
        result: BatchResult,
        remote_data: bool,
        elapsed: float,
        failure: BaseException | None,
    ) -> None:
        from fulfillkit.frames import first_rows, to_frame
        from fulfillkit.reports import fulfillment_labels

        self.batch = result
        self.frame = to_frame(result.fulfillments, remote_data=remote_data)
        self._carriers = fulfillment_labels(self.frame, self.carrier)
        counts = self._carriers[first_rows(self.frame)].value_counts()
        options = [(f"All carriers ({len(result.fulfillments):,})", ALL_CARRIERS)]
        options += [(f"{name} ({n:,})", str(name)) for name, n in counts.items()]
        self.carrier_filter.unobserve(self._on_filter, names="value")
        self.carrier_filter.options = options
        self.carrier_filter.value = ALL_CARRIERS
        self.carrier_filter.observe(self._on_filter, names="value")
        self.carrier_filter.disabled = False
        self._apply_filter()
        self._show_errors(result)
        self._show_report()

        total = result.requested
        self.progress.max = max(total, 1)
        self.progress.value = len(result.fulfillments) + len(result.errors)
        self.progress.bar_style = "success" if result.ok else "warning"
        summary = (
            f"{len(result.fulfillments):,} fetched, "
            f"{_bad(f'{len(result.errors):,} failed') if result.errors else '0 failed'}"
        )
        if result.pending:
            summary += f", {len(result.pending):,} not fetched (stopped)"
        summary += f" of {total:,} ids in {elapsed:.1f} s"
        if failure is not None:
            self.progress.bar_style = "danger"
            summary += " — " + _bad(html.escape(f"{type(failure).__name__}: {failure}"))
            self.output.append_stdout("".join(traceback.format_exception(failure)))
        self.progress_label.value = summary
        self.tabs.titles = (
            f"Fulfillments ({len(result.fulfillments):,})",
            f"Errors ({len(result.errors):,})",
            "Carrier report",
            "Chart",
            "Log",
        )

    # -- rendering (either thread) -----------------------------------------------------------

    def _apply_filter(self) -> None:
        if self.frame is None or self._carriers is None:
            return
        carrier = self.carrier_filter.value
        if carrier == ALL_CARRIERS:
            self.selection = self.frame
        else:
            self.selection = self.frame[(self._carriers == carrier).to_numpy(dtype=bool)]
        for b in (self.csv_button, self.parquet_button):
            b.disabled = self.selection is None
        self._show_page(0)

    def _show_page(self, page: int) -> None:
        df = self.selection
        if df is None:
            return
        pages = max(1, math.ceil(len(df) / self.page_size))
        self.page = min(max(0, page), pages - 1)
        start = self.page * self.page_size
        shown = df.iloc[start : start + self.page_size]
        if not self.all_columns.value:
            shown = shown[[c for c in TABLE_COLUMNS if c in shown.columns]]
        if len(df):
            # A dash for every missing value, whatever the dtype (string NA, NaT, <NA>).
            shown = shown.astype(object).where(shown.notna(), "—")
            table = frame_html(shown, max_cols=None, render_links=False)
        else:
            table = "<span class='fk-muted'>No rows.</span>"
        self.table.value = f"<div class='fk-table-wrap'>{table}</div>"
        end = min(start + self.page_size, len(df))
        self.page_label.value = (
            f"rows {start + 1 if len(df) else 0:,}–{end:,} of {len(df):,}"
            f" (page {self.page + 1} of {pages})"
        )
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= pages - 1

    def _show_errors(self, result: BatchResult) -> None:
        if not result.errors:
            self.errors_table.value = "<span class='fk-muted'>No errors.</span>"
            return
        frame = result.errors_frame()
        kinds = ", ".join(
            f"{html.escape(kind)}: {n:,}" for kind, n in result.error_counts().items()
        )
        shown = frame_html(frame.head(_MAX_ERROR_ROWS))
        more = len(frame) - _MAX_ERROR_ROWS
        note = f"<p class='fk-muted'>…and {more:,} more (explorer.batch)</p>" if more > 0 else ""
        self.errors_table.value = (
            f"<p><b>{len(frame):,} errors</b> ({kinds})</p>"
            f"<div class='fk-table-wrap'>{shown}</div>{note}"
        )

    def _show_report(self) -> None:
        from fulfillkit.notebook.display import carrier_report_html
        from fulfillkit.reports import carrier_report, figure_png, plot_carriers

        assert self.frame is not None
        self.report.value = carrier_report_html(carrier_report(self.frame, carrier=self.carrier))
        try:
            chart = plot_carriers(self.frame, carrier=self.carrier)
            self.chart.value = figure_png(chart, dpi=80)
        except ImportError as exc:  # matplotlib is the `plots` extra: the rest still works
            self.report.value += f"<p class='fk-muted'>Chart: {html.escape(str(exc))}</p>"

    # -- helpers -----------------------------------------------------------------------------

    def _use_sandbox(self) -> None:
        if self._client is None:
            from fulfillkit.client import Client

            self._client = Client.sandbox(n=_SANDBOX_SIZE, latency=0.002)
            self._owns_client = True
        ids = [*self._client.sandbox_ids, *_MISSING_SANDBOX_IDS]
        self.ids_text.value = "\n".join(ids)
        self._status(
            f"Sandbox: {len(ids) - len(_MISSING_SANDBOX_IDS):,} fulfillment ids and "
            f"{len(_MISSING_SANDBOX_IDS)} that do not exist are filled in. Press Fetch."
        )

    def _set_title(self) -> None:
        client = self._client
        where = (
            "the embedded sandbox (no credentials, no network)"
            if self._owns_client or client is None or client.sandbox_ids
            else html.escape(client.base_url)
        )
        self.title.value = f"<h3 style='margin:4px 0'>Fulfillment explorer</h3>Source: {where}"

    def _status(self, message: str, *, bad: bool = False) -> None:
        self.progress_label.value = _bad(message) if bad else message

    def _export_status(self, message: str, *, bad: bool = False) -> None:
        self.export_label.value = _bad(message) if bad else message

    @contextlib.contextmanager
    def _logged(self) -> Iterator[None]:
        """Print and traceback of a callback into the widget's log, and a short message
        in the status line, instead of the kernel's log."""
        with self.output:
            try:
                yield
            except FulfillkitError as exc:
                self._status(html.escape(f"{type(exc).__name__}: {exc}"), bad=True)
                self.output.append_stdout(f"{type(exc).__name__}: {exc}\n")
            except Exception as exc:
                self._status(
                    html.escape(f"{type(exc).__name__}: {exc}") + " (details in the Log tab)",
                    bad=True,
                )
                self.output.append_stdout(traceback.format_exc())

    def _descendants(self) -> Iterator[Any]:
        stack: list[Any] = list(self.children)
        while stack:
            child = stack.pop()
            stack.extend(getattr(child, "children", ()))
            yield child


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "carrier"
