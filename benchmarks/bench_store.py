"""What keeping a store costs and saves, against a running sandbox server, in this (fresh)
process.

    python benchmarks/bench_store.py --mode sync --url URL --store shop.duckdb [--refresh none]
    python benchmarks/bench_store.py --mode relist --url URL

Modes (each prints one JSON line: seconds, requests sent, what the run found, peak RSS):

* ``sync``: ``fk.Store(path).sync(client)``: the first run fills the store (requests =
  ceil(n / page size) per resource), later runs list only from the stored cursor and
  re-read what may have changed;
* ``relist``: what a notebook without a store does on every run: list the whole
  connection (``client.list(remote_data=True)``) and build the frame (``fk.to_frame``);
* ``frame``: ``fk.Store(path).to_frame()``: the frame from the stored typed columns, with
  zero requests (compare with ``bench_frame.py --worker fulfillkit`` on the same records).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from _common import peak_rss_mb, reset_peak_rss


def _client(url: str) -> object:
    import fulfillkit as fk
    from fulfillkit.sandbox import SANDBOX_API_KEY, SANDBOX_CONNECTION_TOKEN

    return fk.Client(
        SANDBOX_API_KEY, connection_token=SANDBOX_CONNECTION_TOKEN, base_url=url, rate_limit=None
    )


def sync(url: str, store_path: Path, refresh: str, orders: bool) -> dict[str, object]:
    """One sync into ``store_path``."""
    import fulfillkit as fk

    with _client(url) as client:  # type: ignore[attr-defined]
        started = time.perf_counter()
        report = fk.Store(store_path).sync(
            client,
            refresh=refresh,  # type: ignore[arg-type]
            orders=orders,
            progress=False,
        )
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "requests": report.requests,
        "new": report.new,
        "changed": report.changed,
        "unchanged": report.unchanged,
        "errors": len(report.errors),
        "plans": report.plans,
    }


def relist(url: str) -> dict[str, object]:
    """The whole connection listed and framed, as without a store."""
    import fulfillkit as fk

    with _client(url) as client:  # type: ignore[attr-defined]
        started = time.perf_counter()
        records = list(client.list(remote_data=True, progress=False))
        frame = fk.to_frame(records)
        seconds = time.perf_counter() - started
        requests = client.core.requester.sent
    return {"seconds": seconds, "requests": requests, "records": len(records), "rows": len(frame)}


def frame(store_path: Path) -> dict[str, object]:
    """The store's frame, built from its typed columns (no request)."""
    from _common import rss_kb

    import fulfillkit as fk

    store = fk.Store(store_path)
    before = rss_kb("VmRSS")
    started = time.perf_counter()
    df = store.to_frame()
    seconds = time.perf_counter() - started
    after = rss_kb("VmRSS")
    growth = None if before is None or after is None else (after - before) / 1024
    return {"seconds": seconds, "rows": len(df), "columns": df.shape[1], "growth_mb": growth}


def main(argv: list[str] | None = None) -> int:
    """Run one mode once and print its JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--mode", choices=("sync", "relist", "frame"), required=True)
    parser.add_argument("--url")
    parser.add_argument("--store", type=Path)
    parser.add_argument("--refresh", default="auto")
    parser.add_argument("--no-orders", action="store_true")
    args = parser.parse_args(argv)
    reset_peak_rss()
    if args.mode != "relist" and args.store is None:
        parser.error(f"--mode {args.mode} needs --store")
    if args.mode != "frame" and args.url is None:
        parser.error(f"--mode {args.mode} needs --url")
    if args.mode == "sync":
        result = sync(args.url, args.store, args.refresh, not args.no_orders)
    elif args.mode == "frame":
        result = frame(args.store)
    else:
        result = relist(args.url)
    result.update(mode=args.mode, peak_mb=peak_rss_mb())
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
