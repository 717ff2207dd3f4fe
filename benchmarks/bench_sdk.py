"""One timed batch fetch with the official SDK, ``panora-sdk`` 0.7.0, in its own virtualenv.

    benchmarks/.sdk-venv/bin/python benchmarks/bench_sdk.py --url URL --ids ids.txt \
        --key KEY --token TOKEN

The SDK pins older httpx and pydantic than fulfillkit, so it runs in
``benchmarks/.sdk-venv`` (``run.py`` creates it) and this script imports nothing from
fulfillkit. ``Panora(api_key=..., server_url=...)`` with its default ``httpx.AsyncClient``,
then ``ecommerce.fulfillments.retrieve_async(x_connection_token=..., id=...)`` for every
id under an ``asyncio.Semaphore``. A warm-up batch opens connections before the clock
starts, as for the other approaches. Prints one JSON line like ``bench_fetch.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any


async def _sdk(
    url: str, ids: list[str], warm: list[str], concurrency: int, key: str, token: str
) -> tuple[int, float, float]:
    from panora_sdk import Panora  # type: ignore[import-not-found, unused-ignore]

    sdk: Any = Panora(api_key=key, server_url=url)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(record_id: str) -> Any:
        async with semaphore:
            return await sdk.ecommerce.fulfillments.retrieve_async(
                x_connection_token=token, id=record_id
            )

    await asyncio.gather(*(one(i) for i in warm))
    start, cpu = time.perf_counter(), time.process_time()
    records = await asyncio.gather(*(one(i) for i in ids))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return sum(1 for r in records if r is not None), wall, cpu


def main(argv: list[str] | None = None) -> int:
    """Run the SDK once and print its JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--ids", type=Path, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=None)
    args = parser.parse_args(argv)
    ids = args.ids.read_text().split()
    warm = ids[: args.concurrency if args.warmup is None else args.warmup]
    ok, wall, cpu = asyncio.run(_sdk(args.url, ids, warm, args.concurrency, args.key, args.token))
    print(json.dumps({"approach": "sdk", "ok": ok, "seconds": wall, "cpu": cpu}))
    return 0 if ok == len(ids) else 1


if __name__ == "__main__":
    sys.exit(main())
