"""Optional dependencies: import one, or fail with one line that names the extra to install.

fulfillkit's core (fetching, frames, reports, the explorer) installs with ``pip install
fulfillkit``; heavier parts are extras: ``plots`` (matplotlib) and ``dask`` (Dask and
distributed). Every module that needs an extra imports it through :func:`require`, so a
missing one is never a bare ``ModuleNotFoundError: No module named 'matplotlib'`` but::

    ImportError: fk.plot_carriers needs matplotlib: pip install 'fulfillkit[plots]'

This module sits at the bottom layer (it imports nothing from fulfillkit), so any layer
may use it.

Example:
    >>> require("json", "plots", "a feature").__name__
    'json'
    >>> require("surely_not_installed_x", "plots", "fk.plot_carriers")
    Traceback (most recent call last):
    ...
    ImportError: fk.plot_carriers needs surely_not_installed_x: pip install 'fulfillkit[plots]'
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module`` (a dotted name) for ``feature``; if it (or its top package) is not
    installed, raise an ``ImportError`` whose one-line message names the extra to install.

    Only a missing distribution is translated: an error raised while importing an installed
    module propagates as it is, so a real bug is not disguised as "not installed".
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        parts = module.split(".")
        if exc.name not in {".".join(parts[:i]) for i in range(1, len(parts) + 1)}:
            raise  # installed, but broken inside: not ours to rename
        message = f"{feature} needs {parts[0]}: pip install 'fulfillkit[{extra}]'"
        raise ImportError(message, name=parts[0]) from None
