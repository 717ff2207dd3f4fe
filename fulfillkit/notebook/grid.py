"""The explorer's data grid: itables' ``ITable`` widget (DataTables), set up for fulfillments.

Why itables: DataTables is a maintained, widely used grid (sorting, search, SearchBuilder's
per-column conditions, column visibility) and itables ships it inside its wheel, together
with an `anywidget <https://anywidget.dev>`_ widget whose JavaScript travels with the
widget's model. So the grid works offline in JupyterLab, classic Notebook and VS Code, with
no CDN and no notebook extension to enable, and no trusted-HTML step (ipydatagrid needs its
own lab extension and has no per-column conditions or column chooser built in; AG Grid
widgets fetch their scripts or need a licence for the filter tools). Values are escaped by
itables (``allow_html=False``), every one of them, before they reach the page.

:class:`Grid` shows a frame it is given, already cut to what the browser should hold (the
explorer gives it a window of :data:`~fulfillkit.notebook.state.WINDOW_ROWS` rows): a note
line above the table says what the rows are. Long ids and URLs are shown short (a CSS
ellipsis): the cell holds the full text, so hovering shows it (``title``) and copying
copies it.

Example:
    >>> import pandas as pd
    >>> grid = Grid()
    >>> grid.show(pd.DataFrame({"id": ["0c6f1f3e-5d7a-4d6c-9c4e-2f6a1b7e9d10"]}), note="1 row")
    >>> grid.frame["id"].tolist(), grid.options["columnDefs"][0]["targets"]
    (['0c6f1f3e-5d7a-4d6c-9c4e-2f6a1b7e9d10'], [0])
    >>> grid.close()
"""

from __future__ import annotations

import html
from typing import Any, Final

import ipywidgets as w
import pandas as pd

__all__ = ["GRID_CSS", "ID_COLUMNS", "URL_COLUMNS", "Grid"]

ID_COLUMNS: Final = frozenset({"id", "order_id", "remote_id", "content_hash"})
"""Columns shown short (their UUIDs), full on hover and copy."""
URL_COLUMNS: Final = frozenset({"tracking_url", "remote_data", "raw_json", "items"})
"""Columns shown cut to a URL's width, full on hover and copy."""

GRID_CSS: Final = """
.fk-explorer .fk-short{display:inline-block;max-width:9.5ch;overflow:hidden;
 text-overflow:ellipsis;white-space:nowrap;vertical-align:bottom}
.fk-explorer .fk-url{display:inline-block;max-width:26ch;overflow:hidden;
 text-overflow:ellipsis;white-space:nowrap;vertical-align:bottom}
.fk-explorer .fk-grid-note{color:#555;margin:2px 0 4px}
.fk-explorer .fk-grid{overflow-x:auto}
.fk-explorer .dt-container{font-size:12px}
"""
"""Style of the short cells and the note (the explorer puts it in the page once)."""

# DataTables calls this for every cell of the id / URL columns. ``data`` is already
# HTML-escaped by itables (& < >); the quote is escaped here for the attribute. The cell
# keeps the full text: the ellipsis is CSS, so copy gives the whole value.
_SHORT: Final = """function (data, type) {
  if (type !== 'display' || data === null || data === undefined || data === '') {
    return data;
  }
  var text = String(data);
  return '<span class="%s" title="' + text.replace(/"/g, '&quot;') + '">' + text + '</span>';
}"""


class Grid(w.VBox):  # type: ignore[misc]
    """A note and a DataTables grid; :meth:`show` replaces what it holds.

    Args:
        page_length: rows per page of the grid (the page-size menu offers others).
        empty: what the note says before anything is shown.
    """

    def __init__(self, *, page_length: int = 50, empty: str = "Nothing to show yet.") -> None:
        self.page_length = max(1, int(page_length))
        self.note = w.HTML(f"<div class='fk-grid-note'>{html.escape(empty)}</div>")
        self.frame: pd.DataFrame = pd.DataFrame()
        self.options: dict[str, Any] = {}
        self.table: Any = None  # the ITable, made on the first show
        super().__init__([self.note], layout=w.Layout(width="100%"))
        self.add_class("fk-grid")

    def show(self, frame: pd.DataFrame, *, note: str = "") -> None:
        """Put ``frame`` in the grid (its index is not shown) and ``note`` (plain text,
        escaped here) above it."""
        from itables.widget import ITable

        self.frame = frame
        self.options = self._options(frame)
        self.note.value = f"<div class='fk-grid-note'>{html.escape(note)}</div>"
        if self.table is None:
            self.table = ITable(frame, **self.options)
            self.children = [self.note, self.table]
        else:
            self.table.update(frame, **self.options)

    def close(self) -> None:
        if self.table is not None:
            self.table.close()
        self.note.close()
        super().close()

    def _options(self, frame: pd.DataFrame) -> dict[str, Any]:
        from itables.typing import JavascriptFunction

        columns = [str(c) for c in frame.columns]
        defs: list[dict[str, Any]] = []
        for names, css in ((ID_COLUMNS, "fk-short"), (URL_COLUMNS, "fk-url")):
            targets = [i for i, c in enumerate(columns) if c in names]
            if targets:
                defs.append({"targets": targets, "render": JavascriptFunction(_SHORT % css)})
        small = len(frame) <= self.page_length
        options: dict[str, Any] = {
            "showIndex": False,
            "maxBytes": 0,  # the explorer sizes the window itself; never a silent sample
            "allow_html": False,
            "order": [],
            "text_in_header_can_be_selected": False,  # a click on a header sorts by it
            "pageLength": self.page_length,
            "lengthMenu": [10, 25, 50, 100, 500],
            "classes": "display nowrap compact cell-border",
            "style": "width:100%;margin:0",
            "layout": {
                "top1": "searchBuilder",
                "topStart": {"buttons": ["colvis"]},
                "topEnd": "search",
                "bottomStart": "info",
                "bottomEnd": None if small else "paging",
            },
            "language": {
                "search": "Search these rows:",
                "searchBuilder": {"title": {"0": "Conditions", "_": "Conditions (%d)"}},
            },
            "columnDefs": defs,
        }
        return options
