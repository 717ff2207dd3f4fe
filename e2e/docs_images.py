"""Refresh the README's pictures of the plots in docs/, drawn from the sandbox.

The carrier chart and the timeline (:mod:`fulfillkit.reports.charts`), and the status mix,
the fulfillment lag, tracking coverage and time in status (:mod:`fulfillkit.reports.plots`,
the last from a store synced on five days while the sandbox's shipments moved on). The
explorer's pictures (``docs/explorer.png``, ``docs/explorer-history.png``) are written by
``make e2e``.

Run: ``.venv/bin/python e2e/docs_images.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import fulfillkit as fk
from fulfillkit.reports.charts import figure_png, plot_carriers, plot_timeline
from fulfillkit.sandbox import SandboxApp

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def main() -> int:
    DOCS.mkdir(exist_ok=True)
    app = SandboxApp(rate_limit=None)  # the default shop, living
    with fk.Client.sandbox(app=app) as client:
        store = fk.Store(":memory:")
        store.sync(client, progress=False)
        for _ in range(6):  # three days at a time: new fulfillments, parcels move on
            app.advance(days=3)
            store.sync(client, progress=False)
    df = fk.join_orders(store.to_frame(), store.orders_frame())
    pictures = {
        "carrier-chart.png": (plot_carriers(df), 90),
        "timeline.png": (plot_timeline(df, freq="MS"), 80),
        "status-mix.png": (fk.plot_status_mix(df), 80),
        "fulfillment-lag.png": (fk.plot_fulfillment_lag(df), 80),
        "tracking-coverage.png": (fk.plot_tracking_coverage(df, freq="MS"), 80),
        "time-in-status.png": (fk.plot_time_in_status(store), 80),
    }
    for name, (fig, dpi) in pictures.items():
        (DOCS / name).write_bytes(figure_png(fig, dpi=dpi))
    for path in sorted(DOCS.glob("*.png")):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
