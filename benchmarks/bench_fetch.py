"""One timed batch fetch against a running sandbox server, in this (fresh) process.

    python benchmarks/bench_fetch.py --approach fulfillkit --url URL --ids ids.txt

Approaches:

* ``fulfillkit``: ``fk.AsyncClient(...).get_many(ids, progress=False)`` (validated
  :class:`~fulfillkit.Fulfillment` records, retries, pacing, error accounting);
* ``httpx``: a bare ``httpx.AsyncClient`` with a pool of ``concurrency`` connections, an
  ``asyncio.Semaphore`` and ``response.json()``: the transport's own floor.

The official SDK runs in its own virtualenv: see ``bench_sdk.py``.

A warm-up batch (``--warmup`` ids, default one per connection) opens the pool before the
clock starts, the same for both approaches. Prints one JSON line: wall seconds, CPU seconds
of this process (``time.process_time``: the client's own cost per request, which the
server's latency does not hide) and how many records came back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from _common import bare_httpx

APPROACHES = ("fulfillkit", "httpx")


async def _fulfillkit(
    url: str, ids: list[str], warm: list[str], concurrency: int, key: str, token: str
) -> tuple[int, float, float]:
    import fulfillkit as fk

    async with fk.AsyncClient(
        key, connection_token=token, base_url=url, max_concurrency=concurrency
    ) as client:
        await client.get_many(warm, progress=False)
        start, cpu = time.perf_counter(), time.process_time()
        batch = await client.get_many(ids, progress=False)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return len(batch.fulfillments), wall, cpu


async def _httpx(
    url: str, ids: list[str], warm: list[str], concurrency: int, key: str, token: str
) -> tuple[int, float, float]:
    async with bare_httpx(url, concurrency, key, token) as fetch:
        await fetch(warm)
        start, cpu = time.perf_counter(), time.process_time()
        records = await fetch(ids)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return sum(1 for r in records if r), wall, cpu


def main(argv: list[str] | None = None) -> int:
    """Run one approach once and print its JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--approach", choices=APPROACHES, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--ids", type=Path, required=True, help="one id per line")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=None, help="ids fetched before timing")
    args = parser.parse_args(argv)

    from fulfillkit.sandbox import SANDBOX_API_KEY, SANDBOX_CONNECTION_TOKEN

    ids = args.ids.read_text().split()
    warm = ids[: args.concurrency if args.warmup is None else args.warmup]
    run = _fulfillkit if args.approach == "fulfillkit" else _httpx
    ok, wall, cpu = asyncio.run(
        run(args.url, ids, warm, args.concurrency, SANDBOX_API_KEY, SANDBOX_CONNECTION_TOKEN)
    )
    print(json.dumps({"approach": args.approach, "ok": ok, "seconds": wall, "cpu": cpu}))
    return 0 if ok == len(ids) else 1


if __name__ == "__main__":
    sys.exit(main())
