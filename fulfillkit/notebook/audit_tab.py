"""The explorer's Audit tab: :func:`~fulfillkit.audit` findings of the selection.

A severity filter (all / error / warning / info), the counts by rule and severity, the
rules that could not run on this data and what each needs (the audit's
``findings.attrs["not_run"]``), and the findings themselves in a grid. The audit runs once
per frame, when the tab is first opened (on 100,000 rows it takes about a second).
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import pandas as pd

from fulfillkit.notebook.grid import Grid
from fulfillkit.notebook.html import frame_html, muted
from fulfillkit.notebook.log import Log
from fulfillkit.notebook.state import SEVERITIES, ExplorerState

__all__ = ["AuditTab", "not_run_html"]


def not_run_html(not_run: dict[str, str] | None) -> str:
    """The rules that did not run, and what each needs, as an escaped HTML list (nothing
    when the audit does not say which ran).

    Example:
        >>> print(not_run_html({"slow_fulfillment": "orders joined <fk.join_orders>"}))
        <p><b>Not run</b> (the data lacks what they need):</p><ul><li><code>slow_fulfillment</code>: orders joined &lt;fk.join_orders&gt;</li></ul>
    """  # noqa: E501
    if not_run is None:
        return ""
    if not not_run:
        return muted("Every rule ran.")
    items = "".join(
        f"<li><code>{html.escape(rule)}</code>: {html.escape(needs)}</li>"
        for rule, needs in not_run.items()
    )
    return f"<p><b>Not run</b> (the data lacks what they need):</p><ul>{items}</ul>"


class AuditTab(w.VBox):  # type: ignore[misc]
    """``severity`` (toggle buttons), ``counts`` and ``not_run`` (HTML), ``grid``."""

    def __init__(self, state: ExplorerState, log: Log, *, page_length: int) -> None:
        self.state, self.logbook = state, log
        self.severity = w.ToggleButtons(
            options=[("all", "all"), *((s, s) for s in SEVERITIES)],
            value="all",
            description="Severity",
            style={"button_width": "72px"},
        )
        self.counts = w.HTML(muted("Open this tab after loading data to audit it."))
        self.not_run = w.HTML()
        self.grid = Grid(page_length=page_length, empty="No findings yet.")
        super().__init__([self.severity, self.counts, self.not_run, self.grid])
        self.severity.observe(self._on_severity, names="value")

    def render(self) -> None:
        """Findings of the state's selection under the severity filter."""
        if self.state.frame is None:
            return
        findings = self.state.findings()
        self.not_run.value = not_run_html(self.state.not_run())
        if findings.empty:
            self.counts.value = muted("No findings in the selection.")
        else:
            by = (
                findings.groupby(["severity", "rule"], sort=False)
                .agg(findings=("rule", "size"), fulfillments=("id", "nunique"))
                .reset_index()
            )
            rank = by["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
            by = by.assign(rank=rank).sort_values(["rank", "findings"], ascending=[True, False])
            self.counts.value = frame_html(by.drop(columns="rank"))
        columns = [c for c in ("severity", "rule", "carrier", "id", "order_id") if c in findings]
        columns += [c for c in ("tracking_number", "detail") if c in findings]
        shown = pd.DataFrame(findings[columns]).reset_index(drop=True)
        shown = shown.astype(object).where(shown.notna(), "")
        self.grid.show(shown, note=f"{len(shown):,} findings")

    def _on_severity(self, change: dict[str, Any]) -> None:
        with self.logbook.logged():
            value = str(change["new"])
            self.state.severity = None if value == "all" else value
            self.render()
