"""Refresh the docs' pictures in docs/: the carrier chart (drawn here, from the sandbox)
and the explorer (copied from the last ``make e2e`` screenshot, build/e2e/explorer.png).

Run: ``.venv/bin/python e2e/docs_images.py`` after ``make e2e``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import fulfillkit as fk
from fulfillkit.reports.charts import figure_png, plot_carriers, plot_timeline

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def main() -> int:
    DOCS.mkdir(exist_ok=True)
    with fk.Client.sandbox(n=500) as client:
        df = client.get_many(client.sandbox_ids, progress=False).to_frame()
    (DOCS / "carrier-chart.png").write_bytes(figure_png(plot_carriers(df), dpi=90))
    (DOCS / "timeline.png").write_bytes(figure_png(plot_timeline(df, freq="W"), dpi=80))
    shot = ROOT / "build" / "e2e" / "explorer.png"
    if shot.exists():
        shutil.copyfile(shot, DOCS / "explorer.png")
    else:
        print(f"no {shot.relative_to(ROOT)}: run `make e2e` first", file=sys.stderr)
    for path in sorted(DOCS.glob("*.png")):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
