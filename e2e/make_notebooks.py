"""Write the example notebooks under notebooks/, without outputs.

The notebooks are generated so that they stay small, reviewable and output-free; edit the
cells here and run ``.venv/bin/python e2e/make_notebooks.py``. ``tests/test_notebooks.py``
executes them and fails if a committed notebook carries outputs.
"""

# nbformat has no type hints.
# mypy: disable-error-code="no-untyped-call,no-any-return"

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

SETUP = '''import os
from pathlib import Path

import fulfillkit as fk

# Exports go to build/notebooks (git-ignored) unless FULFILLKIT_OUT says otherwise.
OUT = Path(os.environ.get("FULFILLKIT_OUT", "../build/notebooks"))
OUT.mkdir(parents=True, exist_ok=True)
REAL_API = bool(os.environ.get("PANORA_API_KEY"))
SOURCE = "panora" if REAL_API else "sandbox"


def make_client() -> tuple[fk.Client, list[str]]:
    """Panora when PANORA_API_KEY is set (ids from the file FULFILLKIT_IDS, one per line);
    otherwise the embedded sandbox: no credentials, no network."""
    if REAL_API:
        ids_file = Path(os.environ.get("FULFILLKIT_IDS", "ids.txt"))
        return fk.Client(), ids_file.read_text().split()
    sandbox = fk.Client.sandbox(n=300)
    return sandbox, list(sandbox.sandbox_ids)'''

INTRO = (
    "Runs top to bottom with no credentials against fulfillkit's embedded Panora sandbox. "
    "To use the real API instead, set `PANORA_API_KEY` and `PANORA_CONNECTION_TOKEN` "
    "(optionally `PANORA_BASE_URL`) and put the fulfillment ids in a file named by "
    "`FULFILLKIT_IDS` (default `ids.txt`), one per line."
)


def metadata() -> dict[str, object]:
    return {
        "kernelspec": {
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "name": "python3",
        },
        "language_info": {"name": "python"},
    }


