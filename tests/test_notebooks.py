"""The example notebooks: each runs top to bottom against the sandbox, with no credentials,
and none is committed with outputs."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = [
    "01-quickstart.ipynb",
    "02-carrier-report.ipynb",
    "03-explorer.ipynb",
    "04-keep-it-current.ipynb",
]


def test_the_notebooks_are_there() -> None:
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has outputs: clear them"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"
    assert "widgets" not in nb.metadata, f"{path.name} carries saved widget state"
    assert nb.metadata.kernelspec.name == "python3"


def kernel_env(out: Path) -> dict[str, str]:
    """This environment without Panora credentials, exports into ``out``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANORA_")}
    env["FULFILLKIT_OUT"] = str(out)
    env["MPLBACKEND"] = "Agg"
    env.pop("FULFILLKIT_IDS", None)
    return env


def run_notebook(path: Path, out: Path) -> Any:
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute(env=kernel_env(out))
    return nb


def outputs_of(nb: Any, kind: str) -> list[Any]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if kind in o]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path: Path, tmp_path: Path) -> None:
    before = sorted(p.name for p in NOTEBOOK_DIR.iterdir())
    started = time.monotonic()
    nb = run_notebook(path, tmp_path / "out")  # raises CellExecutionError on any error
    assert time.monotonic() - started < 60
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in errors if o.get("output_type") == "error"]
    # nothing written next to the notebooks: exports go to FULFILLKIT_OUT
    assert sorted(p.name for p in NOTEBOOK_DIR.iterdir()) == before
    if path.name.startswith("01"):
        written = sorted(p.name for p in (tmp_path / "out").iterdir())
        assert written == ["fulfillments-sandbox.csv", "fulfillments-sandbox.parquet"]
    if path.name.startswith("02"):
        pngs = [o for o in outputs_of(nb, "data") if "image/png" in o["data"]]
        assert len(pngs) == 3, "plot_carriers and two timelines show as pictures, once each"
        assert (tmp_path / "out" / "carriers.png").stat().st_size > 10_000
    if path.name.startswith("03"):
        views = [
            o
            for o in outputs_of(nb, "data")
            if "application/vnd.jupyter.widget-view+json" in o["data"]
        ]
        assert len(views) == 2, "the explorer and the store workbench are displayed"
