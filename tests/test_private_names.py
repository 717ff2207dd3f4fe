"""No private name crosses a module: what another module needs is public where it lives
(or moved). ``make check``'s import-linter keeps the layers; this keeps the rooms."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "fulfillkit"


def _private_imports(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or node.level):
            module = node.module or ""
            if node.level == 0 and not module.startswith("fulfillkit"):
                continue  # another package's names are its own business
            found += [
                f"{path.relative_to(root)}:{node.lineno} imports {alias.name} "
                f"from {'.' * node.level}{module}"
                for alias in node.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            ]
    return found


def test_no_private_name_is_imported_across_modules() -> None:
    offenders = [line for path in sorted(PACKAGE.rglob("*.py")) for line in _private_imports(path)]
    assert offenders == []


def test_the_check_sees_a_private_import(tmp_path: Path) -> None:
    sample = tmp_path / "probe.py"
    sample.write_text(
        "from fulfillkit.frames.build import _build, to_frame\nfrom .sibling import _x\n"
        "from pandas import _libs\n",
        encoding="utf-8",
    )
    assert _private_imports(sample, tmp_path) == [
        "probe.py:1 imports _build from fulfillkit.frames.build",
        "probe.py:2 imports _x from .sibling",
    ]
