"""How fast is ``fk.to_frame`` next to the plain pandas way, on realistic sandbox records?

    python benchmarks/bench_frame.py [--n 100000] [--repeats 3] [--seed 0] [--no-arrow]
                                     [--no-store]

The records are ``make_dataset(n).fulfillments`` written to NDJSON (one response body per
line) and parsed back, so each run starts from plain dicts exactly as the API's JSON gives
them (``remote_data`` included). Two ways to get one row per (fulfillment, tracking position):

* ``fulfillkit``: ``to_frame(records, remote_data=False)`` (explicit dtypes, field mappings
  flattened; the remote-data columns left out, as the pandas way leaves them out: the same
  columns, like for like);
* ``pandas``: ``pd.json_normalize``, pad the two tracking lists to equal length,
  ``explode`` both, number the positions, ``pd.to_datetime(utc=True)``. It gets the records
  *without* ``remote_data`` (stripped before the clock starts), or ``json_normalize`` would
  flatten all of Shopify's payload and lose by even more.

and two ways to get the same rows as an Arrow table:

* ``to_arrow``: ``fk.to_arrow(records, remote_data=False)`` (the table ``to_frame`` converts);
* ``pyarrow``: ``pa.Table.from_pylist`` (type inference over every record, same records
  as ``pandas``), then the same pad-and-explode of the tracking lists with Arrow kernels.

and the frame from a store against ``to_frame`` of the same records from dicts:

* ``remote``: ``to_frame(records)`` with its default, which keeps the remote-data columns
  (``shipment_status`` and ``remote_data`` as JSON text) since the records carry them: the
  frame a store synced with remote data gives, so the like-for-like baseline of ``store``
  and of ``bench_store.py --mode frame``;

* ``store``: the records' record table (``fk.frames.record_table``, built before any run)
  in a DuckDB file; the timed call opens the file read-only (session ``TimeZone='UTC'``),
  streams ``select *`` as Arrow batches of ``CHUNK`` records and lays them out with
  ``frame_from_record_table``, then closes the file: what a store's ``to_frame`` does. Its
  process never holds the records as dicts. Issue 19's target: at most 0.3x the time of
  ``to_frame`` from dicts, with a lower peak. Most of this run's time is first-touch
  memory for the new frame, so on a shared VM it swings with the kernel's page-fault cost
  (the same faults, up to 4x the system time from one run to the next): read the median.

Each run is a fresh subprocess (runs alternate between the approaches), so peak memory
(Linux ``VmHWM``, the larger of the peak while loading the JSON and the peak of the timed
call; not ``ru_maxrss``, which a child inherits from its parent across ``exec``) is per
approach, and so is the growth of the resident set during the timed call alone (Linux
``VmHWM`` after a reset). Loading and a small warm-up call (lazy imports, first-use
setup) are not timed. The tables show the median time and the ratio of medians.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from _common import reset_peak_rss, rss_kb

APPROACHES = ("fulfillkit", "pandas")
ARROW_APPROACHES = ("to_arrow", "pyarrow")
STORE_APPROACHES = ("store",)
REMOTE_APPROACHES = ("remote",)
MODEL_APPROACHES = ("models",)
"""``to_frame`` of :class:`~fulfillkit.models.Fulfillment` objects (as ``get_many`` gives
them; validated before the clock starts): a worker only, for ``run.py`` and profiling."""


def pandas_way(records: list[dict[str, Any]]) -> Any:
    """The usual notebook recipe for the same shape of frame."""
    import pandas as pd

    df = pd.json_normalize(records)
    numbers = [v if isinstance(v, list) else [] for v in df["tracking_numbers"]]
    urls = [v if isinstance(v, list) else [] for v in df["tracking_urls"]]
    rows = [max(len(a), len(b), 1) for a, b in zip(numbers, urls, strict=True)]
    df["tracking_number"] = [a + [None] * (n - len(a)) for a, n in zip(numbers, rows, strict=True)]
    df["tracking_url"] = [b + [None] * (n - len(b)) for b, n in zip(urls, rows, strict=True)]
    df = df.drop(columns=["tracking_numbers", "tracking_urls"])
    df = df.explode(["tracking_number", "tracking_url"])
    df["tracking_index"] = df.groupby(level=0).cumcount()
    for column in ("created_at", "modified_at"):
        df[column] = pd.to_datetime(df[column], utc=True, format="ISO8601", errors="coerce")
    return df.reset_index(drop=True)


def pyarrow_way(records: list[dict[str, Any]]) -> Any:
    """Plain pyarrow for the same rows: ``Table.from_pylist`` (type inference over every
    record), then pad and explode the two tracking lists with ``list_flatten`` / ``take``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    table = pa.Table.from_pylist(records)
    numbers, urls = table.column("tracking_numbers"), table.column("tracking_urls")
    n_len = pc.fill_null(pc.list_value_length(numbers), 0).to_numpy()
    u_len = pc.fill_null(pc.list_value_length(urls), 0).to_numpy()
    rows = np.maximum(np.maximum(n_len, u_len), 1)
    parent = np.repeat(np.arange(len(rows)), rows)
    index = np.arange(len(parent)) - np.repeat(np.cumsum(rows) - rows, rows)
    out = table.drop_columns(["tracking_numbers", "tracking_urls"]).take(pa.array(parent))
    for name, lists, lengths in (
        ("tracking_number", numbers, n_len),
        ("tracking_url", urls, u_len),
    ):
        starts = np.repeat(np.cumsum(lengths) - lengths, rows) + index
        valid = index < np.repeat(lengths, rows)
        flat = pc.list_flatten(lists)
        out = out.append_column(name, flat.take(pa.array(np.where(valid, starts, 0), mask=~valid)))
    return out.append_column("tracking_index", pa.array(index))


