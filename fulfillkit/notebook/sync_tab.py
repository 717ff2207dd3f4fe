"""The explorer's Sync tab (on a store with a client): bring the store up to date.

**Sync** runs :meth:`fulfillkit.Store.sync` in the explorer's worker thread (the kernel
stays free: the other tabs keep working, and a second press while it runs is ignored) and
shows its :class:`~fulfillkit.SyncReport`. ``refresh`` is the sync's choice of how to find
changed records: ``auto`` (the cheaper of re-reading open records or rescanning),
``open``, ``all`` (rescan), ``none`` (new records only). Afterwards the explorer reloads
the store. A sync has no stop button: it commits page by page, so closing the explorer
waits for it (at most ten seconds) and anything committed stays.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

import ipywidgets as w

from fulfillkit.errors import FulfillkitError
from fulfillkit.notebook.html import bad, muted
from fulfillkit.notebook.log import Log
from fulfillkit.notebook.worker import Worker

if TYPE_CHECKING:
    from fulfillkit.client import Client
    from fulfillkit.store import Store, SyncReport
    from fulfillkit.store.sync import Refresh

__all__ = ["SyncTab"]


class SyncTab(w.VBox):  # type: ignore[misc]
    """``refresh`` (dropdown), ``sync_button``, ``status`` (what it is doing), ``report``
    (the last :class:`~fulfillkit.SyncReport` as HTML); ``last_report`` is that report.
    ``synced(report)`` is called from the worker thread after each sync."""

    def __init__(
        self,
        store: Store,
        client: Client | None,
        log: Log,
        worker: Worker,
        synced: Callable[[SyncReport | None], None],
    ) -> None:
        self.store, self.client, self.logbook = store, client, log
        self.worker, self.synced = worker, synced
        self.last_report: SyncReport | None = None
        self.refresh = w.Dropdown(
            options=["auto", "open", "all", "none"], value="auto", description="refresh"
        )
        self.sync_button = w.Button(
            description="Sync", icon="refresh", button_style="primary", disabled=client is None
        )
        self.status = w.HTML(
            muted("Press Sync to bring the store up to date.")
            if client is not None
            else muted("No client: open the explorer with fk.explorer(store, client=client).")
        )
        self.report = w.HTML()
        row = w.HBox([self.refresh, self.sync_button], layout=w.Layout(align_items="center"))
        super().__init__([row, self.status, self.report])
        self.sync_button.on_click(lambda _: self.start())

    def start(self) -> bool:
        """Start a sync in the worker thread (``False`` if no client or one is running)."""
        if self.client is None or self.worker.running:
            return False
        client, refresh = self.client, str(self.refresh.value)
        self.sync_button.disabled = True
        self.status.value = f"Syncing {html.escape(repr(self.store))} (refresh={refresh})…"
        return self.worker.start(lambda stop: self._run(client, refresh, stop))

    def _run(self, client: Client, refresh: str, stop: threading.Event) -> None:
        started = time.monotonic()
        report: SyncReport | None = None
        try:
            report = self.store.sync(client, refresh=cast("Refresh", refresh), progress=False)
        except FulfillkitError as exc:
            from fulfillkit.store import SyncReport

            partial = exc.partial
            report = partial if isinstance(partial, SyncReport) else None
            self.status.value = bad(html.escape(f"{type(exc).__name__}: {exc}"))
            self.logbook.write(f"sync failed: {type(exc).__name__}: {exc}")
        except Exception as exc:  # shown in the widget; the kernel log would hide it
            self.logbook.failure(exc)
            self.status.value = bad("The sync failed: see the Log tab.")
        else:
            self.status.value = f"Synced in {time.monotonic() - started:.1f} s."
        finally:
            self.sync_button.disabled = self.client is None
        self.last_report = report
        if report is not None:
            self.report.value = report._repr_html_()
        if not stop.is_set():
            self.synced(report)
