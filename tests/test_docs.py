"""The documentation agrees with the code.

The site's build (``make docs``, strict) catches broken links and references to API objects
that are not rendered, and writes the command line reference, the exception tree, the
audit's rule table and the import contracts from the code itself (``docs/hooks/``). What
is written by hand is held to the code here: the column tables against what ``to_frame``,
``join_orders``, ``carrier_report`` and ``audit`` return, the exception tree of
``fulfillkit.errors``' docstring against the classes, the module tree of the design page
against the package, the API reference against ``fk.__all__``, and the README's size and
links.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest

import fulfillkit as fk
from fulfillkit import errors
from fulfillkit.frames import FIELD_MAPPINGS_PREFIX, SCHEMA, WIDE_SCHEMA
from fulfillkit.sandbox import make_dataset

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FIELD_MAPPINGS_ROW = f"{FIELD_MAPPINGS_PREFIX}.<key>"


def table(page: str, name: str) -> list[dict[str, str]]:
    """The Markdown table after ``<!-- table: NAME -->`` on ``docs/PAGE``, as rows of
    ``{header: cell}`` with code backticks removed."""
    text = (DOCS / page).read_text(encoding="utf-8")
    marker = f"<!-- table: {name} -->\n"
    assert marker in text, f"no table {name!r} in docs/{page}"
    lines = text.split(marker, 1)[1].splitlines()
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    header, separator, *body = rows
    assert set("".join(separator)) <= set("-: "), f"table {name!r} has no header separator"
    return [{h: cell.replace("`", "") for h, cell in zip(header, row, strict=True)} for row in body]


def documented(page: str, name: str) -> list[tuple[str, str]]:
    """``(column, dtype)`` of a column table, in order."""
    return [(row["column"], row["dtype"]) for row in table(page, name)]


def actual(df: pd.DataFrame, columns: list[str] | None = None) -> list[tuple[str, str]]:
    """``(column, dtype)`` of ``df`` (of ``columns`` only, if given), in order."""
    names = list(df.columns) if columns is None else columns
    return [(name, str(df[name].dtype)) for name in names]


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return make_dataset(200, seed=3).fulfillments


@pytest.fixture(scope="module")
def frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return fk.to_frame(records, remote_data=True)


def folded(columns: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], set[str]]:
    """``columns`` with the run of ``field_mappings.*`` columns replaced by one
    ``field_mappings.<key>`` entry; and the dtypes that run had."""
    out: list[tuple[str, str]] = []
    dtypes: set[str] = set()
    for name, dtype in columns:
        if name.startswith(FIELD_MAPPINGS_PREFIX + "."):
            dtypes.add(dtype)
            if not out or out[-1][0] != FIELD_MAPPINGS_ROW:
                out.append((FIELD_MAPPINGS_ROW, "?"))
        else:
            out.append((name, dtype))
    return out, dtypes


def test_the_frame_column_table_is_what_to_frame_returns(frame: pd.DataFrame) -> None:
    rows = documented("frames.md", "frame-columns")
    columns, mapping_dtypes = folded(actual(frame))
    assert mapping_dtypes, "the sandbox data should have field mappings"
    (mapping_dtype,) = {dtype for name, dtype in rows if name == FIELD_MAPPINGS_ROW}
    assert mapping_dtypes == {mapping_dtype}
    assert [(n, d if n != FIELD_MAPPINGS_ROW else mapping_dtype) for n, d in columns] == rows


def test_the_remote_data_columns_are_documented_as_such(
    records: list[dict[str, Any]], frame: pd.DataFrame
) -> None:
    plain = fk.to_frame(records, remote_data=False)
    extra = [name for name in frame.columns if name not in plain.columns]
    assert extra == ["shipment_status", "remote_data"]
    for row in table("frames.md", "frame-columns"):
        assert ("remote_data=True" in row["what"]) == (row["column"] in extra), row


def test_the_wide_column_table_is_what_explode_false_replaces(
    records: list[dict[str, Any]],
) -> None:
    wide = fk.to_frame(records, explode=False)
    replaced = [name for name in WIDE_SCHEMA if name not in SCHEMA]
    assert documented("frames.md", "wide-columns") == actual(wide, replaced)
    # "replaced, in place": the rest of the base columns keep their order
    assert [c for c in wide.columns if c in SCHEMA] == [c for c in SCHEMA if c in WIDE_SCHEMA]


def test_the_join_table_is_what_join_orders_appends(frame: pd.DataFrame) -> None:
    dataset = make_dataset(200, seed=3)
    joined = fk.join_orders(frame, dataset.orders)
    appended = [name for name in joined.columns if name not in frame.columns]
    assert list(joined.columns[: len(frame.columns)]) == list(frame.columns)
    assert documented("frames.md", "join-columns") == actual(joined, appended)
    assert joined["order_number"].notna().any()


def test_the_report_table_is_what_carrier_report_returns(frame: pd.DataFrame) -> None:
    report = fk.carrier_report(frame)
    assert report.index.name == "carrier"
    assert documented("carrier-report.md", "report-columns") == actual(report)
    without_status = fk.carrier_report(frame.drop(columns=["shipment_status"]))
    for row in table("carrier-report.md", "report-columns"):
        assert ("only with shipment_status" in row["what"]) == (
            row["column"] not in without_status.columns
        ), row


def test_the_findings_table_is_what_audit_returns(frame: pd.DataFrame) -> None:
    findings = fk.audit(frame)
    assert len(findings)
    assert documented("audit.md", "findings-columns") == actual(findings)
    severities = set(findings["severity"])
    assert severities <= {"error", "warning", "info"}


# -- the exception tree of fulfillkit.errors' docstring -------------------------------------


def docstring_tree() -> list[tuple[int, str]]:
    """``(depth, class name)`` of the tree drawn in ``fulfillkit.errors``' docstring: the
    lines from ``FulfillkitError`` to the next blank line, four columns a level."""
    lines = (inspect.getdoc(errors) or "").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "FulfillkitError")
    indent = len(lines[start]) - len(lines[start].lstrip())
    found = []
    for line in lines[start:]:
        if not line.strip():
            break
        name = re.search(r"[A-Za-z]\w*", line)
        assert name is not None, line
        found.append(((name.start() - indent) // 4, name.group()))
    return found


def class_tree() -> list[tuple[int, str]]:
    """``(depth, class name)`` of every public subclass of FulfillkitError, depth first."""
    importlib.import_module("fulfillkit.frames")

    def order(cls: type) -> tuple[int, int]:
        return (cls.__module__ != "fulfillkit.errors", inspect.getsourcelines(cls)[1])

    def walk(cls: type, depth: int) -> Iterator[tuple[int, str]]:
        yield depth, cls.__name__
        subclasses: list[type] = cls.__subclasses__()
        for sub in sorted(subclasses, key=order):
            if not sub.__name__.startswith("_"):
                yield from walk(sub, depth + 1)

    return list(walk(errors.FulfillkitError, 0))


def parents(tree: list[tuple[int, str]]) -> dict[str, str | None]:
    """Each class of a ``(depth, name)`` tree and its parent (sibling order aside)."""
    path: list[str] = []
    found: dict[str, str | None] = {}
    for depth, name in tree:
        del path[depth:]
        found[name] = path[-1] if path else None
        path.append(name)
    return found


def test_the_errors_docstring_draws_the_real_exception_tree() -> None:
    assert parents(docstring_tree()) == parents(class_tree())


# -- the API reference, the design page, the README -----------------------------------------


def test_the_api_reference_renders_every_public_name() -> None:
    pages = {p.name: p.read_text(encoding="utf-8") for p in (DOCS / "api").glob("*.md")}
    rendered = set(re.findall(r"^::: fulfillkit\.(\w+)$", pages["index.md"], re.MULTILINE))
    whole_modules = set(re.findall(r"^::: (fulfillkit\.[\w.]+)$", "".join(pages.values()), re.M))
    for name in fk.__all__:
        member = getattr(fk, name)
        if isinstance(member, type) and issubclass(member, errors.FulfillkitError):
            module = "fulfillkit.errors" if member.__module__ == errors.__name__ else None
            module = module or member.__module__.rsplit(".", 1)[0]
            assert module in whole_modules, f"{name}: its module {module} has no API page"
        else:
            assert name in rendered, f"fulfillkit.{name} is not in docs/api/index.md"
    assert not rendered - set(fk.__all__), "docs/api/index.md renders names not in __all__"


def test_the_design_tree_lists_every_module_of_the_package() -> None:
    text = (DOCS / "design.md").read_text(encoding="utf-8")
    tree = text.split("```text\nfulfillkit/\n", 1)[1].split("```", 1)[0]
    listed = {m["name"] for m in re.finditer(r"^  (?P<name>[\w]+(?:\.py|/))", tree, re.M)}
    package = ROOT / "fulfillkit"
    present = {p.name for p in package.glob("*.py")} | {
        f"{p.name}/" for p in package.iterdir() if (p / "__init__.py").exists()
    }
    assert listed == present


def test_the_readme_is_a_front_page_whose_links_work() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    first_section = text.split("\n## ", 1)[0]
    assert "make demo" in first_section
    assert "make test" in first_section
    links = re.findall(r"\]\((?!https?://)([^)#]+)(?:#[^)]*)?\)", text)
    assert links
    for link in links:
        assert (ROOT / link).exists(), f"README links to a missing {link}"


def test_every_docs_page_is_in_the_navigation() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:\n", 1)[1]
    listed = set(re.findall(r":\s+(\S+\.md)\s*$", nav, re.MULTILINE))
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md") if "hooks" not in p.parts}
    assert listed == pages


# -- the docstring rewrites of docs/hooks/sphinx_markup.py ----------------------------------


def hook(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, DOCS / "hooks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_restructuredtext_tables_become_markdown_tables() -> None:
    markup = hook("sphinx_markup")
    text = """Intro.

