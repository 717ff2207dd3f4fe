"""The explorer's fetch controls: ids (pasted or uploaded), ``remote_data``, Fetch and Stop.

:class:`FetchPanel` only collects what to fetch; the explorer runs the fetch (in its
worker thread) when **Fetch** is pressed. Ids are read by
:func:`fulfillkit.fetch.protocol.parse_ids` (one per line, or separated by commas,
semicolons or spaces; ``#`` starts a comment); an uploaded ``.csv`` gives its ``id``
column, else its first (:func:`ids_from_file`).

Example:
    >>> panel = FetchPanel()
    >>> panel.ids_text.value = "a, b\\nb"
    >>> panel.ids(), panel.ids_count.value
    (['a', 'b'], "<span class='fk-muted'>2 distinct ids</span>")
    >>> panel.close()
"""

from __future__ import annotations

import csv
import html
import io
from typing import Any

import ipywidgets as w

from fulfillkit.fetch.protocol import parse_ids
from fulfillkit.notebook.html import muted

__all__ = ["FetchPanel", "ids_from_file"]


def ids_from_file(name: str, content: bytes) -> list[str]:
    """Ids from an uploaded file: a CSV's ``id`` column (else its first column), or any
    other text parsed like pasted text.

    Example:
        >>> ids_from_file("ids.csv", b"order,id\\no1,a\\no2,b\\n")
        ['a', 'b']
    """
    text = content.decode("utf-8-sig", errors="replace")
    if not name.lower().endswith(".csv"):
        return parse_ids(text)
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    if "id" in header:
        column, body = header.index("id"), rows[1:]
    else:
        column, body = 0, rows
    return parse_ids("\n".join(row[column] for row in body if len(row) > column))


class FetchPanel(w.VBox):  # type: ignore[misc]
    """Ids, an upload, ``remote_data``, Fetch / Stop and (for the sandbox) "Sandbox ids".

    Children for tests and scripts: ``ids_text``, ``ids_count``, ``upload``,
    ``sandbox_button``, ``remote_data``, ``fetch_button``, ``stop_button``; ``loaded``
    (safe HTML) says what an upload loaded.
    """

    def __init__(self, *, sandbox: bool = False) -> None:
        button = w.Layout(width="auto")
        self.ids_text = w.Textarea(
            placeholder="Paste fulfillment ids: one per line, or separated by commas or spaces",
            layout=w.Layout(width="100%", height="96px"),
        )
        self.ids_count = w.HTML()
        self.upload = w.FileUpload(
            accept=".txt,.csv,.tsv,.ids", multiple=False, description="Upload ids"
        )
        self.remote_data = w.Checkbox(value=False, description="remote_data", indent=False)
        self.fetch_button = w.Button(
            description="Fetch", button_style="primary", icon="download", layout=button
        )
        self.stop_button = w.Button(description="Stop", icon="stop", disabled=True, layout=button)
        self.sandbox_button = w.Button(
            description="Sandbox ids",
            icon="flask",
            tooltip="Fill in the sandbox's ids (and two unknown ones)",
            layout=w.Layout(width="auto", display="" if sandbox else "none"),
        )
        self.loaded = ""
        row = [self.upload, self.sandbox_button, self.remote_data]
        row += [self.fetch_button, self.stop_button, self.ids_count]
        wrap = w.Layout(align_items="center", flex_flow="row wrap")
        super().__init__([self.ids_text, w.HBox(row, layout=wrap)])
        self.ids_text.observe(self._on_ids_changed, names="value")
        self.upload.observe(self._on_upload, names="value")

    def ids(self) -> list[str]:
        """The distinct ids typed or loaded, in order."""
        return parse_ids(self.ids_text.value)

    def running(self, running: bool) -> None:
        """Buttons for a fetch that runs (Stop on) or not (Fetch on)."""
        self.fetch_button.disabled = running
        self.stop_button.disabled = not running

    def _on_ids_changed(self, change: dict[str, Any]) -> None:
        n = len(parse_ids(str(change["new"])))
        self.ids_count.value = muted(f"{n:,} distinct ids") if n else ""

    def _on_upload(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if not files:
            return
        upload = files[0]
        name = str(upload.get("name", "ids.txt"))
        ids = ids_from_file(name, bytes(upload["content"]))
        self.loaded = f"Loaded {len(ids):,} ids from {html.escape(name)}."
        self.ids_text.value = "\n".join(ids)