def quickstart() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# fulfillkit quickstart: sandbox → batch → frame → export\n\n" + INTRO),
        new_code_cell(SETUP + "\n\n\nclient, ids = make_client()\nclient"),
        new_markdown_cell(
            "## Fetch a batch\n\nConcurrent, retried, with a progress bar. One id that does "
            "not exist is added, to show what a failure looks like."
        ),
        new_code_cell(
            'if not REAL_API:\n    ids.append("00000000-0000-4000-8000-000000000000")\n'
            "batch = client.get_many(ids, remote_data=True)\nbatch"
        ),
        new_markdown_cell("Every id that failed is in `batch.errors`, with a kind and a message:"),
        new_code_cell("batch.errors_frame()"),
        new_markdown_cell("One record, as fulfillkit's typed model:"),
        new_code_cell("batch.fulfillments[0]"),
        new_markdown_cell(
            "## A tidy DataFrame\n\nOne row per tracking number, typed columns, field "
            "mappings flattened."
        ),
        new_code_cell("df = batch.to_frame()\ndf.head()"),
        new_code_cell("df.dtypes"),
        new_code_cell("fk.carrier_report(df)"),
        new_markdown_cell(
            "## Export\n\nParquet keeps every dtype; CSV is neutralised against spreadsheet "
            "formulas. Both are written atomically."
        ),
        new_code_cell(
            'parquet = fk.export(df, OUT / f"fulfillments-{SOURCE}.parquet")\n'
            'csv = fk.export(df, OUT / f"fulfillments-{SOURCE}.csv")\n'
            "back = fk.read_frame(parquet)\n"
            'assert back.equals(df), "Parquet gives back the same frame"\n'
            'print(parquet.resolve(), csv.resolve(), sep="\\n")'
        ),
        new_markdown_cell(
            "## Arrow, Polars and DuckDB\n\n`batch.to_arrow()` is the Arrow table that "
            "`to_frame()` converts: same columns, same rows. Polars and DuckDB read it "
            "without a copy. Each of the two cells runs where its optional extra is "
            "installed (`pip install 'fulfillkit[polars]'`, `'fulfillkit[duckdb]'`) and "
            "says so otherwise."
        ),
        new_code_cell(
            "import importlib.util\n\n"
            "tbl = batch.to_arrow()\n"
            'print(tbl.num_rows, "rows,", tbl.num_columns, "columns")\n'
            'tbl.schema.field("created_at")'
        ),
        new_code_cell(
            'if importlib.util.find_spec("polars"):\n'
            '    columns = ["id", "tracking_number", "carrier_canonical", "created_at"]\n'
            "    shown = batch.to_polars().select(columns).head()\n"
            "else:\n"
            "    shown = \"polars is not installed: pip install 'fulfillkit[polars]'\"\n"
            "shown"
        ),
        new_code_cell(
            'if importlib.util.find_spec("duckdb"):\n'
            "    import duckdb\n\n"
            "    shown = duckdb.sql(\n"
            '        "select carrier_canonical, count(distinct id) as fulfillments, "\n'
            '        "count(tracking_number) as numbers from tbl "\n'
            '        "group by carrier_canonical order by fulfillments desc, carrier_canonical"\n'
            "    ).df()\n"
            "else:\n"
            "    shown = \"duckdb is not installed: pip install 'fulfillkit[duckdb]'\"\n"
            "shown"
        ),
        new_markdown_cell(
            "## The whole connection\n\n`client.list()` walks the list endpoint page by "
            "page (cursor pagination, deduplicated by id, paced by the rate-limit headers). "
            "Under Panora's 100 requests per minute that is a few requests where fetching by "
            'id is one per record: `get_many(ids, via="list")` uses it for a batch of ids, '
            'and `via="auto"` picks for you.'
        ),
        new_code_cell(
            "everything = client.list_frame(remote_data=True)\n"
            'print(len(everything), "rows,", everything["id"].nunique(), "fulfillments")\n'
            "fk.carrier_report(everything)"
        ),
        new_code_cell(
            'by_listing = client.get_many(ids, via="auto")\n'
            "assert [f.id for f in by_listing] == [f.id for f in batch]\n"
            "by_listing"
        ),
        new_markdown_cell(
            "## Orders\n\nFetch the orders behind the fulfillments and join them: the time "
            "from order to shipment is one subtraction away."
        ),
        new_code_cell(
            'orders = client.get_orders(df["order_id"])\n'
            "joined = fk.join_orders(df, orders)\n"
            'joined[["id", "carrier_canonical", "order_number", "total_price", '
            '"fulfillment_lag"]].head()'
        ),
        new_code_cell(
            'joined.drop_duplicates("id").groupby("carrier_canonical")["fulfillment_lag"]'
            ".median().sort_values()"
        ),
        new_code_cell("client.close()"),
    ]
    return new_notebook(cells=cells, metadata=metadata())