====  =========
rule  what
====  =========
a     the first
      continued
b     the second
====  =========

After."""
    assert markup.tables(text).splitlines() == [
        "Intro.",
        "",
        "| rule | what |",
        "|---|---|",
        "| a | the first continued |",
        "| b | the second |",
        "",
        "After.",
    ]


def test_shared_argument_entries_are_split() -> None:
    markup = hook("sphinx_markup")
    text = "Args:\n    a, b: as for x,\n        see y.\n    c: z."
    assert markup.shared_entries(text) == (
        "Args:\n    a: as for x,\n        see y.\n    b: as for x,\n        see y.\n    c: z."
    )


def test_generated_parts_are_known_and_an_unknown_one_fails() -> None:
    generated = hook("generated")
    for page in DOCS.rglob("*.md"):
        for name in generated.MARKER.findall(page.read_text(encoding="utf-8")):
            assert name in generated.GENERATORS, f"{page.name}: unknown generated part {name}"
    with pytest.raises(ValueError, match="unknown generated part"):
        generated.expand("<!-- generated: nothing -->")
    cli = generated.expand("<!-- generated: cli -->")
    for command in ("demo", "fetch", "report", "audit", "sandbox"):
        assert f"## `fulfillkit {command}`" in cli
    assert "--checkpoint FILE" in cli
