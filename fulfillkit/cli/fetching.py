"""``fulfillkit demo`` and ``fulfillkit fetch``: the whole job against the embedded sandbox,
and fulfillments by id (or ``--all``) from Panora into one CSV or Parquet file.

Every output path is checked (missing folders created) before the first request.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from fulfillkit.cli.common import (
    CREDENTIALS,
    PROGRESS,
    PROXY,
    add_connection_options,
    check_connection_options,
    connection_client,
    epilog,
    export_path,
    non_negative,
    positive_int,
    read_ids,
)
from fulfillkit.cli.reporting import carrier_note, severity_counts
from fulfillkit.errors import FulfillkitError
from fulfillkit.paths import output_path

if TYPE_CHECKING:
    from fulfillkit.fetch.results import BatchResult

__all__ = [
    "add_commands",
    "demo_fetch",
    "demo_store",
    "print_summary",
    "run_demo",
    "run_fetch",
]


def print_summary(batch: object, elapsed: float, out: TextIO) -> None:
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


def run_demo(args: argparse.Namespace) -> int:
    from fulfillkit.frames import export
    from fulfillkit.reports import audit, carrier_report, format_carrier_report, report_html

    out_dir = output_path(args.out, what="demo output", folder=True)  # before any request
    batch, source, fetched_at = demo_fetch(args)
    frame = batch.to_frame(remote_data=True)
    print(f"\nframe: {len(frame)} rows x {frame.shape[1]} columns (one row per tracking number)\n")
    report = carrier_report(frame)
    print(format_carrier_report(report))
    print(carrier_note(report))
    findings = audit(frame)
    print(f"\naudit: {severity_counts(findings)}")
    parquet = export(frame, out_dir / "fulfillments.parquet")
    csv = export(frame, out_dir / "fulfillments.csv")
    page = report_html(
        frame,
        out_dir / "carriers.html",
        title="fulfillkit demo: carriers in the sandbox",
        findings=findings,
        source=source,
        fetched_at=fetched_at,
    )
    demo_store(out_dir, seed=args.seed)
    print(f"\nwrote {parquet}\nwrote {csv}\nwrote {page} (open it in a browser)")
    return 0


def demo_store(out_dir: Path, *, seed: int) -> None:
    """Keep the sandbox's shop in a store: sync it, let a week pass in the (living) shop,
    sync again, and print both sync reports and what changed."""
    from fulfillkit.client import Client
    from fulfillkit.sandbox import SandboxApp, make_dataset
    from fulfillkit.store import Store

    path = out_dir / "shop.duckdb"
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)  # the demo's own store: start it afresh each run
    app = SandboxApp(make_dataset(seed=seed), rate_limit=None)
    store = Store(path)
    with Client.sandbox(app=app) as client:
        print(f"\nkeeping the shop in a store: {path}")
        print(store.sync(client, progress=False).text())
        app.advance(days=7)
        print(f"\na week later in the shop ({app.now:%Y-%m-%d}), only what changed is fetched:")
        print(store.sync(client, progress=False).text())
    changes = store.status_changes(since=None)
    moved = changes[changes["from_status"].notna()]
    print(
        f"\n{len(moved)} shipment status changes observed; store.history(id) keeps every "
        "version, store.to_frame() reads it all with zero requests"
    )


def demo_fetch(args: argparse.Namespace) -> tuple[BatchResult, str, datetime]:
    """Serve a faulty sandbox on loopback, fetch ``args.n`` ids from it (plus unknown and
    repeated ones) and print how it went; the batch, the server's URL and when."""
    from fulfillkit.client import Client
    from fulfillkit.sandbox import (
        FAST_RATE_LIMIT,
        SANDBOX_API_KEY,
        SANDBOX_CONNECTION_TOKEN,
        Faults,
        SandboxApp,
        SandboxServer,
        make_dataset,
    )

    dataset = make_dataset(max(args.n, 1000), seed=args.seed)
    faults = Faults(rate=args.fault_rate, kinds=("503", "429", "502", "drop"), seed=args.seed)
    app = SandboxApp(dataset, latency=args.latency, faults=faults, rate_limit=FAST_RATE_LIMIT)
    rng = uuid.UUID(int=args.seed)  # deterministic ids that the sandbox does not hold
    unknown = [str(uuid.uuid5(rng, f"missing-{i}")) for i in range(3)]
    ids = [*dataset.fulfillment_ids[: args.n], *unknown, dataset.fulfillment_ids[0]]
    with SandboxServer(app) as server:
        source = server.url
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
            fetched_at = datetime.now(UTC)
            batch = client.get_many(ids, remote_data=True)
            elapsed = time.perf_counter() - started
    print_summary(batch, elapsed, sys.stdout)
    print(
        f"server saw {app.stats.requests} requests; "
        f"faults injected and retried: {dict(faults.injected)}"
    )
    return batch, source, fetched_at


