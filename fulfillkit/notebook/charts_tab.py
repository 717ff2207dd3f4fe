"""The explorer's Charts tab: one chart of the selection at a time, picked from a list.

The carriers and timeline charts (:mod:`fulfillkit.reports.charts`), the status mix, the
order-to-fulfillment lag, tracking coverage over time (:mod:`fulfillkit.reports.plots`)
and, for a store, time in status. A chart the data cannot make (no ``shipment_status``
without remote data, no lag without orders) says why instead; without matplotlib (the
``plots`` extra) the tab says what to install and the rest of the explorer works.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import ipywidgets as w

from fulfillkit.errors import InvalidDataError
from fulfillkit.notebook.html import muted
from fulfillkit.notebook.log import Log
from fulfillkit.notebook.state import ExplorerState

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["CHARTS", "ChartsTab", "period_for"]

CHARTS: Final = {
    "carriers": "Fulfillments and tracking coverage by carrier",
    "timeline": "Fulfillments over time by carrier",
    "status_mix": "Shipment status by carrier",
    "lag": "Order to fulfillment lag by carrier",
    "coverage": "Tracking coverage over time",
    "time_in_status": "Time from in_transit to delivered (store)",
}
"""The charts the tab offers: value -> label."""


def period_for(created: pd.Series[Any]) -> str:
    """A period that gives a readable number of bars over ``created``'s span: months over
    two years, weeks over four months, else days.

    Example:
        >>> import pandas as pd
        >>> period_for(pd.Series(pd.to_datetime(["2024-01-01", "2024-12-31"])))
        'W'
    """
    import pandas as pd

    known = created.dropna()
    if known.empty:
        return "D"
    span = known.max() - known.min()
    if span > pd.Timedelta(days=730):
        return "MS"
    return "W" if span > pd.Timedelta(days=120) else "D"


class ChartsTab(w.VBox):  # type: ignore[misc]
    """``chart`` (the picker), ``image`` (PNG), ``note`` (what is shown, or why not).

    ``changes`` gives a store's status changes (``None``: no store, and no time in status):
    asked once per load (:meth:`loaded`), then filtered to each selection in memory.
    """

    def __init__(
        self,
        state: ExplorerState,
        log: Log,
        *,
        changes: Callable[[], pd.DataFrame] | None = None,
    ) -> None:
        self.state, self.logbook, self.changes = state, log, changes
        self._changes: pd.DataFrame | None = None
        options = [(label, key) for key, label in CHARTS.items()]
        if changes is None:
            options = [o for o in options if o[1] != "time_in_status"]
        self.chart = w.Dropdown(options=options, value="carriers", description="Chart")
        self.note = w.HTML(muted("No data yet."))
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%", width="auto"))
        super().__init__([self.chart, self.note, self.image])
        self.chart.observe(lambda _: self.render(), names="value")

    def loaded(self) -> None:
        """New data is in the state: the store's status changes are asked for again."""
        self._changes = None

    def render(self) -> None:
        """Draw the picked chart of the state's selection."""
        with self.logbook.logged():
            selection = self.state.selection
            if selection is None:
                return
            try:
                fig = self._figure(str(self.chart.value), selection)
            except (InvalidDataError, ImportError) as exc:
                self.image.value = b""
                self.image.layout.display = "none"
                self.note.value = muted(f"{CHARTS[str(self.chart.value)]}: ") + html.escape(
                    str(exc)
                )
                return
            from fulfillkit.reports import figure_png

            self.image.value = figure_png(fig, dpi=80)
            self.image.layout.display = ""
            self.note.value = muted(html.escape(self.state.summary_text()))

    def _figure(self, key: str, selection: pd.DataFrame) -> Figure:
        from fulfillkit import reports

        carrier = self.state.carrier
        if key == "carriers":
            return reports.plot_carriers(selection, carrier=carrier)
        if key == "timeline":
            return reports.plot_timeline(selection, _freq(selection), carrier=carrier)
        if key == "status_mix":
            return reports.plot_status_mix(selection, carrier=carrier)
        if key == "lag":
            return reports.plot_fulfillment_lag(selection, carrier=carrier)
        if key == "coverage":
            return reports.plot_tracking_coverage(selection, _freq(selection))
        return reports.plot_time_in_status(self.state.restrict(self._status_changes()))

    def _status_changes(self) -> pd.DataFrame:
        if self._changes is None:
            assert self.changes is not None
            self._changes = self.changes()
        return self._changes


def _freq(frame: pd.DataFrame) -> str:
    import pandas as pd

    if "created_at" not in frame.columns:
        return "D"
    return period_for(pd.to_datetime(frame["created_at"], utc=True))
