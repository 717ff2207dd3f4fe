"""The explorer's public names where they have always been imported from.

The explorer is one module per widget now: :mod:`~fulfillkit.notebook.explorer` (the
composite, :func:`explorer`), :mod:`~fulfillkit.notebook.fetch_panel`,
:mod:`~fulfillkit.notebook.fulfillments_tab`, :mod:`~fulfillkit.notebook.grid`, the other
tabs, and its state without widgets, :mod:`~fulfillkit.notebook.state`. ``fk.explorer``
is :func:`explorer`.

Example:
    >>> from fulfillkit.notebook.widgets import explorer, parse_ids
    >>> parse_ids("a b a")
    ['a', 'b']
"""

from __future__ import annotations

from fulfillkit.fetch.protocol import parse_ids
from fulfillkit.notebook.explorer import PAGE_SIZE, Explorer, explorer
from fulfillkit.notebook.fetch_panel import ids_from_file

__all__ = ["PAGE_SIZE", "Explorer", "explorer", "ids_from_file", "parse_ids"]
