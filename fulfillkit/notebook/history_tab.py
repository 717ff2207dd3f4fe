"""The explorer's History tab (on a store): every stored version of one fulfillment.

Pick one of the fulfillments that changed most, or paste any id, and see what changed
from version to version (:func:`~fulfillkit.notebook.versions.version_changes`) and the
versions themselves (:meth:`fulfillkit.Store.history`) in a grid.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, Final

import ipywidgets as w

from fulfillkit.notebook.grid import Grid
from fulfillkit.notebook.html import frame_html, muted
from fulfillkit.notebook.log import Log
from fulfillkit.notebook.versions import version_changes

if TYPE_CHECKING:
    from fulfillkit.store import Store

__all__ = ["HistoryTab"]

MOST_CHANGED: Final = 50
"""How many of the most-changed fulfillments the picker offers."""
_SHOWN: Final = ("raw_json", "remote_data")


class HistoryTab(w.VBox):  # type: ignore[misc]
    """``pick`` (most-changed ids), ``id_text`` and ``show_button``, ``changes`` (HTML),
    ``grid`` (the versions); ``history`` is the last history shown."""

    def __init__(self, store: Store, log: Log, *, page_length: int) -> None:
        self.store, self.logbook = store, log
        self.history: Any = None
        self.pick = w.Dropdown(
            options=[("(sync twice to see changes)", "")],
            value="",
            description="Changed most",
            layout=w.Layout(width="460px"),
            style={"description_width": "initial"},
        )
        self.id_text = w.Text(
            placeholder="or paste a fulfillment id",
            description="Id",
            layout=w.Layout(width="420px"),
        )
        self.show_button = w.Button(description="Show versions", icon="history")
        self.changes = w.HTML(muted("Pick or paste a fulfillment id."))
        self.grid = Grid(page_length=page_length, empty="No fulfillment picked yet.")
        row = w.HBox(
            [self.pick, self.id_text, self.show_button],
            layout=w.Layout(align_items="center", flex_flow="row wrap"),
        )
        super().__init__([row, self.changes, self.grid])
        self.pick.observe(self._on_pick, names="value")
        self.show_button.on_click(lambda _: self._on_show())

    def refresh(self) -> None:
        """The picker's ids: the fulfillments with the most stored versions."""
        if not self.store.connections():
            return
        top = self.store.sql(
            "select id, count(*) as versions from versions where resource = 'fulfillments' "
            "group by id having count(*) > 1 order by versions desc, id limit ?",
            [MOST_CHANGED],
        )
        options = [(f"{r.id} ({r.versions} versions)", str(r.id)) for r in top.itertuples()]
        current = self.pick.value
        self.pick.options = [("(pick one)" if options else "(no record changed yet)", "")]
        self.pick.options = [*self.pick.options, *options]
        self.pick.value = current if current in {v for _, v in options} else ""

    def show(self, record_id: str) -> None:
        """Show the versions of ``record_id`` (surrounding whitespace ignored)."""
        record_id = record_id.strip()
        if not record_id:
            self.changes.value = muted("Pick or paste a fulfillment id.")
            return
        history = self.store.history(record_id)
        self.history = history
        if history.empty:
            self.changes.value = muted(f"No fulfillment {html.escape(record_id)} in the store.")
            self.grid.show(history.iloc[:0, :0], note="")
            return
        changed = version_changes(history)
        n = len(history)
        head = f"<b>{html.escape(record_id)}</b>: {n} version{'s' if n != 1 else ''}"
        self.changes.value = head + (
            frame_html(changed) if len(changed) else muted(" (never changed)")
        )
        shown = history.drop(columns=[c for c in _SHOWN if c in history.columns])
        shown = shown.astype(object).where(shown.notna(), "")
        self.grid.show(shown.astype(str), note=f"{n} version(s), oldest first")

    def _on_pick(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.id_text.value = str(change["new"])
            self._on_show()

    def _on_show(self) -> None:
        with self.logbook.logged():
            self.show(self.id_text.value)
