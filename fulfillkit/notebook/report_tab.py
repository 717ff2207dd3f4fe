"""The explorer's Carrier report tab: :func:`~fulfillkit.carrier_report` of the selection,
by the stated, detected or effective carrier.

The choice here is the explorer's grouping: it also changes the carrier filter's labels
and the charts (:meth:`~fulfillkit.notebook.state.ExplorerState.set_carrier_choice`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from fulfillkit.notebook.html import muted
from fulfillkit.notebook.log import Log
from fulfillkit.notebook.state import ExplorerState
from fulfillkit.reports.carriers import CARRIER_CHOICES

__all__ = ["ReportTab"]


class ReportTab(w.VBox):  # type: ignore[misc]
    """The carrier choice (``choice``, toggle buttons) and the report (``report``, HTML);
    ``regrouped()`` is called after the choice changed."""

    def __init__(self, state: ExplorerState, log: Log, regrouped: Callable[[], None]) -> None:
        self.state, self.logbook, self.regrouped = state, log, regrouped
        self.choice = w.ToggleButtons(
            options=list(CARRIER_CHOICES),
            value=state.carrier,
            description="Carrier",
            tooltips=list(CARRIER_CHOICES.values()),
            style={"button_width": "90px"},
        )
        self.explained = w.HTML(muted(CARRIER_CHOICES[state.carrier]))
        self.report = w.HTML(muted("No data yet."))
        super().__init__([w.HBox([self.choice, self.explained]), self.report])
        self.choice.observe(self._on_choice, names="value")

    def render(self) -> None:
        """The report of the state's selection."""
        from fulfillkit.notebook.display import carrier_report_html
        from fulfillkit.reports import carrier_report

        selection = self.state.selection
        if selection is None:
            self.report.value = muted("No data yet.")
            return
        report = carrier_report(selection, carrier=self.state.carrier)
        self.report.value = carrier_report_html(report)

    def _on_choice(self, change: dict[str, Any]) -> None:
        with self.logbook.logged():
            self.state.set_carrier_choice(str(change["new"]))
            self.explained.value = muted(CARRIER_CHOICES[self.state.carrier])
            self.regrouped()