def load_records(data: Path, batch: int = 10_000) -> list[Any]:
    """The records of an NDJSON file (one API response body per line), parsed ``batch``
    lines at a time as one JSON array with the cyclic GC paused. The input costs what its
    objects cost: no copy of the whole file beside them (``json.loads`` of one 370 MB array
    peaks at 1.5 GB for 1.2 GB of objects), keys shared within a batch as ``json.loads``
    shares them within a document (line by line, 1,000,000 records would carry 10,000,000
    key strings of their own), and no collection passes over a growing heap."""
    records: list[Any] = []
    gc.disable()
    try:
        with data.open("rb") as source:
            while lines := list(itertools.islice(source, batch)):
                records += json.loads(b"[" + b",".join(lines) + b"]")
    finally:
        gc.enable()
    return records


def write_store(records: list[dict[str, Any]], path: Path) -> None:
    """The records' record table as table ``records`` of a new DuckDB file."""
    import duckdb

    from fulfillkit.frames import record_table

    stored = record_table(records)
    with duckdb.connect(str(path)) as con:
        con.register("stored", stored)
        con.execute("create table records as select * from stored")


def store_frame(path: Path, limit: int | None = None) -> Any:
    """The frame of the records stored by :func:`write_store`, as a store reads it: open,
    stream the record table as Arrow batches, lay it out, close."""
    import duckdb

    from fulfillkit.frames import frame_from_record_table
    from fulfillkit.frames.records import CHUNK

    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("SET TimeZone='UTC'")
        stored = con.table("records")
        return frame_from_record_table(
            (stored if limit is None else stored.limit(limit)).arrow(CHUNK)
        )


def prepared(approach: str, records: list[Any]) -> tuple[list[Any], Callable[[Any], Any]]:
    """The input and the call of a records approach (models validated, remote data
    stripped for the plain pandas and pyarrow ways), before the clock starts."""
    if approach == "models":
        from fulfillkit.frames import to_frame
        from fulfillkit.models import FULFILLMENT_ADAPTER

        models = [FULFILLMENT_ADAPTER.validate_python(r) for r in records]
        return models, partial(to_frame, remote_data=False)
    if approach in ("pandas", "pyarrow"):
        plain = [{k: v for k, v in r.items() if k != "remote_data"} for r in records]
        return plain, pandas_way if approach == "pandas" else pyarrow_way
    if approach == "to_arrow":
        from fulfillkit.frames import to_arrow

        return records, partial(to_arrow, remote_data=False)
    from fulfillkit.frames import to_frame

    if approach == "remote":
        return records, to_frame  # remote data kept: what a store synced with it gives
    return records, partial(to_frame, remote_data=False)


def worker(approach: str, data: Path) -> dict[str, Any]:
    """One timed run in this (fresh) process."""
    given: Any
    run: Callable[[Any], Any]
    if approach == "store":  # data is the DuckDB file: this process never holds the records
        given, run = data, store_frame
        store_frame(data, limit=200)  # the same warm-up as the others
    else:
        given, run = prepared(approach, load_records(data))
        run(given[:200])  # warm up lazy imports and first-use setup, as in a notebook
    gc.collect()
    before_kb = rss_kb("VmRSS")
    loaded_kb = rss_kb("VmHWM")
    reset_peak_rss()
    start = time.perf_counter()
    frame = run(given)
    seconds = time.perf_counter() - start
    after_kb = rss_kb("VmHWM")
    return {
        "approach": approach,
        "seconds": seconds,
        "rows": frame.num_rows if hasattr(frame, "num_rows") else len(frame),
        "columns": frame.num_columns if hasattr(frame, "num_columns") else frame.shape[1],
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if loaded_kb is None or after_kb is None
        else max(loaded_kb, after_kb) / 1024,
        "growth_mb": None
        if before_kb is None or after_kb is None
        else (after_kb - before_kb) / 1024,
    }


