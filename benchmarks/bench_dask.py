"""Dask scale-out: 4 partitions against 1, under a rate-limited sandbox in its own process.

The sandbox answers in 50 ms and allows 300 requests per second; the global budget given
to :func:`fulfillkit.dask.read_fulfillments` is the same 300/s, divided among the
partitions. One partition is latency-bound (8 requests in flight: about 160/s); four are
bound by the shared budget. Prints the median of alternating runs and the speed-up.

    python benchmarks/bench_dask.py [--ids 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from dask.base import compute

from fulfillkit.dask import errors_of, read_fulfillments
from fulfillkit.sandbox import SANDBOX_API_KEY, SANDBOX_CONNECTION_TOKEN, make_dataset

LIMIT = (300, 1.0)


def _run(url: str, ids: list[str], partitions: int) -> float:
    options = {
        "api_key": SANDBOX_API_KEY,
        "connection_token": SANDBOX_CONNECTION_TOKEN,
        "base_url": url,
        "max_concurrency": 8,
    }
    df = read_fulfillments(ids, npartitions=partitions, client_options=options, rate_limit=LIMIT)
    started = time.perf_counter()
    # As many threads as partitions: the budget is divided by the partitions running at once.
    frame, errors = compute(  # type: ignore[no-untyped-call]
        df, errors_of(df), scheduler="threads", num_workers=partitions
    )
    elapsed = time.perf_counter() - started
    assert len(errors) == 0
    assert frame["id"].nunique() == len(ids)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ids", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fulfillkit.sandbox",
            "--port",
            "0",
            "--latency",
            "0.05",
            "--n",
            str(args.ids),
            "--rate-limit",
            f"{LIMIT[0]}/{LIMIT[1]:g}",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        ids = make_dataset(args.ids).fulfillment_ids
        times: dict[int, list[float]] = {1: [], 4: []}
        for _ in range(args.runs):
            for partitions in (1, 4):
                times[partitions].append(_run(url, ids, partitions))
                time.sleep(LIMIT[1])  # let the server's window reset between runs
        one, four = (statistics.median(times[p]) for p in (1, 4))
        print(f"{args.ids} ids, 50 ms latency, sandbox and global budget {LIMIT[0]}/s")
        print(f"  1 partition : {one:6.2f} s")
        print(f"  4 partitions: {four:6.2f} s   speed-up {one / four:.2f}x")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
