"""The sandbox's one command line: ``python -m fulfillkit.sandbox`` and ``fulfillkit sandbox``.

Both parse the same options (:func:`add_arguments`) and serve the same way (:func:`run`).
The base URL is printed as the first line of stdout, the credentials as environment
variable lines on stderr (``PANORA_API_KEY=...``, ``PANORA_CONNECTION_TOKEN=...``,
``PANORA_BASE_URL=...``), then the sandbox serves until killed::

    python -m fulfillkit.sandbox --port 0 --latency 0.05 --n 1000
    fulfillkit sandbox --rate-limit off --now 2026-02-01 --clock-speed 1

It throttles like Panora (100 requests per 60 s) unless told otherwise: ``--rate-limit
LIMIT/SECONDS``, ``--rate-limit off``, or the ``FULFILLKIT_SANDBOX_RATE_LIMIT`` variable.
Its shop lives: ``--now`` starts the clock later than the dataset's default now,
``--clock-speed`` lets it run (days per minute), and ``POST /_sandbox/advance?days=N``
(with the API key) moves it forward.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from fulfillkit.sandbox.dataset import DEFAULT_N, DEFAULT_SEED

__all__ = ["add_arguments", "main", "run"]


def _rate_limit(text: str) -> tuple[int, float] | Literal["default"] | None:
    from fulfillkit.sandbox.ratelimit import parse_rate_limit

    if text == "default":  # argparse runs string defaults through ``type`` too
        return "default"
    try:
        return parse_rate_limit(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _now(text: str) -> datetime:
    from fulfillkit.sandbox.clock import parse_now

    try:
        return parse_now(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _clock_speed(text: str) -> float:
    try:
        speed = float(text)
    except ValueError:
        speed = -1.0
    if not 0 <= speed < float("inf"):
        raise argparse.ArgumentTypeError(f"expected days per minute >= 0, got {text!r}")
    return speed


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
    parser.add_argument(
        "--n", type=int, default=DEFAULT_N, help=f"fulfillments it holds (default {DEFAULT_N})"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--now",
        type=_now,
        default=None,
        metavar="ISO-DATE",
        help="start the clock here (UTC unless an offset is given; default: when exactly "
        "--n fulfillments exist); new ones appear and open ones move as it advances",
    )
    parser.add_argument(
        "--clock-speed",
        type=_clock_speed,
        default=0.0,
        metavar="DAYS_PER_MINUTE",
        help="let the clock run (default 0: it moves only with POST /_sandbox/advance?days=N)",
    )
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
    """Serve the sandbox ``args`` describe until interrupted; print its URL first, then
    its credentials on stderr. A ``--now`` before the dataset's default now: one line on
    stderr, exit 2."""
    from fulfillkit.sandbox.app import SANDBOX_API_KEY, SANDBOX_CONNECTION_TOKEN, SandboxApp
    from fulfillkit.sandbox.faults import Faults
    from fulfillkit.sandbox.server import serve

    faults = Faults(rate=args.fault_rate, seed=args.seed) if args.fault_rate else None
    try:
        app = SandboxApp(
            n=args.n,
            seed=args.seed,
            now=args.now,
            clock_speed=args.clock_speed,
            latency=args.latency,
            rate_limit=args.rate_limit,
            faults=faults,
        )
    except ValueError as exc:
        sys.stderr.write(f"fulfillkit sandbox: error: {exc}\n")
        return 2

    def ready(url: str) -> None:
        sys.stdout.write(url + "\n")
        sys.stdout.flush()
        sys.stderr.write(
            f"PANORA_API_KEY={SANDBOX_API_KEY}\n"
            f"PANORA_CONNECTION_TOKEN={SANDBOX_CONNECTION_TOKEN}\n"
            f"PANORA_BASE_URL={url}\n"
        )
        sys.stderr.flush()

    serve(port=args.port, host=args.host, ready=ready, app=app)
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
