"""The explorer's Fulfillments tab: the filters, the grid of the selection, the exports.

The filters (carrier under the explorer's grouping, ``shipment_status``, a ``created_at``
date range, a text to find in ids and tracking numbers) cover every row of the frame: they
set :class:`~fulfillkit.notebook.state.ExplorerState`'s filters, and every tab shows the
selection they keep. The grid holds the selection, or a window of it when it is larger
than the browser should hold (◀ / ▶ move the window; the note above the grid says which
rows these are); the grid's own sort, search, conditions and column chooser work on what
it holds. **Export CSV** / **Export Parquet** write the whole selection with
:func:`fulfillkit.export` into the folder given, under a name that says what it holds
(:meth:`~fulfillkit.notebook.state.ExplorerState.export_name`).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import ipywidgets as w

from fulfillkit.notebook.grid import Grid
from fulfillkit.notebook.html import bad
from fulfillkit.notebook.log import Log
from fulfillkit.notebook.state import ExplorerState

__all__ = ["ALL", "FulfillmentsTab"]

ALL: Final = "__all__"
"""The dropdowns' value for "no filter"."""


class FulfillmentsTab(w.VBox):  # type: ignore[misc]
    """Filters, window pager, grid and exports over ``state``; ``changed()`` is called after
    the selection changed (the explorer refreshes the other tabs).

    Children for tests and scripts: ``carrier_filter``, ``status_filter``,
    ``created_from``, ``created_to``, ``find``, ``all_columns``, ``clear_button``,
    ``prev_button``, ``next_button``, ``summary``, ``grid``, ``export_dir``,
    ``csv_button``, ``parquet_button``, ``export_label``; ``last_export`` is the last file.
    """

    def __init__(
        self,
        state: ExplorerState,
        log: Log,
        changed: Callable[[], None],
        *,
        export_dir: str,
        page_length: int,
    ) -> None:
        self.state, self.logbook, self.changed = state, log, changed
        self.last_export: Path | None = None
        self._quiet = False
        pick = w.Layout(width="270px")
        wide = {"description_width": "initial"}
        self.carrier_filter = w.Dropdown(
            options=[("All carriers", ALL)],
            value=ALL,
            description="Carrier",
            layout=pick,
            style=wide,
        )
        self.status_filter = w.Dropdown(
            options=[("All statuses", ALL)],
            value=ALL,
            description="Status",
            layout=pick,
            style=wide,
        )
        self.created_from = w.DatePicker(
            description="Created from", layout=w.Layout(width="250px"), style=wide
        )
        self.created_to = w.DatePicker(description="to", layout=w.Layout(width="170px"), style=wide)
        self.find = w.Text(
            placeholder="id, order id or tracking number",
            description="Find",
            continuous_update=False,
            layout=w.Layout(width="300px"),
            style=wide,
        )
        self.all_columns = w.Checkbox(value=False, description="all columns", indent=False)
        self.clear_button = w.Button(description="Clear filters", icon="times")
        step = w.Layout(width="44px")
        self.prev_button = w.Button(description="◀", tooltip="previous rows", layout=step)
        self.next_button = w.Button(description="▶", tooltip="next rows", layout=step)
        self.summary = w.HTML()
        self.grid = Grid(page_length=page_length, empty="Nothing loaded yet.")
        self.export_dir = w.Text(
            value=export_dir, description="Folder", layout=w.Layout(width="360px")
        )
        self.csv_button = w.Button(description="Export CSV", icon="file-text", disabled=True)
        self.parquet_button = w.Button(description="Export Parquet", icon="file", disabled=True)
        self.export_label = w.HTML()
        wrap = w.Layout(align_items="center", flex_flow="row wrap")
        filters = [self.carrier_filter, self.status_filter, self.created_from, self.created_to]
        filters += [self.find, self.all_columns, self.clear_button]
        pager = [self.prev_button, self.next_button, self.summary]
        exports = [self.export_dir, self.csv_button, self.parquet_button]
        super().__init__(
            [
                w.HBox(filters, layout=wrap),
                w.HBox(pager, layout=w.Layout(align_items="center")),
                self.grid,
                w.HBox(exports, layout=wrap),
                self.export_label,
            ]
        )
        for control in (self.carrier_filter, self.status_filter, self.find):
            control.observe(self._on_filter, names="value")
        for picker in (self.created_from, self.created_to):
            picker.observe(self._on_filter, names="value")
        self.all_columns.observe(self._on_columns, names="value")
        self.clear_button.on_click(self._on_clear)
        self.prev_button.on_click(lambda _: self._on_move(-1))
        self.next_button.on_click(lambda _: self._on_move(+1))
        self.csv_button.on_click(lambda _: self._on_export(".csv"))
        self.parquet_button.on_click(lambda _: self._on_export(".parquet"))

    # -- from the explorer -------------------------------------------------------------------

    def loaded(self) -> None:
        """A new frame is in the state: options from it, filters cleared, then render."""
        self._quiet = True
        try:
            self._carrier_options()
            statuses = self.state.status_options()
            self.status_filter.options = [("All statuses", ALL), *statuses]
            self.status_filter.value = ALL
            self.status_filter.disabled = not statuses
            first, last = self.state.date_bounds()
            self.created_from.value = self.created_to.value = None
            self.created_from.min = self.created_to.min = first
            self.created_from.max = self.created_to.max = last
            self.find.value = ""
        finally:
            self._quiet = False
        self.render()

    def regrouped(self) -> None:
        """The state's carrier grouping changed (its carrier filter cleared): the carrier
        options again, then render. The other filters stay as they are."""
        self._quiet = True
        try:
            self._carrier_options()
        finally:
            self._quiet = False
        self.render()

    def render(self) -> None:
        """Show the state's window in the grid, the summary, the pager and exports."""
        state = self.state
        self.summary.value = html.escape(state.summary_text())
        summary = state.summary()
        self.prev_button.disabled = state.window == 0
        self.next_button.disabled = state.window >= state.windows - 1
        has_rows = state.frame is not None
        self.csv_button.disabled = self.parquet_button.disabled = not has_rows
        note = f"{summary.selected_rows:,} rows"
        if summary.windowed:
            note = (
                f"Rows {summary.start + 1:,}–{summary.end:,} of {summary.selected_rows:,} "
                f"(window {state.window + 1} of {state.windows}; ◀ ▶ move it). Sorting and "
                "searching here cover these rows; the filters above cover all of them."
            )
        self.grid.show(state.grid_frame(), note=note)

    def _carrier_options(self) -> None:
        """The carrier filter's options under the state's grouping, set to all carriers."""
        carriers = self.state.carrier_options()
        total = self.state.summary().fulfillments
        self.carrier_filter.options = [(f"All carriers ({total:,})", ALL), *carriers]
        self.carrier_filter.value = ALL
        self.carrier_filter.description = f"Carrier ({self.state.carrier})"

    # -- callbacks ---------------------------------------------------------------------------

    def _on_filter(self, _: Any) -> None:
        if self._quiet:
            return
        with self.logbook.logged():
            self.state.set_filters(
                carrier=_value(self.carrier_filter.value),
                status=_value(self.status_filter.value),
                created_from=self.created_from.value,
                created_to=self.created_to.value,
                find=self.find.value,
            )
            self.render()
            self.changed()

    def _on_clear(self, _: Any) -> None:
        self._quiet = True
        try:
            self.carrier_filter.value = self.status_filter.value = ALL
            self.created_from.value = self.created_to.value = None
            self.find.value = ""
        finally:
            self._quiet = False
        self._on_filter(None)

    def _on_columns(self, change: dict[str, Any]) -> None:
        with self.logbook.logged():
            self.state.all_columns = bool(change["new"])
            self.render()

    def _on_move(self, step: int) -> None:
        with self.logbook.logged():
            self.state.move_window(step)
            self.render()

    def _on_export(self, suffix: str) -> None:
        with self.logbook.logged():
            from fulfillkit.frames import export
            from fulfillkit.paths import output_path

            selection = self.state.selection
            if selection is None:
                self.export_label.value = bad("Nothing to export yet: fetch first.")
                return
            # The one output-path rule: the folder is made, or a clear OutputPathError.
            folder = output_path(self.export_dir.value or ".", what="export folder", folder=True)
            target = folder / self.state.export_name(suffix)
            n = 1
            while target.exists():  # two exports in one second get their own names
                n += 1
                target = folder / self.state.export_name(f"-{n}{suffix}")
            path = export(selection, target).resolve()
            self.last_export = path
            self.export_label.value = (
                f"Wrote {len(selection):,} rows to <code>{html.escape(str(path))}</code>"
            )
            print(f"exported {len(selection)} rows to {path}")


def _value(value: Any) -> str | None:
    return None if value == ALL or value is None else str(value)
