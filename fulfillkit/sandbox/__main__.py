"""``python -m fulfillkit.sandbox``: serve the sandbox in its own process (for benchmarks).

Prints the base URL as the first line of stdout, then serves until killed::

    python -m fulfillkit.sandbox --port 0 --latency 0.05 --n 1000
"""

from __future__ import annotations

import argparse
import sys

from fulfillkit.sandbox.faults import Faults
from fulfillkit.sandbox.server import serve

__all__ = ["main"]


def _rate_limit(text: str) -> tuple[int, float]:
    count, _, window = text.partition("/")
    try:
        return int(count), float(window or 60)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected LIMIT/SECONDS such as 100/60, got {text!r}"
        ) from exc


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m fulfillkit.sandbox", description="Serve the embedded Panora sandbox."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000, help="0 picks a free port")
    parser.add_argument("--n", type=int, default=1000, help="fulfillments it holds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--rate-limit", type=_rate_limit, help="LIMIT/SECONDS, e.g. 100/60")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of faulty ids")
    args = parser.parse_args(argv)
    faults = Faults(rate=args.fault_rate, seed=args.seed) if args.fault_rate else None

    def ready(url: str) -> None:
        sys.stdout.write(url + "\n")
        sys.stdout.flush()

    serve(
        port=args.port,
        host=args.host,
        ready=ready,
        n=args.n,
        seed=args.seed,
        latency=args.latency,
        rate_limit=args.rate_limit,
        faults=faults,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
