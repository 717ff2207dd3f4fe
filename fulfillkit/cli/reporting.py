"""``fulfillkit report`` and ``fulfillkit audit``: the carrier report and the data audit of
an export or a store, with zero requests.

A store file (``fulfillkit sync``'s) is read whole, its orders joined for the audit's order
rules; any other file is read as an export by :func:`~fulfillkit.read_frame`, exactly as
Python reads it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fulfillkit.cli.common import (
    CARRIERS,
    Parser,
    epilog,
    export_path,
    html_path,
    lag,
    load_fulfillments,
    non_negative,
    read_file,
)
from fulfillkit.errors import FulfillkitError
from fulfillkit.paths import output_path

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AUDIT_NOT_RUN",
    "add_commands",
    "audit_epilog",
    "carrier_note",
    "join_orders_file",
    "names",
    "run_audit",
    "run_report",
    "severity_counts",
    "write_findings",
]


def carrier_note(report: pd.DataFrame) -> str:
    from fulfillkit.reports.carriers import CARRIER_CHOICES

    choice = str(report.attrs.get("carrier", "effective"))
    return f"carrier: {choice} ({CARRIER_CHOICES.get(choice, '')})"


def severity_counts(findings: pd.DataFrame) -> str:
    from fulfillkit.reports.auditing import SEVERITIES

    counts = findings["severity"].value_counts()
    parts = [f"{int(counts.get(s, 0)):,} {s}" for s in SEVERITIES]
    return f"{len(findings):,} findings on {findings['id'].nunique():,} fulfillments (" + (
        ", ".join(parts) + ")"
    )


def run_report(args: argparse.Namespace) -> int:
    from fulfillkit.frames import export
    from fulfillkit.reports import carrier_report, format_carrier_report, report_html

    df, _ = load_fulfillments(args.file)
    # Outputs are checked before any work (the one output-path rule: folders are made).
    table = output_path(args.output, what="report") if args.output else None
    html = output_path(args.html, what="HTML report") if args.html else None
    report = carrier_report(df, carrier=args.carrier)
    print(format_carrier_report(report))
    print(carrier_note(report))
    if table is not None:
        print(f"wrote {export(report, table)}", file=sys.stderr)
    if html is not None:
        written = datetime.fromtimestamp(Path(args.file).stat().st_mtime, UTC)  # or synced
        page = report_html(
            df,
            html,
            title=args.title or f"Carrier report: {Path(args.file).name}",
            source=str(args.file),
            fetched_at=written,
            carrier=args.carrier,
        )
        print(f"wrote {page}", file=sys.stderr)
    return 0


AUDIT_NOT_RUN = 3
"""``fulfillkit audit``'s exit status when a rule named with ``--rules`` could not run."""


def run_audit(args: argparse.Namespace) -> int:
    import warnings

    from fulfillkit.reports.auditing import RuleNotRunWarning, audit, audit_summary
    from fulfillkit.reports.auditing.rules import select_rules

    # Everything that can be refused is refused before the file is read.
    output = output_path(args.output, what="findings") if args.output else None
    rules = names(args.rules)
    exclude = names(args.exclude) or []
    try:
        select_rules(rules, exclude)
    except ValueError as exc:
        raise FulfillkitError(str(exc)) from None
    df, stored_orders = load_fulfillments(args.file, orders=not args.orders)
    if args.orders:
        df = join_orders_file(df, args.orders)
    elif stored_orders is not None and len(stored_orders) and "order_created_at" not in df:
        from fulfillkit.frames import join_orders

        df = join_orders(df, stored_orders)  # a store holds the orders: the order rules run
    elif args.max_lag and "order_created_at" not in df:
        raise FulfillkitError(
            "--max-lag needs the orders: add --orders FILE (an export of "
            f"fk.orders_frame(...)); {args.file} has no order columns"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuleNotRunWarning)  # printed below, with the rest
        findings = audit(
            df,
            rules=rules,
            exclude=exclude,
            max_lag=args.max_lag,
            untracked_days=args.untracked_days,
        )
    summary = audit_summary(findings)
    shown = summary[["status", "findings", "fulfillments"]].astype(object)
    print(shown.where(shown.notna(), "-").reset_index().to_string(index=False))
    not_run: dict[str, str] = findings.attrs["not_run"]
    if not_run:
        print()
    for rule, reason in not_run.items():
        print(f"not run: {rule}: {reason}")
    print(f"\n{severity_counts(findings)}")
    if output is not None:
        write_findings(findings, output)
    asked = [rule for rule in rules or () if rule in not_run]
    if asked:
        print(
            f"fulfillkit: audit: {', '.join(asked)} not run (see above); exit status "
            f"{AUDIT_NOT_RUN}",
            file=sys.stderr,
        )
        return AUDIT_NOT_RUN
    return 0