def run_worker(approach: str, data: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", approach, "--data", str(data)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _growth(runs: list[dict[str, Any]]) -> str:
    grown = [r["growth_mb"] for r in runs if r["growth_mb"] is not None]
    return f"{max(grown):.0f}" if grown else "n/a"


def _table(title: str, runs: dict[str, list[dict[str, Any]]], base: str) -> str:
    """One block of the printed table: per approach, times, memory, and the time ratio
    ``base / approach`` (how many times faster than ``base``)."""
    median = {a: statistics.median(r["seconds"] for r in rs) for a, rs in runs.items()}
    lines = [
        title,
        f"{'approach':<12}{'median s':>10}{'min s':>9}{'ratio':>8}{'peak MB':>10}"
        f"{'growth MB':>11}{'columns':>9}",
    ]
    for approach, rs in runs.items():
        lines.append(
            f"{approach:<12}{median[approach]:>10.3f}{min(r['seconds'] for r in rs):>9.3f}"
            f"{median[base] / median[approach]:>7.2f}x{max(r['peak_mb'] for r in rs):>10.0f}"
            f"{_growth(rs):>11}{rs[0]['columns']:>9}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="fulfillments (default 100000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per approach (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-arrow", action="store_true", help="skip to_arrow vs pyarrow.Table.from_pylist"
    )
    parser.add_argument(
        "--no-store", action="store_true", help="skip the frame from a DuckDB record table"
    )
    parser.add_argument(
        "--worker",
        choices=APPROACHES
        + ARROW_APPROACHES
        + STORE_APPROACHES
        + REMOTE_APPROACHES
        + MODEL_APPROACHES,
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, args.data)))
        return 0

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from fulfillkit.sandbox import make_dataset

    approaches = (
        APPROACHES
        + (() if args.no_arrow else ARROW_APPROACHES)
        + (() if args.no_store else STORE_APPROACHES + REMOTE_APPROACHES)
    )
    print(f"generating {args.n:,} sandbox fulfillments (seed {args.seed})...", flush=True)
    records = make_dataset(args.n, seed=args.seed).fulfillments
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "records.ndjson"
        with data.open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(record) + "\n" for record in records)
        store = Path(tmp) / "records.duckdb"
        if not args.no_store:
            print("storing their record table in DuckDB...", flush=True)
            write_store(records, store)
        del records
        runs: dict[str, list[dict[str, Any]]] = {a: [] for a in approaches}
        for i in range(args.repeats):
            order = approaches if i % 2 == 0 else approaches[::-1]
            for approach in order:
                result = run_worker(approach, store if approach == "store" else data)
                runs[approach].append(result)
                print(f"  run {i + 1} {approach:<10} {result['seconds']:.3f} s", flush=True)

    rows = {a: {r["rows"] for r in runs[a]} for a in approaches}
    if len({frozenset(r) for r in rows.values()}) != 1:
        print(f"row counts differ: {rows}", file=sys.stderr)
        return 1
    print()
    print(
        f"{args.n:,} fulfillments -> {rows['fulfillkit'].pop():,} rows, median of "
        f"{args.repeats} runs each, one process per run (python {sys.version.split()[0]})"
    )
    frame_runs = {a: runs[a] for a in APPROACHES}
    print(_table("DataFrame (ratio: pandas way / this)", frame_runs, "pandas"))
    if not args.no_arrow:
        arrow_runs = {a: runs[a] for a in ARROW_APPROACHES}
        print()
        print(_table("Arrow table (ratio: pyarrow way / this)", arrow_runs, "pyarrow"))
    if not args.no_store:
        store_runs = {a: runs[a] for a in ("remote", "store")}
        print()
        print(
            _table(
                "From a DuckDB record table, remote data kept (ratio: to_frame / this)",
                store_runs,
                "remote",
            )
        )
        print(_store_ratios(runs["store"], runs["remote"]))
    return 0


def _store_ratios(store: list[dict[str, Any]], dicts: list[dict[str, Any]]) -> str:
    """Issue 19's two targets, as store / dicts: median time (at most 0.3x) and peak
    memory (below 1x)."""
    seconds = statistics.median(r["seconds"] for r in store) / statistics.median(
        r["seconds"] for r in dicts
    )
    peak = max(r["peak_mb"] for r in store) / max(r["peak_mb"] for r in dicts)
    return (
        f"store / to_frame from dicts: time {seconds:.2f}x (target <= 0.30x), "
        f"peak memory {peak:.2f}x (target < 1x)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