def carrier_report() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(
            "# Carrier report and plots, from a Parquet export\n\n"
            "Reads the Parquet file that `01-quickstart.ipynb` exports, and makes it first "
            "when it is not there. " + INTRO
        ),
        new_code_cell(
            SETUP + "\n\n\n"
            'PARQUET = OUT / f"fulfillments-{SOURCE}.parquet"  # written by 01-quickstart\n'
            "if not PARQUET.exists():\n"
            "    client, ids = make_client()\n"
            "    with client:\n"
            "        fk.export(client.get_many(ids).to_frame(), PARQUET)\n"
            "df = fk.read_frame(PARQUET)\n"
            "print(f\"{len(df):,} rows, {df['id'].nunique():,} fulfillments, from {PARQUET}\")"
        ),
        new_markdown_cell(
            "## The carrier report\n\nOne row per canonical carrier (`ups`, `UPS ` and "
            "`United Parcel Service` are all UPS), each fulfillment counted once. It is a "
            "DataFrame:"
        ),
        new_code_cell("report = fk.carrier_report(df)\nreport"),
        new_markdown_cell(
            'Which carrier? `carrier="effective"` (the default) is the carrier the record '
            "states, else the one its tracking number names (format and check digit), so "
            "fulfillments whose merchant left the carrier blank are not all `Unknown`. "
            '`"stated"` and `"detected"` use one source only:'
        ),
        new_code_cell(
            "import pandas as pd\n\n"
            "pd.DataFrame(\n"
            '    {c: fk.carrier_report(df, carrier=c)["fulfillments"] for c in '
            '("stated", "detected", "effective")}\n'
            ").fillna(0).astype(int)"
        ),
        new_markdown_cell("The same, formatted for reading (shares in %, dates to the minute):"),
        new_code_cell(
            "from fulfillkit.notebook.display import display_report\n\ndisplay_report(report)"
        ),
        new_markdown_cell("## Fulfillments and tracking coverage per carrier"),
        new_code_cell("fig = fk.plot_carriers(df)\nfig"),
        new_markdown_cell(
            '## Over time\n\n`freq` is any pandas offset alias: `"D"`, `"W"`, `"MS"`, ...'
        ),
        new_code_cell('fk.plot_timeline(df, freq="W")'),
        new_code_cell('fk.plot_timeline(df, freq="MS")'),
        new_markdown_cell("Figures are plain matplotlib figures: save them for a report."),
        new_code_cell(
            'path = OUT / "carriers.png"\nfig.savefig(path, dpi=120)\nprint(path.resolve())'
        ),
        new_markdown_cell(
            "## Audit \u2192 fix list \u2192 report\n\n"
            "`fk.audit` checks every fulfillment against a table of rules (missing tracking, "
            "check digits, reused labels, URLs that do not match their number, timestamps, "
            "orders, delivery failures) and returns one row per finding:"
        ),
        new_code_cell("findings = fk.audit(df)\nfindings.head(10)"),
        new_markdown_cell("Counted by rule and carrier, worst severity first:"),
        new_code_cell("fk.audit_summary(findings)"),
        new_markdown_cell(
            "The fix list for the operations team: one line per fulfillment that has an "
            "error or a warning, worst first, every problem spelt out. A CSV opens in any "
            "spreadsheet."
        ),
        new_code_cell(
            'fix = findings[findings["severity"] != "info"]\n'
            "fix_list = (\n"
            '    fix.groupby("id", sort=False)\n'
            "    .agg(\n"
            '        order_id=("order_id", "first"),\n'
            '        carrier=("carrier", "first"),\n'
            '        worst=("severity", "first"),\n'
            '        problems=("detail", "; ".join),\n'
            "    )\n"
            "    .reset_index()\n"
            ")\n"
            'fix_list.to_csv(OUT / "fix-list.csv", index=False)\n'
            "fix_list.head()"
        ),
        new_markdown_cell(
            "And the page to send on: one HTML file, no JavaScript, no external assets "
            "(carrier table, charts, audit summary, worst findings). Open it in a browser."
        ),
        new_code_cell(
            "page = fk.report_html(\n"
            '    df, OUT / "carriers.html", title="Carrier report", findings=findings, '
            "source=str(PARQUET)\n"
            ")\n"
            "print(page.resolve())"
        ),
    ]
    return new_notebook(cells=cells, metadata=metadata())


