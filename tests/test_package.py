"""The package's public face: sorted, complete, and light to import."""

from __future__ import annotations

import subprocess
import sys

import fulfillkit as fk


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert fk.__all__ == sorted(fk.__all__)
    for name in fk.__all__:
        assert getattr(fk, name) is not None, name


def test_import_has_no_heavy_side_effects() -> None:
    code = (
        "import sys, fulfillkit\n"
        "heavy = [m for m in ('pandas', 'pyarrow', 'uvicorn', 'ipywidgets', 'matplotlib')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_exception_tree_has_one_root() -> None:
    for name in fk.__all__:
        obj = getattr(fk, name)
        is_error = isinstance(obj, type) and issubclass(obj, BaseException)
        if is_error and not issubclass(obj, Warning):
            assert issubclass(obj, fk.FulfillkitError), name
    assert issubclass(fk.TimeoutError, fk.NetworkError)
    assert issubclass(fk.InvalidIdError, ValueError)


def test_the_version_lives_in_one_place() -> None:
    from importlib.metadata import version
    from pathlib import Path

    assert version("fulfillkit") == fk.__version__
    pyproject = (Path(fk.__file__).parents[1] / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and "\nversion =" not in pyproject


def test_the_package_is_marked_typed() -> None:
    from pathlib import Path

    assert (Path(fk.__file__).parent / "py.typed").is_file()
