"""The ``fulfillkit`` command: ``demo``, ``fetch``, ``sync``, ``report``, ``audit`` and
``sandbox``, one module per group: :mod:`~fulfillkit.cli.fetching` (demo, fetch),
:mod:`~fulfillkit.cli.syncing` (sync), :mod:`~fulfillkit.cli.reporting` (report, audit),
and :mod:`~fulfillkit.cli.common` (the parser, help texts, argument types, file readers).

``fulfillkit demo`` is the whole job against the embedded sandbox (no credentials, no
network beyond loopback); ``fulfillkit fetch`` is the same job against the real API with
the environment's credentials (or, with ``--sandbox``, against the embedded sandbox);
``sync`` keeps a local store current; ``report`` and ``audit`` work on an exported file or a
store. ``fulfillkit --version`` prints the
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
    $ fulfillkit sync shop.duckdb && fulfillkit report shop.duckdb --html carriers.html
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from fulfillkit.cli import fetching, reporting, syncing
from fulfillkit.cli.common import (
    CREDENTIALS,
    EXIT_CODES,
    PROGRESS,
    PROXY,
    SANDBOX_RATE,
    Parser,
    epilog,
    one_line,
)
from fulfillkit.cli.reporting import AUDIT_NOT_RUN
from fulfillkit.errors import FulfillkitError
from fulfillkit.version import __version__

__all__ = ["AUDIT_NOT_RUN", "EXIT_CODES", "build_parser", "main"]


def run_sandbox(args: argparse.Namespace) -> int:
    """``fulfillkit sandbox``: serve the embedded sandbox until interrupted."""
    from fulfillkit.sandbox.__main__ import run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = Parser(
        prog="fulfillkit",
        description="Panora fulfillments to pandas, CSV and Parquet.",
        epilog=epilog(CREDENTIALS, PROGRESS, PROXY, SANDBOX_RATE)
        + "\n\n`fulfillkit COMMAND --help` says what each command reads.",
    )
    parser.add_argument("--version", action="version", version=f"fulfillkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    fetching.add_commands(sub)
    syncing.add_commands(sub)
    reporting.add_commands(sub)

    from fulfillkit.sandbox.__main__ import add_arguments as add_sandbox_arguments

    sandbox = sub.add_parser(
        "sandbox",
        help="serve the embedded Panora sandbox",
        epilog=epilog(SANDBOX_RATE),
    )
    add_sandbox_arguments(sandbox)  # one option set, shared with python -m fulfillkit.sandbox
    sandbox.set_defaults(func=run_sandbox)
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
        print(f"fulfillkit: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except ImportError as exc:  # an optional dependency (matplotlib, jinja2)
        print(f"fulfillkit: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # an output folder that cannot be written, a full disk
        print(f"fulfillkit: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fulfillkit: interrupted", file=sys.stderr)
        return 130
    return code