def explorer() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(
            "# The fulfillment explorer\n\n"
            "An analyst's workbench in one widget. Paste ids or upload a file of ids, tick "
            "`remote_data`, press **Fetch**; then filter by carrier, shipment status, "
            "creation date or an id, sort and search the grid, pick columns, read the "
            "errors, the carrier report, the audit's findings and the charts, and export "
            "the selection to CSV or Parquet.\n\n"
            "Without `PANORA_API_KEY` the explorer uses the embedded sandbox and fills in "
            "its ids (and two that do not exist): just press **Fetch**. With "
            "`PANORA_API_KEY` and `PANORA_CONNECTION_TOKEN` set it fetches from Panora."
        ),
        new_code_cell(
            "import os\n\nimport fulfillkit as fk\n\n"
            'OUT = os.environ.get("FULFILLKIT_OUT", "../build/notebooks")\n'
            'client = fk.Client() if os.environ.get("PANORA_API_KEY") else None\n'
            'explorer = fk.explorer(client, export_dir=f"{OUT}/exports")\n'
            "explorer"
        ),
        new_markdown_cell(
            "## On a store: history and sync\n\n"
            "`fk.explorer(store, client=client)` opens on a local store: its fulfillments "
            "(with the stored orders joined, so the lag chart works), a **History** tab "
            "(every version of one fulfillment, and what changed) and a **Sync** tab. "
            "Here the store holds the sandbox's living shop synced every three days, its "
            "shipments moving on in between (`shop.advance(days=3)`); the Charts tab's "
            "*time from in_transit to delivered* comes from those changes."
        ),
        new_code_cell(
            "from fulfillkit.sandbox import SandboxApp\n\n"
            "shop = SandboxApp(rate_limit=None)  # the sandbox's living shop, in-process\n"
            "shop_client = fk.Client.sandbox(app=shop)\n"
            'store = fk.Store(":memory:")  # or fk.Store("fulfillments.duckdb")\n'
            "store.sync(shop_client, progress=False)\n"
            "for _ in range(3):  # three days later, and again: parcels move on\n"
            "    shop.advance(days=3)\n"
            "    store.sync(shop_client, progress=False)\n\n"
            'workbench = fk.explorer(store, client=shop_client, export_dir=f"{OUT}/exports")\n'
            "workbench"
        ),
        new_markdown_cell(
            "To see the Sync tab bring in changes, move the sandbox on a day and press "
            "**Sync**: `shop.advance(days=3)`.\n\n"
            "Everything the explorers show is in Python too: `explorer.batch` (the "
            "`BatchResult`), `explorer.frame`, `explorer.selection` (the rows the filters "
            "keep), `explorer.state` (filters, window, summary) and `explorer.last_export` "
            "(the last file written). Run the next cell after a fetch."
        ),
        new_code_cell(
            'explorer.selection.head() if explorer.selection is not None else "Press Fetch first."'
        ),
        new_code_cell("workbench.state.summary_text()"),
    ]
    return new_notebook(cells=cells, metadata=metadata())


