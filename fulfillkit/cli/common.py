"""What every sub-command shares: the parser class, help texts, argument types, file readers.

Every ``--help`` ends with the environment variables the command reads and the exit codes
(:data:`EXIT_CODES`); bad usage is one line on stderr and exit status 2.

Example:
    >>> rate_limit("100/60"), rate_limit("off")
    ((100, 60.0), None)
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn, TextIO

from fulfillkit.errors import FulfillkitError

if TYPE_CHECKING:
    import pandas as pd

    from fulfillkit.client import Client

__all__ = [
    "CARRIERS",
    "CREDENTIALS",
    "EXIT_CODES",
    "EXPORT_SUFFIXES",
    "PROGRESS",
    "PROXY",
    "SANDBOX_RATE",
    "Formatter",
    "Parser",
    "add_connection_options",
    "check_connection_options",
    "connection_client",
    "epilog",
    "export_path",
    "html_path",
    "is_store",
    "lag",
    "load_fulfillments",
    "non_negative",
    "one_line",
    "positive_int",
    "rate_limit",
    "read_file",
    "read_ids",
]

EXPORT_SUFFIXES: Final = (".parquet", ".csv", ".csv.gz")
CARRIERS: Final = ("effective", "stated", "detected")

EXIT_CODES: Final = """\
exit codes:
  0    success
  1    fetch: some ids failed (the others are written; --errors FILE lists the failed);
       sync: the sync ended with errors (failed ids or a failed listing; the rest is stored)
  2    bad usage, bad input, a bad output path or configuration: one line on stderr
       ("fulfillkit: error: ..."), never a traceback; nothing was fetched when it is
       found before the first request
  3    audit: a rule named with --rules could not run on this data (the output says what
       it needs; the other rules' findings are still printed and written)
  75   sync: the store is busy (another sync holds it); try again later
  130  interrupted (Ctrl-C)"""
"""The exit codes, as every ``--help`` ends with them."""

CREDENTIALS: Final = """\
  PANORA_API_KEY           the API key (not needed with --sandbox)
  PANORA_CONNECTION_TOKEN  the connection token (not needed with --sandbox)
  PANORA_BASE_URL          the API's base URL (default https://api.panora.dev;
                           --base-url wins over it)"""
PROGRESS: Final = "  TQDM_DISABLE=1           no progress bar"
PROXY: Final = "  HTTPS_PROXY, HTTP_PROXY, ALL_PROXY  a proxy for the requests (read by httpx)"
SANDBOX_RATE: Final = """\
  FULFILLKIT_SANDBOX_RATE_LIMIT  the throttle of `fulfillkit sandbox` without
                           --rate-limit (e.g. 10000/1 or off; default Panora's 100/60)"""


def epilog(*environment: str) -> str:
    """The end of a command's ``--help``: the variables it reads, then the exit codes."""
    lines = "\n".join(environment) if environment else "  none"
    return f"environment variables read:\n{lines}\n\n{EXIT_CODES}"


class Formatter(argparse.HelpFormatter):
    """Wraps a one-paragraph text (a description); keeps a text with line breaks (the
    epilogs: variables, exit codes) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class Parser(argparse.ArgumentParser):
    """Bad usage is one line on stderr and exit status 2, like every other error; help
    texts are laid out by :class:`Formatter` (sub-commands' parsers are of this class).
    ``epilog_of``, when set, writes the epilog only when help is shown (the audit's lists
    its rules, which would import pandas for every command)."""

    epilog_of: Callable[[], str] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")

    def format_help(self) -> str:
        if self.epilog_of is not None:
            self.epilog = self.epilog_of()
        return super().format_help()


def add_connection_options(parser: argparse.ArgumentParser, verb: str) -> None:
    """``--sandbox``, ``--base-url``, ``--rate-limit`` and ``--concurrency``: where a command
    that talks to Panora talks to (``verb``: what it does there, for the help)."""
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help=f"{verb} the embedded sandbox, in-process, with its public credentials (no "
        "environment needed)",
    )
    parser.add_argument(
        "--base-url", help="API base URL (default: PANORA_BASE_URL, else https://api.panora.dev)"
    )
    parser.add_argument(
        "--rate-limit",
        type=rate_limit,
        default="auto",
        metavar="N/S|auto|off",
        help="client-side budget: N requests per S seconds (e.g. 100/60), auto (the "
        "default: Panora's 100/60 on hosted Panora, none elsewhere) or off",
    )
    parser.add_argument(
        "--concurrency", type=positive_int, default=8, help="requests in flight (%(default)s)"
    )


def check_connection_options(args: argparse.Namespace) -> None:
    """Refuse ``--sandbox`` with ``--base-url`` or ``--rate-limit`` (before any work)."""
    if args.sandbox and (args.base_url or args.rate_limit != "auto"):
        raise FulfillkitError(
            "--sandbox talks to the embedded sandbox in-process: drop --base-url and --rate-limit"
        )


def connection_client(args: argparse.Namespace) -> Client:
    """The client of :func:`add_connection_options`: the environment's credentials and base
    URL, or the embedded sandbox in-process with its public ones (``--sandbox``).

    Raises:
        FulfillkitError: ``--sandbox`` with ``--base-url`` or ``--rate-limit``.
    """
    from fulfillkit.client import Client

    check_connection_options(args)
    if args.sandbox:
        return Client.sandbox(max_concurrency=args.concurrency)
    return Client(
        max_concurrency=args.concurrency, base_url=args.base_url, rate_limit=args.rate_limit
    )


def positive_int(text: str) -> int:
    """An option that is a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def non_negative(text: str) -> float:
    """An option that is a number of at least 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text}")
    return value


def rate_limit(text: str) -> tuple[int, float] | str | None:
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


def export_path(text: str) -> Path:
    """An output file whose name says its format (.parquet, .csv, .csv.gz)."""
    path = Path(text)
    if not any(path.name.endswith(s) for s in EXPORT_SUFFIXES):
        raise argparse.ArgumentTypeError(f"must end in one of {', '.join(EXPORT_SUFFIXES)}: {text}")
    return path


def html_path(text: str) -> Path:
    """An output file ending in .html."""
    path = Path(text)
    if path.suffix.lower() not in (".html", ".htm"):
        raise argparse.ArgumentTypeError(f"must end in .html: {text}")
    return path


def lag(text: str) -> str:
    """A pandas duration such as ``3D`` or ``36h``."""
    import pandas as pd

    try:
        pd.Timedelta(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration such as 3D or 36h: {text!r}") from None
    return text


def is_store(source: str) -> bool:
    """Whether ``source`` is a store file (a DuckDB database: its header says so)."""
    from fulfillkit.store.database import is_duckdb_file

    path = Path(source)
    return path.is_file() and is_duckdb_file(path)


def load_fulfillments(
    source: str, *, orders: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The fulfillments of ``source`` and, for a store when ``orders`` is asked for, its
    orders (``None`` otherwise): a store file (``fulfillkit sync``'s) is read with zero
    requests, any other file as an export (:func:`read_file`); or a one-line error that
    says what is wrong with it."""
    if is_store(source):
        from fulfillkit.store import Store

        store = Store(source)
        return store.to_frame(), store.orders_frame() if orders else None
    df = read_file(source)
    if "id" not in df or not ({"tracking_number", "tracking_numbers"} & set(df.columns)):
        raise FulfillkitError(
            f"{source} is not a fulfillkit export of fulfillments nor a store: it lacks the id "
            "and tracking columns (write one with fulfillkit fetch -o, fk.export(df, ...) or "
            "fulfillkit sync)"
        )
    return df, None


def read_file(source: str) -> pd.DataFrame:
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


def read_ids(source: str, stdin: TextIO) -> list[str]:
    """Ids from a file (``-``: stdin), read by the one id parser the explorer uses too."""
    from fulfillkit.fetch.protocol import parse_ids

    text = stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return parse_ids(text)


def one_line(exc: BaseException) -> str:
    """An exception as one line (whitespace folded), for ``fulfillkit: error: ...``."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
