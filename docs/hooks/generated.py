"""An MkDocs hook: the parts of the docs that are read off the code at build time, so they
cannot go stale.

A page asks for one with a marker on a line of its own, ``<!-- generated: NAME -->``:

* ``cli``: the command line reference, every command's ``--help`` from
  :func:`fulfillkit.cli.build_parser`;
* ``exceptions``: the exception tree, from the classes themselves;
* ``audit-rules``: the audit's rule table, from :data:`fulfillkit.reports.RULES`;
* ``layers``: the import-linter contracts of ``pyproject.toml``.

An unknown name fails the build. (The column tables are written by hand, with their notes,
and ``tests/test_docs.py`` compares them with what ``to_frame`` returns.)
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import pkgutil
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

MARKER = re.compile(r"^<!-- generated: (?P<name>[a-z-]+) -->$", re.MULTILINE)
HELP_WIDTH = 88
ROOT = Path(__file__).resolve().parents[2]


def command_help(parser: argparse.ArgumentParser) -> str:
    """``parser``'s ``--help`` at a fixed width (not the terminal's)."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(HELP_WIDTH)
    try:
        return parser.format_help()
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """``(name, one-line help, parser)`` of every sub-command, in the order ``--help`` lists
    them."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            return [(name, helps.get(name, ""), sub) for name, sub in action.choices.items()]
    return []


def cli() -> str:
    """Every command's ``--help``, with a table of the commands first."""
    from fulfillkit.cli import build_parser

    parser = build_parser()
    commands = subcommands(parser)
    lines = ["| command | what it does |", "|---|---|"]
    lines += [
        f"| [`fulfillkit {name}`](#fulfillkit-{name}) | {text} |" for name, text, _ in commands
    ]
    lines += [
        "",
        "## `fulfillkit` {#fulfillkit-command}",
        "",
        "```text",
        command_help(parser).rstrip(),
        "```",
    ]
    for name, _, sub in commands:
        lines += [
            "",
            f"## `fulfillkit {name}` {{#fulfillkit-{name}}}",
            "",
            "```text",
            command_help(sub).rstrip(),
            "```",
        ]
    return "\n".join(lines)


def first_sentence(cls: type) -> str:
    """The first sentence of a class's docstring, on one line, in Markdown."""
    text = " ".join((inspect.getdoc(cls) or "").split("\n\n")[0].split())
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", text).replace("``", "`")
    inside = False
    for i, char in enumerate(text):
        if char == "`":
            inside = not inside
        elif char == "." and not inside and text[i + 1 : i + 2] in ("", " "):
            return text[: i + 1]
    return text


def public_path(cls: type) -> str:
    """Where the API reference shows ``cls``: ``fulfillkit.errors.X`` or the subpackage
    that exports it (``fulfillkit.frames.X``)."""
    module = cls.__module__
    parent = module.rsplit(".", 1)[0]
    if module != "fulfillkit.errors" and cls.__name__ in getattr(
        importlib.import_module(parent), "__all__", ()
    ):
        module = parent
    return f"{module}.{cls.__name__}"


def exceptions() -> str:
    """The exception tree as a nested list, each class linked to its API entry."""
    import fulfillkit
    from fulfillkit.errors import FetchFailed, FulfillkitError

    for module in pkgutil.walk_packages(fulfillkit.__path__, "fulfillkit."):
        if not module.name.endswith("__main__"):  # every exception class defined
            importlib.import_module(module.name)

    lines: list[str] = []

    def walk(cls: type, depth: int) -> None:
        also = [b.__name__ for b in cls.__bases__ if not issubclass(b, FulfillkitError)]
        if depth and also and also != ["Exception"]:
            also_text = " (also " + ", ".join(f"`{name}`" for name in also) + ")"
        else:
            also_text = ""
        facts = []
        if issubclass(cls, FetchFailed) and cls is not FetchFailed:
            facts.append(f'kind `"{cls.kind}"`')
            if cls.stops_batch:
                facts.append("stops the batch")
        fact_text = f" [{'; '.join(facts)}]" if facts else ""
        lines.append(
            f"{'    ' * depth}- [`{cls.__name__}`][{public_path(cls)}]{also_text}{fact_text}: "
            f"{first_sentence(cls)}"
        )
        subclasses: list[type] = cls.__subclasses__()
        for sub in sorted(subclasses, key=definition_order):
            if not sub.__name__.startswith("_"):
                walk(sub, depth + 1)

    walk(FulfillkitError, 0)
    return "\n".join(lines)


def definition_order(cls: type) -> tuple[int, int]:
    """Classes of ``fulfillkit.errors`` first, in source order, then the others."""
    try:
        line = inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        line = 0
    return (0 if cls.__module__ == "fulfillkit.errors" else 1, line)


def audit_rules() -> str:
    """The audit's rule table: name, severity, what it finds."""
    from fulfillkit.reports import RULES

    lines = ["| rule | severity | finds |", "|---|---|---|"]
    lines += [f"| `{r.name}` | {r.severity} | {r.description} |" for r in RULES]
    return "\n".join(lines)


def layers() -> str:
    """The import-linter contracts of ``pyproject.toml``: the layers, top first."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lines: list[str] = []
    for contract in config["tool"]["importlinter"]["contracts"]:
        lines += [f"**{contract['name']}** (`{contract['type']}`)", ""]
        if contract["type"] == "layers":
            lines += ["| layer (top first) | modules |", "|---|---|"]
            for number, layer in enumerate(contract["layers"], 1):
                names = ", ".join(f"`{name.strip()}`" for name in layer.split("|"))
                lines.append(f"| {number} | {names} |")
            lines.append("")
    return "\n".join(lines)


GENERATORS: dict[str, Callable[[], str]] = {
    "cli": cli,
    "exceptions": exceptions,
    "audit-rules": audit_rules,
    "layers": layers,
}


def expand(markdown: str) -> str:
    """``markdown`` with every marker replaced by what it names."""

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in GENERATORS:
            raise ValueError(f"unknown generated part {name!r}; known: {', '.join(GENERATORS)}")
        return GENERATORS[name]()

    return MARKER.sub(replace, markdown)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """MkDocs hook: expand the markers of every page."""
    return expand(markdown)
