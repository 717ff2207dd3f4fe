"""Reports on fulfillment frames: the carrier report, the charts, the data audit and the
self-contained HTML report.

* :mod:`.carriers`: :func:`carrier_report` and its plain-text form;
* :mod:`.charts`: matplotlib figures (:func:`plot_carriers`, :func:`plot_timeline`);
* :mod:`.plots`: more figures (:func:`plot_status_mix`, :func:`plot_fulfillment_lag`,
  :func:`plot_tracking_coverage`, :func:`plot_time_in_status`); :mod:`.figures` writes
  any figure as inline SVG (:func:`figure_svg`);
* :mod:`.auditing`: :func:`audit` (one row per data-quality finding) and :func:`audit_summary`;
* :mod:`.html`: :func:`report_html`, one offline HTML file with all of the above;
* :mod:`.data`: the data argument they all take (a ``to_frame`` frame, a ``BatchResult``, a
  store, a list of records) and the columns each needs; :mod:`.text`: shared column helpers.

Every carrier-grouped view takes ``carrier="stated" | "detected" | "effective"``
(:data:`CARRIER_CHOICES`) and says which it used.
"""

from __future__ import annotations

from fulfillkit.reports.auditing import RULES, AuditRule, RuleNotRunWarning, audit, audit_summary
from fulfillkit.reports.carriers import (
    CARRIER_CHOICES,
    REPORT_SCHEMA,
    STATUS_REPORT_SCHEMA,
    CarrierChoice,
    carrier_labels,
    carrier_report,
    format_carrier_report,
    fulfillment_labels,
)
from fulfillkit.reports.charts import figure_png, plot_carriers, plot_timeline
from fulfillkit.reports.figures import figure_svg
from fulfillkit.reports.html import report_html
from fulfillkit.reports.plots import (
    plot_fulfillment_lag,
    plot_status_mix,
    plot_time_in_status,
    plot_tracking_coverage,
    status_mix,
    time_in_status,
)

__all__ = [
    "CARRIER_CHOICES",
    "REPORT_SCHEMA",
    "RULES",
    "STATUS_REPORT_SCHEMA",
    "AuditRule",
    "CarrierChoice",
    "RuleNotRunWarning",
    "audit",
    "audit_summary",
    "carrier_labels",
    "carrier_report",
    "figure_png",
    "figure_svg",
    "format_carrier_report",
    "fulfillment_labels",
    "plot_carriers",
    "plot_fulfillment_lag",
    "plot_status_mix",
    "plot_time_in_status",
    "plot_timeline",
    "plot_tracking_coverage",
    "report_html",
    "status_mix",
    "time_in_status",
]
