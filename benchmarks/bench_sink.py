"""Ids to Parquet against a running sandbox server, in this (fresh) process.

    python benchmarks/bench_sink.py --mode sink --url URL --ids ids.txt --out out.parquet

Modes (each prints one JSON line: seconds, peak RSS, growth of the resident set while
fetching, records written):

* ``sink``: ``get_many(ids, sink=out)``: records stream to Parquet in row groups;
* ``memory``: ``get_many(ids)`` then ``fk.export(batch.to_frame(), out)``: every record
  held, then one frame;
* ``pandas``: bare ``httpx`` (semaphore, ``response.json()``), then the pandas way
  (``bench_frame.pandas_way``) and ``DataFrame.to_parquet``: what a notebook would do.

``sink`` needs ``get_many(..., sink=...)``; without it the line says ``skipped``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import json
import sys
import time
from pathlib import Path
from typing import Any

from _common import bare_httpx, peak_rss_mb, reset_peak_rss, rss_kb

MODES = ("sink", "memory", "pandas")


async def _fulfillkit(url: str, ids: list[str], out: Path, sink: bool, concurrency: int) -> int:
    import fulfillkit as fk
    from fulfillkit.sandbox import SANDBOX_API_KEY, SANDBOX_CONNECTION_TOKEN

    async with fk.AsyncClient(
        SANDBOX_API_KEY,
        connection_token=SANDBOX_CONNECTION_TOKEN,
        base_url=url,
        max_concurrency=concurrency,
    ) as client:
        if sink:
            get_many: Any = client.get_many
            batch = await get_many(ids, progress=False, sink=out)
            written = int(batch.written)
        else:
            batch = await client.get_many(ids, progress=False)
            fk.export(batch.to_frame(), out)
            written = len(batch.fulfillments)
    return written


async def _pandas(url: str, ids: list[str], out: Path, concurrency: int) -> int:
    from bench_frame import pandas_way

    from fulfillkit.sandbox import SANDBOX_API_KEY, SANDBOX_CONNECTION_TOKEN

    async with bare_httpx(url, concurrency, SANDBOX_API_KEY, SANDBOX_CONNECTION_TOKEN) as fetch:
        records = await fetch(ids)
    df = pandas_way([{k: v for k, v in r.items() if k != "remote_data"} for r in records])
    df.to_parquet(out, index=False)
    return len(records)


def main(argv: list[str] | None = None) -> int:
    """Run one mode once and print its JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=MODES, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--ids", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)

    import fulfillkit as fk

    if args.mode == "sink" and "sink" not in inspect.signature(fk.AsyncClient.get_many).parameters:
        print(json.dumps({"mode": args.mode, "skipped": "get_many(sink=...) not wired"}))
        return 0
    import pandas  # noqa: F401  - imported before the clock, by every mode alike
    import pyarrow.parquet  # noqa: F401

    ids = args.ids.read_text().split()
    gc.collect()
    before = rss_kb("VmRSS")
    set_up_peak = reset_peak_rss()
    start = time.perf_counter()
    if args.mode == "pandas":
        written = asyncio.run(_pandas(args.url, ids, args.out, args.concurrency))
    else:
        written = asyncio.run(
            _fulfillkit(args.url, ids, args.out, args.mode == "sink", args.concurrency)
        )
    seconds = time.perf_counter() - start
    after = rss_kb("VmHWM")
    print(
        json.dumps(
            {
                "mode": args.mode,
                "seconds": seconds,
                "written": written,
                "peak_mb": max(set_up_peak, peak_rss_mb()),
                "growth_mb": None if before is None or after is None else (after - before) / 1024,
                "file_mb": sum(
                    p.stat().st_size
                    for p in (args.out.rglob("*") if args.out.is_dir() else [args.out])
                )
                / 2**20,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
