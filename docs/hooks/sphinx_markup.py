"""A Griffe extension: fulfillkit's docstrings, written for ``help()`` and for the source,
rendered well by mkdocstrings.

The docstrings are Google style with a few reStructuredText habits that Markdown does not
know. Before mkdocstrings parses a docstring, this rewrites:

* ``Example:`` section titles as ``Examples:`` (Griffe's name for the doctest section);
* Sphinx roles (``:func:`~fulfillkit.to_frame```, ``:class:`FulfillkitError```) as optional
  cross-references: a link where the target is in the API reference, code text elsewhere;
* reStructuredText simple tables (``====  ====`` borders) as Markdown tables;
* a paragraph ending in ``::`` (a literal block follows) as ending in ``:``;
* an argument entry naming several parameters (``sep, explode: as for to_frame``) as
  one entry per parameter.

The code is untouched: this changes only the text mkdocstrings renders.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:func|class|data|mod|meth|attr|exc|obj):`(?P<target>[^`]+)`")
EXAMPLE = re.compile(r"^(?P<indent>\s*)Example:\s*$", re.MULTILINE)
BORDER = re.compile(r"^(?P<indent>\s*)=+(?: +=+)+\s*$")


def resolve(obj: griffe.Object, target: str) -> str:
    """The full path of a role's target as written in ``obj``'s docstring."""
    if target.startswith("."):
        module = obj.module
        package = module if module.is_init_module else module.parent
        name = target.lstrip(".")
        for _ in range(len(target) - len(name) - 1):
            package = package.parent if package is not None else None
        if package is None:
            return name
        return f"{package.path}.{name}" if name else package.path
    head, _, rest = target.partition(".")
    if head == "fulfillkit":
        return target
    try:
        path = obj.resolve(head)
    except (griffe.NameResolutionError, ValueError):
        # Not a name of obj's scope: maybe one of its class's members (``:meth:`get```).
        parent = obj if obj.is_class else obj.parent
        while parent is not None and not (parent.is_class or parent.is_module):
            parent = parent.parent
        if parent is not None and head in parent.members:
            return f"{parent.path}.{target}"
        return target
    return f"{path}.{rest}" if rest else path


def roles(obj: griffe.Object, text: str) -> str:
    """Sphinx roles as optional autorefs (code text when the target is not rendered)."""

    def replace(match: re.Match[str]) -> str:
        target = match["target"].strip()
        short = target.startswith("~")
        target = target.lstrip("~")
        title = target.rsplit(".", 1)[-1] if short else target.lstrip(".")
        identifier = html.escape(resolve(obj, target), quote=True)
        return (
            f'<autoref identifier="{identifier}" optional>'
            f"<code>{html.escape(title)}</code></autoref>"
        )

    return ROLE.sub(replace, text)


def cell(text: str) -> str:
    """One reStructuredText table cell as a Markdown one."""
    return text.strip().replace("|", "\\|")


def tables(text: str) -> str:
    """reStructuredText simple tables as Markdown tables.

    A table is three border lines (top, under the header, bottom); the columns are the
    runs of ``=`` of the top border. A row whose first cell is empty continues the row
    above it.
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = BORDER.match(lines[i])
        borders = [i]
        if match:
            j = i + 1
            while j < len(lines) and len(borders) < 3:
                if BORDER.match(lines[j]):
                    borders.append(j)
                j += 1
        if not match or len(borders) < 3:
            out.append(lines[i])
            i += 1
            continue
        indent = match["indent"]
        spans = [m.span() for m in re.finditer(r"=+", lines[i])]

        def split(line: str, spans: list[tuple[int, int]] = spans) -> list[str]:
            cells = []
            for k, (start, _) in enumerate(spans):
                end = spans[k + 1][0] if k + 1 < len(spans) else len(line)
                cells.append(line[start:end])
            return cells

        header = [cell(c) for c in split(lines[borders[0] + 1])]
        rows: list[list[str]] = []
        for line in lines[borders[1] + 1 : borders[2]]:
            if not line.strip():
                continue
            cells = split(line)
            if rows and not cells[0].strip():
                rows[-1] = [f"{a} {cell(b)}".strip() for a, b in zip(rows[-1], cells, strict=True)]
            else:
                rows.append([cell(c) for c in cells])
        out.append(indent + "| " + " | ".join(header) + " |")
        out.append(indent + "|" + "---|" * len(header))
        out.extend(indent + "| " + " | ".join(row) + " |" for row in rows)
        i = borders[2] + 1
    return "\n".join(out)


def literal_blocks(text: str) -> str:
    """``text::`` (reStructuredText: a literal block follows) as ``text:``; the indented
    block after it is a Markdown code block already."""
    return re.sub(r"(?<=\S)::$", ":", text, flags=re.MULTILINE)


SHARED_ENTRY = re.compile(r"^(?P<indent> +)(?P<names>\w+(?:, \w+)+): (?P<text>.*)$")


def shared_entries(text: str) -> str:
    """``a, b: text`` (with its indented continuation lines) as ``a: text`` and
    ``b: text``."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = SHARED_ENTRY.match(lines[i])
        if not match:
            out.append(lines[i])
            i += 1
            continue
        indent = match["indent"]
        j = i + 1
        while j < len(lines) and lines[j].startswith(indent + " "):
            j += 1
        for name in match["names"].split(", "):
            out.append(f"{indent}{name}: {match['text']}")
            out.extend(lines[i + 1 : j])
        i = j
    return "\n".join(out)


def rewrite(obj: griffe.Object, text: str) -> str:
    """Every rewrite of this module, in order."""
    text = EXAMPLE.sub(r"\g<indent>Examples:", text)
    return roles(obj, shared_entries(literal_blocks(tables(text))))


def objects(obj: griffe.Object) -> list[griffe.Object]:
    """``obj`` and every object defined in it (aliases are skipped: their targets are
    visited where they are defined)."""
    found = [obj]
    for member in obj.members.values():
        if not member.is_alias:
            found.extend(objects(member))  # type: ignore[arg-type]
    return found


class SphinxMarkup(griffe.Extension):
    """Rewrites every docstring of a package as described in the module docstring, once
    the whole package is loaded (so that names resolve)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Called by Griffe once a package is loaded."""
        for obj in objects(pkg):
            if obj.docstring is not None:
                obj.docstring.value = rewrite(obj, obj.docstring.value)
