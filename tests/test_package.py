"""The package's public face: sorted, complete, and light to import."""

from __future__ import annotations

import inspect
import subprocess
import sys
import types

import fulfillkit as fk


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert fk.__all__ == sorted(fk.__all__)
    for name in fk.__all__:
        assert getattr(fk, name) is not None, name


def test_exported_members() -> None:
    """As httpx's test of the same name: every public name resolves to a documented
    fulfillkit object, and the package shows nothing else."""
    for name in fk.__all__:
        member = getattr(fk, name)
        if name == "__version__":
            assert isinstance(member, str)
            continue
        assert inspect.getdoc(member), f"{name} has no docstring"
        module = getattr(member, "__module__", "")
        assert module == "fulfillkit" or module.startswith("fulfillkit."), (name, module)
    assert dir(fk) == sorted(fk.__all__)
    # What the module holds: the public names, the submodules Python binds, dunders, and
    # the lazy loader's private table; no helper (Any, TYPE_CHECKING, annotations, ...).
    for name, value in vars(fk).items():
        if name.startswith("_") or isinstance(value, types.ModuleType):
            continue
        assert name in fk.__all__, f"fulfillkit.{name} is not public but visible"


def test_dir_and_attributes_of_a_fresh_import_show_only_the_public_api() -> None:
    code = (
        "import fulfillkit as fk\n"
        "assert dir(fk) == sorted(fk.__all__), dir(fk)\n"
        "for name in ('Any', 'TYPE_CHECKING', 'annotations', 'importlib', 'typing'):\n"
        "    assert not hasattr(fk, name), name\n"
        "print(len(fk.__all__))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert int(out.stdout) == len(fk.__all__)


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
    assert issubclass(fk.OutputPathError, ValueError)
    assert issubclass(fk.InvalidDataError, TypeError)


def test_the_version_lives_in_one_place() -> None:
    from importlib.metadata import version
    from pathlib import Path

    assert version("fulfillkit") == fk.__version__
    pyproject = (Path(fk.__file__).parents[1] / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and "\nversion =" not in pyproject


def test_the_package_is_marked_typed() -> None:
    from pathlib import Path

    assert (Path(fk.__file__).parent / "py.typed").is_file()
