"""The sandbox's one command line: ``python -m fulfillkit.sandbox`` and ``fulfillkit sandbox``.

Both parse the same options (:func:`add_arguments`) and serve the same way (:func:`run`).
The base URL is printed as the first line of stdout, then the sandbox serves until killed::

    python -m fulfillkit.sandbox --port 0 --latency 0.05 --n 1000
    fulfillkit sandbox --rate-limit off

It throttles like Panora (100 requests per 60 s) unless told otherwise: ``--rate-limit
LIMIT/SECONDS``, ``--rate-limit off``, or the ``FULFILLKIT_SANDBOX_RATE_LIMIT`` variable.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Literal

__all__ = ["add_arguments", "main", "run"]


def _rate_limit(text: str) -> tuple[int, float] | Literal["default"] | None:
    from fulfillkit.sandbox.ratelimit import parse_rate_limit

    if text == "default":  # argparse runs string defaults through ``type`` too
        return "default"
    try:
        return parse_rate_limit(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox's options to ``parser`` (shared by both command lines).

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> add_arguments(parser)
        >>> parser.parse_args(["--rate-limit", "5/1"]).rate_limit
        (5, 1.0)
    """
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000, help="0 picks a free port")
    parser.add_argument("--n", type=int, default=1000, help="fulfillments it holds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default="default",
        help="LIMIT/SECONDS such as 100/60, or off (default: $FULFILLKIT_SANDBOX_RATE_LIMIT "
        "if set, else Panora's 100/60)",
    )
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of faulty ids")


def run(args: argparse.Namespace) -> int:
    """Serve the sandbox ``args`` describe until interrupted; print its URL first."""
    from fulfillkit.sandbox.faults import Faults
    from fulfillkit.sandbox.server import serve

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


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m fulfillkit.sandbox", description="Serve the embedded Panora sandbox."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
