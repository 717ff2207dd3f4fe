"""Helpers shared by the benchmark scripts: fresh worker subprocesses, peak memory, the
sandbox server in its own process, medians.

Every measured run happens in a fresh subprocess that prints one JSON line (its last line
of stdout) with what it measured, so one approach's imports, caches and heap never affect
another's, and ``ru_maxrss`` is the peak of that run alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "ROOT",
    "median",
    "peak_rss_mb",
    "reset_peak_rss",
    "rss_kb",
    "run_json",
    "sandbox_server",
]

ROOT = Path(__file__).resolve().parent.parent
"""The repository root (the folder holding ``fulfillkit/``)."""


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB since it started (or since
    :func:`reset_peak_rss`).

    Linux ``VmHWM``, not ``ru_maxrss``: a child started by ``subprocess`` inherits the
    parent's peak in ``ru_maxrss`` across ``exec`` (a 1 GB parent made every worker
    report 961 MB), while ``VmHWM`` belongs to the new address space. ``ru_maxrss``
    (KiB) elsewhere.
    """
    hwm = rss_kb("VmHWM")
    if hwm is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return hwm / 1024


def reset_peak_rss() -> float:
    """Linux: reset the peak RSS (``VmHWM``) so that set-up does not hide the measured
    peak; return the peak before the reset in MiB (keep it: the process's overall peak is
    the larger of the two). A no-op elsewhere."""
    before = peak_rss_mb()
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return before


def rss_kb(field: str) -> int | None:
    """``VmRSS`` (now) or ``VmHWM`` (peak since the last reset) in KiB; ``None`` off Linux."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return None


def run_json(argv: Sequence[str], *, timeout: float = 600.0) -> dict[str, Any]:
    """Run ``argv`` as a fresh process and return the JSON object on its last stdout line.

    Raises :class:`RuntimeError` with the worker's stderr when it fails.
    """
    env = {**os.environ, "PYTHONHASHSEED": "0", "TQDM_DISABLE": "1"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    out = subprocess.run(
        list(argv), capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])}... failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@contextlib.contextmanager
def sandbox_server(*, latency: float, n: int, python: str = sys.executable) -> Iterator[str]:
    """Serve the sandbox with uvicorn in its own process; yield its base URL; kill it.

    The sandbox uses its fast window (``FAST_RATE_LIMIT``, 10,000 requests per second):
    every answer carries the ``X-RateLimit-*`` headers the client reads, as Panora's do,
    but nothing waits (``bench_dask.py`` sets its own limit: it measures the budget)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            python,
            "-m",
            "fulfillkit.sandbox",
            "--port",
            "0",
            "--latency",
            str(latency),
            "--n",
            str(n),
            "--rate-limit",
            "10000/1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"sandbox server did not start (printed {url!r})")
        time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def median(values: Sequence[float]) -> float:
    """The median (``nan`` for no values)."""
    return statistics.median(values) if values else float("nan")


@contextlib.asynccontextmanager
async def bare_httpx(
    url: str, concurrency: int, key: str, token: str
) -> AsyncIterator[Callable[[list[str]], Awaitable[list[Any]]]]:
    """The naive client the benchmarks compare with: one ``httpx.AsyncClient``, a
    semaphore, ``response.json()``. Yields ``fetch(ids) -> records``."""
    import httpx

    headers = {"x-api-key": key, "x-connection-token": token, "accept": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=30.0
    ) as client:
        semaphore = asyncio.Semaphore(concurrency)

        async def one(record_id: str) -> Any:
            async with semaphore:
                response = await client.get(f"/ecommerce/fulfillments/{record_id}")
                response.raise_for_status()
                return response.json()

        async def fetch(ids: list[str]) -> list[Any]:
            return list(await asyncio.gather(*(one(i) for i in ids)))

        yield fetch
