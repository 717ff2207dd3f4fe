"""The ``fulfillkit`` command: ``demo``, ``fetch``, ``report`` and ``sandbox``.

``fulfillkit demo`` is the whole job against the embedded sandbox (no credentials, no
network beyond loopback); ``fulfillkit fetch`` is the same job against the real API with
the environment's credentials.

Exit codes: 0 success; 1 some ids failed (``fetch``); 2 bad usage or configuration.

Example:
    $ fulfillkit demo --out build/demo
    $ PANORA_API_KEY=... PANORA_CONNECTION_TOKEN=... fulfillkit fetch ids.txt -o out.parquet
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from fulfillkit.errors import FulfillkitError

__all__ = ["main"]

EXPORT_SUFFIXES = (".parquet", ".csv", ".csv.gz")


def _read_ids(source: str, stdin: TextIO) -> list[str]:
    """Ids one per line; blank lines and ``#`` comments skipped; ``-`` reads stdin."""
    if source == "-":
        lines = stdin.read().splitlines()
    else:
        lines = Path(source).read_text(encoding="utf-8").splitlines()
    return [s for s in (line.strip() for line in lines) if s and not s.startswith("#")]


def _print_summary(batch: object, elapsed: float, out: TextIO) -> None:
    from fulfillkit.fetch.results import BatchResult

    assert isinstance(batch, BatchResult)
    rate = batch.requested / elapsed if elapsed > 0 else float("inf")
    out.write(
        f"fetched {len(batch)} of {batch.requested} distinct ids in {elapsed:.2f} s "
        f"({rate:.0f} ids/s); {len(batch.errors)} errors"
    )
    if batch.errors:
        kinds = ", ".join(f"{k}: {n}" for k, n in batch.error_counts().items())
        out.write(f" ({kinds})")
    out.write("\n")
    for error in batch.errors[:5]:
        out.write(f"  {error.id}: {error.kind} (HTTP {error.status}) {error.message}\n")
    if len(batch.errors) > 5:
        out.write(f"  ... and {len(batch.errors) - 5} more\n")


def _cmd_demo(args: argparse.Namespace) -> int:
    from fulfillkit.frames import export

    from .client import Client
    from .reports import carrier_report, format_carrier_report
    from .sandbox import (
        FAST_RATE_LIMIT,
        SANDBOX_API_KEY,
        SANDBOX_CONNECTION_TOKEN,
        Faults,
        SandboxApp,
        SandboxServer,
        make_dataset,
    )

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    dataset = make_dataset(max(args.n, 1000), seed=args.seed)
    faults = Faults(rate=args.fault_rate, kinds=("503", "429", "502", "drop"), seed=args.seed)
    app = SandboxApp(dataset, latency=args.latency, faults=faults, rate_limit=FAST_RATE_LIMIT)
    rng = uuid.UUID(int=args.seed)  # deterministic ids that the sandbox does not hold
    unknown = [str(uuid.uuid5(rng, f"missing-{i}")) for i in range(3)]
    ids = [*dataset.fulfillment_ids[: args.n], *unknown, dataset.fulfillment_ids[0]]
    with SandboxServer(app) as server:
        print(
            f"sandbox Panora serving on {server.url} (latency {args.latency * 1000:.0f} ms, "
            f"{args.fault_rate:.0%} transient faults)"
        )
        print(
            f"fetching {len(ids)} ids ({len(set(ids))} distinct, 3 unknown) "
            f"with {args.concurrency} concurrent requests"
        )
        with Client(
            SANDBOX_API_KEY,
            connection_token=SANDBOX_CONNECTION_TOKEN,
            base_url=server.url,
            max_concurrency=args.concurrency,
        ) as client:
            started = time.perf_counter()
            batch = client.get_many(ids, remote_data=True)
            elapsed = time.perf_counter() - started
    _print_summary(batch, elapsed, sys.stdout)
    print(
        f"server saw {app.stats.requests} requests; "
        f"faults injected and retried: {dict(faults.injected)}"
    )
    frame = batch.to_frame(remote_data=True)
    print(f"\nframe: {len(frame)} rows x {frame.shape[1]} columns (one row per tracking number)\n")
    print(format_carrier_report(carrier_report(frame)))
    parquet = export(frame, out_dir / "fulfillments.parquet")
    csv = export(frame, out_dir / "fulfillments.csv")
    print(f"\nwrote {parquet}\nwrote {csv}")
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from fulfillkit.frames import export

    from .client import Client

    output = Path(args.output)
    if not any(output.name.endswith(s) for s in EXPORT_SUFFIXES):
        raise FulfillkitError(f"-o must end in one of {', '.join(EXPORT_SUFFIXES)}: {output}")
    ids = _read_ids(args.ids_file, sys.stdin)
    if not ids:
        raise FulfillkitError(f"no ids in {args.ids_file}")
    with Client(max_concurrency=args.concurrency) as client:
        started = time.perf_counter()
        batch = client.get_many(ids, remote_data=args.remote_data)
        elapsed = time.perf_counter() - started
    _print_summary(batch, elapsed, sys.stderr)
    path = export(batch.to_frame(remote_data=args.remote_data), output)
    print(f"wrote {path}", file=sys.stderr)
    if args.errors and batch.errors:
        print(f"wrote {export(batch.errors_frame(), args.errors)}", file=sys.stderr)
    return 0 if batch.ok else 1


def _cmd_report(args: argparse.Namespace) -> int:
    from fulfillkit.frames import read_frame

    from .reports import carrier_report, format_carrier_report

    print(format_carrier_report(carrier_report(read_frame(args.file))))
    return 0


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from .sandbox.__main__ import run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="fulfillkit", description="Panora fulfillments to pandas, CSV and Parquet."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the whole job against the embedded sandbox")
    demo.add_argument("--out", default="build/demo", help="output folder")
    demo.add_argument("--n", type=int, default=300, help="fulfillments to fetch")
    demo.add_argument("--concurrency", type=int, default=16)
    demo.add_argument("--latency", type=float, default=0.02, help="sandbox latency, seconds")
    demo.add_argument("--fault-rate", type=float, default=0.05, help="transient fault share")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_cmd_demo)

    fetch = sub.add_parser("fetch", help="fetch ids from Panora into CSV or Parquet")
    fetch.add_argument("ids_file", help="file with one id per line, or - for stdin")
    fetch.add_argument("-o", "--output", required=True, help="out.parquet, out.csv or .csv.gz")
    fetch.add_argument("--remote-data", action="store_true", help="include remote_data")
    fetch.add_argument("--concurrency", type=int, default=8)
    fetch.add_argument("--errors", help="also write the failed ids to this CSV/Parquet file")
    fetch.set_defaults(func=_cmd_fetch)

    report = sub.add_parser("report", help="print the carrier report of an export")
    report.add_argument("file", help="a .parquet or .csv written by fulfillkit")
    report.set_defaults(func=_cmd_report)

    from .sandbox.__main__ import add_arguments as add_sandbox_arguments

    sandbox = sub.add_parser("sandbox", help="serve the embedded Panora sandbox")
    add_sandbox_arguments(sandbox)  # one option set, shared with python -m fulfillkit.sandbox
    sandbox.set_defaults(func=_cmd_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fulfillkit`` command."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except FulfillkitError as exc:
        print(f"fulfillkit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fulfillkit: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
