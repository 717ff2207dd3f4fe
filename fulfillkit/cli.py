"""The ``fulfillkit`` command: ``demo``, ``fetch``, ``report``, ``audit`` and ``sandbox``.

``fulfillkit demo`` is the whole job against the embedded sandbox (no credentials, no
network beyond loopback); ``fulfillkit fetch`` is the same job against the real API with
the environment's credentials (or, with ``--sandbox``, against the embedded sandbox);
``report`` and ``audit`` work on the exported file. ``fulfillkit --version`` prints the
version; every ``--help`` names the environment variables its command reads and the exit
codes (:data:`EXIT_CODES`).

Every output path (``fetch -o`` / ``--errors``, ``report -o`` / ``--html``, ``demo --out``,
``audit -o``) is checked by the one output-path rule (:func:`fulfillkit.paths.output_path`:
missing folders created) before the first request or any work, so a bad path never costs a
fetch.

Example:
    $ fulfillkit demo --out build/demo
    $ PANORA_API_KEY=... PANORA_CONNECTION_TOKEN=... fulfillkit fetch ids.txt -o out.parquet
    $ fulfillkit fetch --sandbox --all -o build/sandbox.parquet
    $ fulfillkit fetch --all -o all.parquet --rate-limit 100/60
    $ fulfillkit audit all.parquet -o findings.csv
    $ fulfillkit audit all.parquet --orders orders.parquet --max-lag 3D
    $ fulfillkit report all.parquet --html carriers.html
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn, TextIO

from fulfillkit.errors import FulfillkitError
from fulfillkit.paths import output_path
from fulfillkit.version import __version__

if TYPE_CHECKING:
    import pandas as pd

    from fulfillkit.client import Client
    from fulfillkit.fetch.results import BatchResult

__all__ = ["EXIT_CODES", "build_parser", "main"]

EXPORT_SUFFIXES = (".parquet", ".csv", ".csv.gz")
CARRIERS = ("effective", "stated", "detected")

EXIT_CODES: Final = """\
exit codes:
  0    success
  1    fetch: some ids failed (the others are written; --errors FILE lists the failed)
  2    bad usage, bad input, a bad output path or configuration: one line on stderr
       ("fulfillkit: error: ..."), never a traceback; nothing was fetched when it is
       found before the first request
  3    audit: a rule named with --rules could not run on this data (the output says what
       it needs; the other rules' findings are still printed and written)
  130  interrupted (Ctrl-C)"""
"""The exit codes, as every ``--help`` ends with them."""

_CREDENTIALS: Final = """\
  PANORA_API_KEY           the API key (not needed with --sandbox)
  PANORA_CONNECTION_TOKEN  the connection token (not needed with --sandbox)
  PANORA_BASE_URL          the API's base URL (default https://api.panora.dev;
                           --base-url wins over it)"""
_PROGRESS: Final = "  TQDM_DISABLE=1           no progress bar"
_PROXY: Final = "  HTTPS_PROXY, HTTP_PROXY, ALL_PROXY  a proxy for the requests (read by httpx)"
_SANDBOX_RATE: Final = """\
  FULFILLKIT_SANDBOX_RATE_LIMIT  the throttle of `fulfillkit sandbox` without
                           --rate-limit (e.g. 10000/1 or off; default Panora's 100/60)"""


def _epilog(*environment: str) -> str:
    """The end of a command's ``--help``: the variables it reads, then the exit codes."""
    lines = "\n".join(environment) if environment else "  none"
    return f"environment variables read:\n{lines}\n\n{EXIT_CODES}"


class _Formatter(argparse.HelpFormatter):
    """Wraps a one-paragraph text (a description); keeps a text with line breaks (the
    epilogs: variables, exit codes) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class _Parser(argparse.ArgumentParser):
    """Bad usage is one line on stderr and exit status 2, like every other error; help
    texts are laid out by :class:`_Formatter` (sub-commands' parsers are of this class).
    ``epilog_of``, when set, writes the epilog only when help is shown (the audit's lists
    its rules, which would import pandas for every command)."""

    epilog_of: Callable[[], str] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")

    def format_help(self) -> str:
        if self.epilog_of is not None:
            self.epilog = self.epilog_of()
        return super().format_help()


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text}")
    return value


def _rate_limit(text: str) -> tuple[int, float] | str | None:
    """``N/S`` (N requests per S seconds), ``auto`` or ``off``."""
    if text in ("auto", "off"):
        return None if text == "off" else "auto"
    count, slash, window = text.partition("/")
    try:
        parsed = (int(count), float(window))
    except ValueError:
        parsed = (0, 0.0)
    if not slash or parsed[0] < 1 or not parsed[1] > 0:
        raise argparse.ArgumentTypeError(
            f"expected N/S such as 100/60 (requests per seconds), auto or off: {text!r}"
        )
    return parsed


def _export_path(text: str) -> Path:
    path = Path(text)
    if not any(path.name.endswith(s) for s in EXPORT_SUFFIXES):
        raise argparse.ArgumentTypeError(f"must end in one of {', '.join(EXPORT_SUFFIXES)}: {text}")
    return path


def _html_path(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in (".html", ".htm"):
        raise argparse.ArgumentTypeError(f"must end in .html: {text}")
    return path


def _load_export(source: str) -> pd.DataFrame:
    """A file of fulfillments (written by ``fulfillkit fetch`` / :func:`~fulfillkit.export`,
    or any CSV / Parquet with their columns), read by :func:`~fulfillkit.read_frame` exactly
    as Python reads it; or a one-line error that says what is wrong with it."""
    df = _read_file(source)
    if "id" not in df or not ({"tracking_number", "tracking_numbers"} & set(df.columns)):
        raise FulfillkitError(
            f"{source} is not a fulfillkit export of fulfillments: it lacks the id and "
            "tracking columns (write one with fulfillkit fetch -o or fk.export(df, ...))"
        )
    return df


def _read_file(source: str) -> pd.DataFrame:
    """A CSV or Parquet file (or a Parquet dataset folder) read with
    :func:`~fulfillkit.read_frame`, or a one-line error that says why it cannot be."""
    from fulfillkit.frames import read_frame

    path = Path(source)
    if not path.exists():
        raise FulfillkitError(f"no such file: {source}")
    if not path.is_file() and not (path.is_dir() and path.name.endswith(".parquet")):
        raise FulfillkitError(f"not a file: {source}")  # a folder, unless a Parquet dataset
    try:
        df = read_frame(path)
    except PermissionError:
        raise FulfillkitError(f"cannot read {source}: permission denied") from None
    return df


def _read_ids(source: str, stdin: TextIO) -> list[str]:
    """Ids from a file (``-``: stdin), read by the one id parser the explorer uses too."""
    from fulfillkit.fetch.protocol import parse_ids

    text = stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return parse_ids(text)


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
    from fulfillkit.reports import audit, carrier_report, format_carrier_report, report_html

    out_dir = output_path(args.out, what="demo output", folder=True)  # before any request
    batch, source, fetched_at = _demo_fetch(args)
    frame = batch.to_frame(remote_data=True)
    print(f"\nframe: {len(frame)} rows x {frame.shape[1]} columns (one row per tracking number)\n")
    report = carrier_report(frame)
    print(format_carrier_report(report))
    print(_carrier_note(report))
    findings = audit(frame)
    print(f"\naudit: {_severity_counts(findings)}")
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
    print(f"\nwrote {parquet}\nwrote {csv}\nwrote {page} (open it in a browser)")
    return 0


def _demo_fetch(args: argparse.Namespace) -> tuple[BatchResult, str, datetime]:
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
    _print_summary(batch, elapsed, sys.stdout)
    print(
        f"server saw {app.stats.requests} requests; "
        f"faults injected and retried: {dict(faults.injected)}"
    )
    return batch, source, fetched_at


def _carrier_note(report: pd.DataFrame) -> str:
    from fulfillkit.reports.carriers import CARRIER_CHOICES

    choice = str(report.attrs.get("carrier", "effective"))
    return f"carrier: {choice} ({CARRIER_CHOICES.get(choice, '')})"


def _severity_counts(findings: pd.DataFrame) -> str:
    from fulfillkit.reports.auditing import SEVERITIES

    counts = findings["severity"].value_counts()
    parts = [f"{int(counts.get(s, 0)):,} {s}" for s in SEVERITIES]
    return f"{len(findings):,} findings on {findings['id'].nunique():,} fulfillments (" + (
        ", ".join(parts) + ")"
    )


def _cmd_fetch(args: argparse.Namespace) -> int:
    from fulfillkit.frames import export, to_frame

    if args.all and args.ids_file:
        raise FulfillkitError("give an ids file or --all, not both")
    if not args.all and not args.ids_file:
        raise FulfillkitError(
            "give an ids file (or - for stdin), or --all for the whole connection"
        )
    if args.all and args.checkpoint:
        raise FulfillkitError("--checkpoint resumes a fetch by ids; --all lists the connection")
    if args.sandbox and (args.base_url or args.rate_limit != "auto"):
        raise FulfillkitError(
            "--sandbox fetches from the embedded sandbox in-process: drop --base-url and "
            "--rate-limit"
        )
    ids: list[str] = []
    if not args.all:
        try:
            ids = _read_ids(args.ids_file, sys.stdin)
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
    with _fetch_client(args) as client:
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
    _print_summary(batch, elapsed, sys.stderr)
    path = export(batch.to_frame(remote_data=args.remote_data), output)
    print(f"wrote {path}", file=sys.stderr)
    if args.errors and batch.errors:
        print(f"wrote {export(batch.errors_frame(), args.errors)}", file=sys.stderr)
    return 0 if batch.ok else 1


def _fetch_client(args: argparse.Namespace) -> Client:
    """The client ``fetch`` uses: the environment's credentials and base URL, or the
    embedded sandbox in-process with its public ones (``--sandbox``)."""
    from fulfillkit.client import Client

    if args.sandbox:
        return Client.sandbox(max_concurrency=args.concurrency)
    return Client(
        max_concurrency=args.concurrency, base_url=args.base_url, rate_limit=args.rate_limit
    )


def _cmd_report(args: argparse.Namespace) -> int:
    from fulfillkit.frames import export
    from fulfillkit.reports import carrier_report, format_carrier_report, report_html

    df = _load_export(args.file)
    # Outputs are checked before any work (the one output-path rule: folders are made).
    table = output_path(args.output, what="report") if args.output else None
    html = output_path(args.html, what="HTML report") if args.html else None
    report = carrier_report(df, carrier=args.carrier)
    print(format_carrier_report(report))
    print(_carrier_note(report))
    if table is not None:
        print(f"wrote {export(report, table)}", file=sys.stderr)
    if html is not None:
        written = datetime.fromtimestamp(Path(args.file).stat().st_mtime, UTC)
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


def _cmd_audit(args: argparse.Namespace) -> int:
    import warnings

    from fulfillkit.paths import output_path
    from fulfillkit.reports.auditing import RuleNotRunWarning, audit, audit_summary
    from fulfillkit.reports.auditing.rules import select_rules

    # Everything that can be refused is refused before the file is read.
    output = output_path(args.output, what="findings") if args.output else None
    rules = _names(args.rules)
    exclude = _names(args.exclude) or []
    try:
        select_rules(rules, exclude)
    except ValueError as exc:
        raise FulfillkitError(str(exc)) from None
    df = _load_export(args.file)
    if args.orders:
        df = _join_orders(df, args.orders)
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
    print(f"\n{_severity_counts(findings)}")
    if output is not None:
        _write_findings(findings, output)
    asked = [rule for rule in rules or () if rule in not_run]
    if asked:
        print(
            f"fulfillkit: audit: {', '.join(asked)} not run (see above); exit status "
            f"{AUDIT_NOT_RUN}",
            file=sys.stderr,
        )
        return AUDIT_NOT_RUN
    return 0


def _names(text: str | None) -> list[str] | None:
    """A comma-separated option as a list (blanks dropped); ``None`` when not given."""
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def _join_orders(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """``df`` with the orders of the file ``source`` joined (:func:`~fulfillkit.join_orders`)."""
    from fulfillkit.frames import join_orders

    orders = _read_file(source)
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


def _write_findings(findings: pd.DataFrame, output: Path) -> None:
    from fulfillkit.errors import OutputPathError
    from fulfillkit.frames import export
    from fulfillkit.paths import writer_error

    try:
        print(f"wrote {export(findings, output)}", file=sys.stderr)
    except OutputPathError:
        raise
    except OSError as exc:
        raise writer_error("findings", output, exc) from None


def _audit_epilog() -> str:
    """``audit --help``'s list of rules and exit statuses."""
    import textwrap

    from fulfillkit.reports.auditing import RULES

    lines = ["rules (all run by default; a rule whose data is missing is reported as not run):"]
    for rule in RULES:
        head = f"  {rule.name:<24}{rule.severity:<8} "
        text = textwrap.wrap(rule.describe(), width=96 - len(head))
        lines.append(head + text[0])
        lines.extend(" " * len(head) + more for more in text[1:])
    return "\n".join(lines) + "\n\n" + _epilog()


def _lag(text: str) -> str:
    import pandas as pd

    try:
        pd.Timedelta(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration such as 3D or 36h: {text!r}") from None
    return text


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from fulfillkit.sandbox.__main__ import run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = _Parser(
        prog="fulfillkit",
        description="Panora fulfillments to pandas, CSV and Parquet.",
        epilog=_epilog(_CREDENTIALS, _PROGRESS, _PROXY, _SANDBOX_RATE)
        + "\n\n`fulfillkit COMMAND --help` says what each command reads.",
    )
    parser.add_argument("--version", action="version", version=f"fulfillkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo",
        help="run the whole job against the embedded sandbox",
        description="Serve the embedded sandbox on loopback (with transient faults), fetch "
        "from it, print the carrier report and the audit, and write fulfillments.parquet, "
        "fulfillments.csv and carriers.html to --out. No credentials, no network.",
        epilog=_epilog(_PROGRESS),
    )
    demo.add_argument(
        "--out", default="build/demo", help="output folder, created if missing (%(default)s)"
    )
    demo.add_argument(
        "--n", type=_positive_int, default=300, help="fulfillments to fetch (%(default)s)"
    )
    demo.add_argument("--concurrency", type=_positive_int, default=16, help="(%(default)s)")
    demo.add_argument(
        "--latency", type=_non_negative, default=0.02, help="sandbox latency, seconds"
    )
    demo.add_argument(
        "--fault-rate", type=_non_negative, default=0.05, help="transient fault share"
    )
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_cmd_demo)

    fetch = sub.add_parser(
        "fetch",
        help="fetch fulfillments from Panora into CSV or Parquet",
        description="Fetch fulfillments by id (or --all of the connection) into one "
        "Parquet or CSV file. Credentials come from the environment (PANORA_API_KEY, "
        "PANORA_CONNECTION_TOKEN; the base URL from --base-url or PANORA_BASE_URL), or, "
        "with --sandbox, from the embedded sandbox, which needs none. Output paths are "
        "checked (missing folders created) before the first request.",
        epilog=_epilog(_CREDENTIALS, _PROGRESS, _PROXY),
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
        type=_export_path,
        metavar="FILE",
        help="the file to write: .parquet, .csv or .csv.gz",
    )
    fetch.add_argument(
        "--all", action="store_true", help="the whole connection, through the list endpoint"
    )
    fetch.add_argument(
        "--sandbox",
        action="store_true",
        help="fetch from the embedded sandbox, in-process, with its public credentials "
        "(no environment needed; try it with --all)",
    )
    fetch.add_argument("--remote-data", action="store_true", help="include remote_data")
    fetch.add_argument(
        "--concurrency", type=_positive_int, default=8, help="requests in flight (%(default)s)"
    )
    fetch.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="resume file (JSON Lines): a rerun fetches only what is missing",
    )
    fetch.add_argument(
        "--base-url", help="API base URL (default: PANORA_BASE_URL, else https://api.panora.dev)"
    )
    fetch.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default="auto",
        metavar="N/S|auto|off",
        help="client-side budget: N requests per S seconds (e.g. 100/60), auto (the "
        "default: Panora's 100/60 on hosted Panora, none elsewhere) or off",
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
        type=_export_path,
        metavar="FILE",
        help="also write the failed ids here: .parquet, .csv or .csv.gz",
    )
    fetch.set_defaults(func=_cmd_fetch)

    report = sub.add_parser(
        "report",
        help="print the carrier report of an export",
        description="Print the carrier report of a file of fulfillments; optionally write "
        "it (-o) and the self-contained HTML report (--html). Output paths are checked "
        "(missing folders created) before any work.",
        epilog=_epilog(),
    )
    report.add_argument(
        "file", help="a .parquet (file or dataset folder), .csv or .csv.gz of fulfillments"
    )
    report.add_argument(
        "-o",
        "--output",
        type=_export_path,
        metavar="FILE",
        help="also write the carrier report here: .parquet, .csv or .csv.gz",
    )
    report.add_argument(
        "--html", type=_html_path, metavar="FILE", help="also write the HTML report here (.html)"
    )
    report.add_argument("--title", help="the HTML report's title")
    report.add_argument(
        "--carrier",
        choices=CARRIERS,
        default="effective",
        help="which carrier to group by: effective (default: the stated one, else the one "
        "detected from the tracking number), stated or detected",
    )
    report.set_defaults(func=_cmd_report)

    audit = sub.add_parser(
        "audit",
        help="data-quality findings of an export",
        description="Data-quality findings of an export, by rule; rules that cannot run on "
        "the data are listed as not run, with what they need.",
    )
    if isinstance(audit, _Parser):
        audit.epilog_of = _audit_epilog
    audit.add_argument("file", help="a .parquet or .csv written by fulfillkit")
    audit.add_argument(
        "-o", "--output", type=_export_path, help="write the findings here (.parquet, .csv)"
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
        type=_lag,
        help="flag fulfillments created this long after their order (e.g. 3D; needs --orders)",
    )
    audit.add_argument(
        "--untracked-days", type=_non_negative, default=7, help="days without tracking to flag"
    )
    audit.set_defaults(func=_cmd_audit)

    from fulfillkit.sandbox.__main__ import add_arguments as add_sandbox_arguments

    sandbox = sub.add_parser(
        "sandbox",
        help="serve the embedded Panora sandbox",
        epilog=_epilog(_SANDBOX_RATE),
    )
    add_sandbox_arguments(sandbox)  # one option set, shared with python -m fulfillkit.sandbox
    sandbox.set_defaults(func=_cmd_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fulfillkit`` command."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # bad usage (one line printed) or --help
        return exc.code if isinstance(exc.code, int) else 2
    try:
        code: int = args.func(args)
    except FulfillkitError as exc:
        print(f"fulfillkit: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except ImportError as exc:  # an optional dependency (matplotlib, jinja2)
        print(f"fulfillkit: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # an output folder that cannot be written, a full disk
        print(f"fulfillkit: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fulfillkit: interrupted", file=sys.stderr)
        return 130
    return code


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
