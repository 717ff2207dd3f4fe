"""Optional dependencies: a missing extra fails with one line naming it; the core (the
explorer included) works without the extras. Each case hides a module in a fresh
interpreter (``sys.modules[name] = None``), so nothing leaks into this one."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fulfillkit.optional import require

HIDE = "import sys\nfor name in {names!r}:\n    sys.modules[name] = None\n"


def run(code: str, *hidden: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", HIDE.format(names=hidden) + code],
        capture_output=True,
        text=True,
        timeout=180,
    )


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    return result.stderr.strip().splitlines()[-1]


def test_require_names_the_extra_in_one_line() -> None:
    with pytest.raises(ImportError) as info:
        require("surely_not_installed_x.sub", "plots", "fk.plot_carriers")
    assert str(info.value) == (
        "fk.plot_carriers needs surely_not_installed_x: pip install 'fulfillkit[plots]'"
    )
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert require("json.decoder", "plots", "x").__name__ == "json.decoder"


def test_require_lets_a_broken_installed_module_raise_its_own_error(tmp_path: object) -> None:
    code = (
        "import pathlib, sys, tempfile\n"
        "d = pathlib.Path(tempfile.mkdtemp())\n"
        "(d / 'brokenmod.py').write_text('import surely_not_installed_y\\n')\n"
        "sys.path.insert(0, str(d))\n"
        "from fulfillkit.optional import require\n"
        "require('brokenmod', 'plots', 'x')\n"
    )
    result = run(code)
    assert result.returncode != 0
    assert "No module named 'surely_not_installed_y'" in last_line(result)


@pytest.mark.parametrize(
    ("code", "hidden", "message"),
    [
        (
            "import fulfillkit as fk\nfk.plot_carriers(fk.to_frame([]))",
            ("matplotlib",),
            "ImportError: fk.plot_carriers needs matplotlib: pip install 'fulfillkit[plots]'",
        ),
        (
            "import fulfillkit as fk\nfk.plot_timeline(fk.to_frame([]))",
            ("matplotlib",),
            "ImportError: fk.plot_timeline needs matplotlib: pip install 'fulfillkit[plots]'",
        ),
        (
            "import fulfillkit.dask",
            ("dask", "dask.dataframe"),
            "ImportError: fulfillkit.dask needs dask: pip install 'fulfillkit[dask]'",
        ),
        (
            "import fulfillkit as fk\nfk.report_html(fk.to_frame([]), '/nonexistent/r.html')",
            ("jinja2",),
            "ImportError: fk.report_html needs jinja2: pip install 'fulfillkit[report]'",
        ),
        (
            "import fulfillkit as fk\nfk.to_polars([{'id': 'a'}])",
            ("polars",),
            "ImportError: fk.to_polars needs polars: pip install 'fulfillkit[polars]'",
        ),
    ],
)
def test_a_missing_extra_fails_with_one_line(code: str, hidden: tuple[str], message: str) -> None:
    result = run(code, *hidden)
    assert result.returncode != 0
    assert last_line(result) == message
    assert "ModuleNotFoundError" not in result.stderr


def test_the_explorer_works_without_matplotlib() -> None:
    code = (
        "import fulfillkit as fk\n"
        "ex = fk.explorer()\n"
        "try:\n"
        "    ex.fetch_button.click(); ex.wait(120)\n"
        "    assert ex.frame is not None and len(ex.frame) > 0, 'nothing fetched'\n"
        "    assert '<b>Carrier report</b>' in ex.report.value\n"
        "    ex.tabs.selected_index = ex.tabs.children.index(ex.charts)\n"
        "    note = ex.charts.note.value\n"
        "    assert 'needs matplotlib: pip install &#x27;fulfillkit[plots]' in note\n"
        "finally:\n"
        "    ex.close()\n"
        "print('ok')\n"
    )
    result = run(code, "matplotlib")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")
