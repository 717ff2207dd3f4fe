"""``fulfillkit sync STORE``: keep a local store of the connection current, from cron.

Credentials come from the environment (``PANORA_API_KEY``, ``PANORA_CONNECTION_TOKEN``;
the base URL from ``--base-url`` or ``PANORA_BASE_URL``), or ``--sandbox`` syncs the
embedded sandbox in-process. The sync report is printed on stdout; the exit code says how
it ended (0 complete or capped by ``--max-requests``, 1 ended with errors, 2 it could not
run at all, 75 the store is busy).

Example:
    $ PANORA_API_KEY=... PANORA_CONNECTION_TOKEN=... fulfillkit sync shop.duckdb
    $ fulfillkit sync shop.duckdb --max-requests 90 --label "EU shop"      # crontab: */5
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Final

from fulfillkit.cli.common import (
    CREDENTIALS,
    PROGRESS,
    PROXY,
    add_connection_options,
    connection_client,
    epilog,
    non_negative,
    positive_int,
)
from fulfillkit.errors import StoreBusyError

__all__ = ["SYNC_BUSY", "SYNC_WITH_ERRORS", "add_commands", "run_sync"]

SYNC_WITH_ERRORS: Final = 1
"""The sync ran to its end but some ids (or a listing) failed: they are in the report."""
SYNC_BUSY: Final = 75
"""Another process holds the store (``EX_TEMPFAIL``: a cron job simply runs again)."""


def run_sync(args: argparse.Namespace) -> int:
    """Sync the store ``args.store`` with the environment's connection (or the sandbox)."""
    from fulfillkit.store import Store

    store = Store(args.store, busy_timeout=args.busy_timeout)  # path checked before any request
    with connection_client(args) as client:
        try:
            report = store.sync(
                client,
                orders=not args.no_orders,
                refresh=args.refresh,
                refresh_days=args.refresh_days,
                full=args.full,
                max_requests=args.max_requests,
                page_size=args.page_size,
                label=args.label,
            )
        except StoreBusyError as exc:
            print(f"fulfillkit: store busy: {exc}", file=sys.stderr)
            return SYNC_BUSY
    print(report.text())
    return 0 if not report.errors and report.outcome != "failed" else SYNC_WITH_ERRORS


def add_commands(sub: Any) -> None:
    """Add ``sync`` to the sub-command parsers ``sub``."""
    sync = sub.add_parser(
        "sync",
        help="keep a local store of the connection current (fetch once, then only changes)",
        description="Sync the connection into a store file (DuckDB): the first run lists "
        "everything, later runs list only what is new from where the last one stopped and "
        "re-read what may have changed, keeping every version. Credentials come from the "
        "environment (or --sandbox). The store's folder is created if missing. Suitable for "
        "cron: one line per outcome, exit codes below.",
        epilog=epilog(CREDENTIALS, PROGRESS, PROXY),
    )
    sync.add_argument("store", help="the store file, e.g. shop.duckdb (created if missing)")
    add_connection_options(sync, "sync")
    sync.add_argument(
        "--refresh",
        choices=("auto", "open", "all", "none"),
        default="auto",
        help="how changed records are found: auto (default: re-read the open ones by id or "
        "rescan, whichever costs fewer requests), open, all (rescan) or none",
    )
    sync.add_argument(
        "--refresh-days",
        type=non_negative,
        default=30.0,
        help="open records created within this many days of the newest are re-read (%(default)s)",
    )
    sync.add_argument("--full", action="store_true", help="rescan the whole list from the start")
    sync.add_argument(
        "--max-requests",
        type=positive_int,
        help="cap the requests of this run; the rest waits for the next (e.g. 90 a minute)",
    )
    sync.add_argument("--label", help="the connection's name in the store (the connection column)")
    sync.add_argument("--no-orders", action="store_true", help="sync fulfillments only")
    sync.add_argument(
        "--page-size", type=positive_int, default=100, help="list page size (%(default)s)"
    )
    sync.add_argument(
        "--busy-timeout",
        type=non_negative,
        default=10.0,
        help="seconds to wait for another sync of the same store (%(default)s)",
    )
    sync.set_defaults(func=run_sync)