def run_fetch(args: argparse.Namespace) -> int:
    from fulfillkit.frames import export, to_frame

    if args.all and args.ids_file:
        raise FulfillkitError("give an ids file or --all, not both")
    if not args.all and not args.ids_file:
        raise FulfillkitError(
            "give an ids file (or - for stdin), or --all for the whole connection"
        )
    if args.all and args.checkpoint:
        raise FulfillkitError("--checkpoint resumes a fetch by ids; --all lists the connection")
    check_connection_options(args)  # before anything is read or written
    ids: list[str] = []
    if not args.all:
        try:
            ids = read_ids(args.ids_file, sys.stdin)
        except FileNotFoundError:
            raise FulfillkitError(f"no such file: {args.ids_file}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise FulfillkitError(f"cannot read {args.ids_file}: {exc}") from None
        if not ids:
            raise FulfillkitError(f"no ids in {args.ids_file}")
    # Every output is checked (and its folders made) before the first request: a bad path
    # never costs a fetch. The checkpoint is checked by get_many, before its first request.
    output = output_path(args.output, what="output")
    if args.errors:
        output_path(args.errors, what="errors file")
    with connection_client(args) as client:
        started = time.perf_counter()
        if args.all:
            records = list(client.list(remote_data=args.remote_data))
            elapsed = time.perf_counter() - started
            print(
                f"listed {len(records)} fulfillments in {elapsed:.2f} s from {client.base_url}",
                file=sys.stderr,
            )
            path = export(to_frame(records, remote_data=args.remote_data), output)
            print(f"wrote {path}", file=sys.stderr)
            return 0
        batch = client.get_many(
            ids, remote_data=args.remote_data, checkpoint=args.checkpoint, via=args.via
        )
        elapsed = time.perf_counter() - started
    print_summary(batch, elapsed, sys.stderr)
    path = export(batch.to_frame(remote_data=args.remote_data), output)
    print(f"wrote {path}", file=sys.stderr)
    if args.errors and batch.errors:
        print(f"wrote {export(batch.errors_frame(), args.errors)}", file=sys.stderr)
    return 0 if batch.ok else 1


def add_commands(sub: Any) -> None:
    """Add ``demo`` and ``fetch`` to the sub-command parsers ``sub``."""
    demo = sub.add_parser(
        "demo",
        help="run the whole job against the embedded sandbox",
        description="Serve the embedded sandbox on loopback (with transient faults), fetch "
        "from it, print the carrier report and the audit, and write fulfillments.parquet, "
        "fulfillments.csv and carriers.html to --out; then keep the sandbox's shop in a "
        "store (shop.duckdb), let a week pass and sync again. No credentials, no network.",
        epilog=epilog(PROGRESS),
    )
    demo.add_argument(
        "--out", default="build/demo", help="output folder, created if missing (%(default)s)"
    )
    demo.add_argument(
        "--n", type=positive_int, default=300, help="fulfillments to fetch (%(default)s)"
    )
    demo.add_argument("--concurrency", type=positive_int, default=16, help="(%(default)s)")
    demo.add_argument("--latency", type=non_negative, default=0.02, help="sandbox latency, seconds")
    demo.add_argument("--fault-rate", type=non_negative, default=0.05, help="transient fault share")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=run_demo)

    fetch = sub.add_parser(
        "fetch",
        help="fetch fulfillments from Panora into CSV or Parquet",
        description="Fetch fulfillments by id (or --all of the connection) into one "
        "Parquet or CSV file. Credentials come from the environment (PANORA_API_KEY, "
        "PANORA_CONNECTION_TOKEN; the base URL from --base-url or PANORA_BASE_URL), or, "
        "with --sandbox, from the embedded sandbox, which needs none. Output paths are "
        "checked (missing folders created) before the first request.",
        epilog=epilog(CREDENTIALS, PROGRESS, PROXY),
    )
    fetch.add_argument(
        "ids_file",
        nargs="?",
        help="ids, one per line or separated by commas, semicolons or spaces (# comments "
        "and blank lines skipped); - for stdin",
    )
    fetch.add_argument(
        "-o",
        "--output",
        required=True,
        type=export_path,
        metavar="FILE",
        help="the file to write: .parquet, .csv or .csv.gz",
    )
    fetch.add_argument(
        "--all", action="store_true", help="the whole connection, through the list endpoint"
    )
    add_connection_options(fetch, "fetch from")
    fetch.add_argument("--remote-data", action="store_true", help="include remote_data")
    fetch.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="resume file (JSON Lines): a rerun fetches only what is missing",
    )
    fetch.add_argument(
        "--via",
        choices=("id", "list", "auto"),
        default="id",
        help="id: one request per id (default); list: page the list endpoint; auto: list "
        "then fill in by id",
    )
    fetch.add_argument(
        "--errors",
        type=export_path,
        metavar="FILE",
        help="also write the failed ids here: .parquet, .csv or .csv.gz",
    )
    fetch.set_defaults(func=run_fetch)