def names(text: str | None) -> list[str] | None:
    """A comma-separated option as a list (blanks dropped); ``None`` when not given."""
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def join_orders_file(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """``df`` with the orders of the file ``source`` joined (:func:`~fulfillkit.join_orders`)."""
    from fulfillkit.frames import join_orders

    orders = read_file(source)
    if {"tracking_number", "tracking_numbers"} & set(orders.columns):
        raise FulfillkitError(f"{source} is a fulfillments export; --orders takes the orders")
    lacking = [name for name in ("id", "created_at") if name not in orders]
    if lacking:
        raise FulfillkitError(
            f"{source} is not an orders export (fk.export(fk.orders_frame(...), ...)): "
            f"it lacks {', '.join(lacking)}"
        )
    try:
        return join_orders(df, orders)
    except ValueError as exc:  # the export has order columns already
        raise FulfillkitError(f"cannot join {source}: {exc}") from None


def write_findings(findings: pd.DataFrame, output: Path) -> None:
    from fulfillkit.errors import OutputPathError
    from fulfillkit.frames import export
    from fulfillkit.paths import writer_error

    try:
        print(f"wrote {export(findings, output)}", file=sys.stderr)
    except OutputPathError:
        raise
    except OSError as exc:
        raise writer_error("findings", output, exc) from None


def audit_epilog() -> str:
    """``audit --help``'s list of rules and exit statuses."""
    import textwrap

    from fulfillkit.reports.auditing import RULES

    lines = ["rules (all run by default; a rule whose data is missing is reported as not run):"]
    for rule in RULES:
        head = f"  {rule.name:<24}{rule.severity:<8} "
        text = textwrap.wrap(rule.describe(), width=96 - len(head))
        lines.append(head + text[0])
        lines.extend(" " * len(head) + more for more in text[1:])
    return "\n".join(lines) + "\n\n" + epilog()


def add_commands(sub: Any) -> None:
    """Add ``report`` and ``audit`` to the sub-command parsers ``sub``."""
    report = sub.add_parser(
        "report",
        help="print the carrier report of an export",
        description="Print the carrier report of a file of fulfillments; optionally write "
        "it (-o) and the self-contained HTML report (--html). Output paths are checked "
        "(missing folders created) before any work.",
        epilog=epilog(),
    )
    report.add_argument(
        "file",
        help="a .parquet (file or dataset folder), .csv or .csv.gz of fulfillments, or a "
        "store file (fulfillkit sync's .duckdb)",
    )
    report.add_argument(
        "-o",
        "--output",
        type=export_path,
        metavar="FILE",
        help="also write the carrier report here: .parquet, .csv or .csv.gz",
    )
    report.add_argument(
        "--html", type=html_path, metavar="FILE", help="also write the HTML report here (.html)"
    )
    report.add_argument("--title", help="the HTML report's title")
    report.add_argument(
        "--carrier",
        choices=CARRIERS,
        default="effective",
        help="which carrier to group by: effective (default: the stated one, else the one "
        "detected from the tracking number), stated or detected",
    )
    report.set_defaults(func=run_report)

    audit = sub.add_parser(
        "audit",
        help="data-quality findings of an export",
        description="Data-quality findings of an export, by rule; rules that cannot run on "
        "the data are listed as not run, with what they need.",
    )
    if isinstance(audit, Parser):
        audit.epilog_of = audit_epilog
    audit.add_argument(
        "file",
        help="a .parquet or .csv written by fulfillkit, or a store file (fulfillkit sync's "
        ".duckdb: its orders are joined, so the order rules run)",
    )
    audit.add_argument(
        "-o", "--output", type=export_path, help="write the findings here (.parquet, .csv)"
    )
    audit.add_argument("--rules", help="comma-separated rules to run (default: all)")
    audit.add_argument("--exclude", help="comma-separated rules not to run")
    audit.add_argument(
        "--orders",
        metavar="FILE",
        help="orders to join first (an export of fk.orders_frame(...)): runs the order rules",
    )
    audit.add_argument(
        "--max-lag",
        type=lag,
        help="flag fulfillments created this long after their order (e.g. 3D; needs --orders)",
    )
    audit.add_argument(
        "--untracked-days", type=non_negative, default=7, help="days without tracking to flag"
    )
    audit.set_defaults(func=run_audit)