def keep_it_current() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(
            "# Keep it current: a local store of the connection\n\n"
            "Fetch the connection once into a DuckDB file, then sync only what changed, "
            "keeping every version: what is new since the last run, which parcels changed "
            "status, how long each carrier takes from *in transit* to *delivered*, all with "
            "zero requests once synced.\n\n"
            "Without credentials this runs against the embedded sandbox, whose shop lives "
            "on: `shop.advance(days=3)` lets three days pass (new fulfillments arrive, "
            "parcels move along). With `PANORA_API_KEY` and `PANORA_CONNECTION_TOKEN` set "
            "it syncs your connection instead (and the clock is the real one)."
        ),
        new_code_cell(
            "import os\n"
            "from pathlib import Path\n\n"
            "import fulfillkit as fk\n"
            "from fulfillkit.sandbox import SandboxApp\n\n"
            'OUT = Path(os.environ.get("FULFILLKIT_OUT", "../build/notebooks"))\n'
            "OUT.mkdir(parents=True, exist_ok=True)\n"
            'REAL_API = bool(os.environ.get("PANORA_API_KEY"))\n\n'
            "shop = None if REAL_API else SandboxApp()  # the sandbox's default shop, living\n"
            "client = fk.Client() if REAL_API else fk.Client.sandbox(app=shop)\n"
            'path = OUT / "shop.duckdb"\n'
            "if not REAL_API:  # a fresh store for the demo shop, whose clock starts over\n"
            '    for stale in (path, path.with_name(path.name + ".wal")):\n'
            "        stale.unlink(missing_ok=True)\n"
            "store = fk.Store(path)\n"
            "report = store.sync(client)  # the first sync lists everything\n"
            "report"
        ),
        new_markdown_cell(
            "A second sync right away costs one request per resource: the listing resumes "
            "from what the store holds, and nothing is new."
        ),
        new_code_cell('store.sync(client, refresh="none")'),
        new_markdown_cell(
            "## Time passes\n\n"
            "Let a few days pass in the shop and sync after each: new fulfillments are "
            "listed from where the last sync stopped, and the ones that may still change "
            "(no tracking number yet, or a shipment on its way) are re-read, or the list is "
            "rescanned, whichever costs fewer requests (`report.plans` says which)."
        ),
        new_code_cell(
            "reports = []\n"
            "for _ in range(4):\n"
            "    if shop is not None:\n"
            "        shop.advance(days=3)\n"
            "    reports.append(store.sync(client, progress=False))\n"
            "print(reports[-1].text())\n"
            "[(r.new, r.changed, r.requests) for r in reports]"
        ),
        new_markdown_cell(
            "## What changed\n\n"
            "Every distinct content a record has had is a row of the `versions` view; "
            "`store.history(id)` shows one fulfillment's versions, oldest first."
        ),
        new_code_cell(
            "changed = store.sql(\n"
            '    "select id, count(*) as versions, max(observed_at) as last_change "\n'
            "    \"from versions where resource = 'fulfillments' group by id \"\n"
            '    "having count(*) > 1 order by last_change desc"\n'
            ")\n"
            "changed.head()"
        ),
        new_code_cell(
            "if len(changed):\n"
            '    history = store.history(changed["id"].iloc[0])\n'
            "else:\n"
            '    history = store.history(store.to_frame()["id"].iloc[0])\n'
            'history[["version", "observed_at", "modified_at", "tracking_count", "carrier"]]'
        ),
        new_markdown_cell(
            "## Time in status by carrier\n\n"
            "`fk.status_changes(store)` has one row per observed change of Shopify's "
            "`shipment_status` (`from_status`, `to_status`, `changed_at`: when Panora "
            "recorded it). `fk.time_in_status(store)` turns it into one row per parcel seen "
            "going from *in transit* to *delivered*, with the hours between; "
            "`fk.plot_time_in_status(store)` draws them, a box per carrier."
        ),
        new_code_cell(
            'changes = fk.status_changes(store)\nchanges[changes["from_status"].notna()].head()'
        ),
        new_code_cell(
            "spans = fk.time_in_status(store)\n"
            'spans.groupby("carrier")["hours"].agg(["count", "median", "max"]).round(1)'
        ),
        new_code_cell("fk.plot_time_in_status(store)"),
        new_markdown_cell(
            "## Reports from the store\n\n"
            "Every report, the audit and the plots take a store where they take a frame "
            "(with zero requests); the store's orders make the order rules of the audit "
            "run. `store.export(folder)` writes a Parquet lake partitioned by connection "
            "and month, for Dask, DuckDB, Polars or Spark."
        ),
        new_code_cell("fk.carrier_report(store)"),
        new_code_cell(
            "frame = fk.join_orders(store.to_frame(), store.orders_frame())\n"
            "fk.audit_summary(frame).head(8)"
        ),
        new_code_cell(
            'page = fk.report_html(store, OUT / "store-report.html", title="The store\'s shop")\n'
            'lake = store.export(OUT / "lake")\n'
            "page, sorted(p.name for p in lake.iterdir())"
        ),
    ]
    return new_notebook(cells=cells, metadata=metadata())


def main() -> int:
    NOTEBOOKS.mkdir(exist_ok=True)
    for name, build in (
        ("01-quickstart.ipynb", quickstart),
        ("02-carrier-report.ipynb", carrier_report),
        ("03-explorer.ipynb", explorer),
        ("04-keep-it-current.ipynb", keep_it_current),
    ):
        nb = build()
        for i, cell in enumerate(nb.cells):  # stable ids: regenerating changes nothing
            cell.id = f"{name[:2]}-{i:02d}"
        nbformat.validate(nb)
        path = NOTEBOOKS / name
        nbformat.write(nb, path)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
