"""fulfillkit in Jupyter: the displays and the explorer widget, on top of everything else.

* :mod:`~fulfillkit.notebook.display`: the carrier report's view (``fk.display_report``)
  and a batch's HTML / text summary; :mod:`~fulfillkit.notebook.html`: shared HTML bits;
* the explorer (``fk.explorer()``), one widget per module:
  :mod:`~fulfillkit.notebook.explorer` (the composite), :mod:`~.fetch_panel`,
  :mod:`~.fulfillments_tab`, :mod:`~.grid` (itables' DataTables widget),
  :mod:`~.report_tab`, :mod:`~.audit_tab`, :mod:`~.charts_tab`, :mod:`~.history_tab`,
  :mod:`~.sync_tab`; its logic without widgets in :mod:`~fulfillkit.notebook.state`
  (``ExplorerState``) and :mod:`~fulfillkit.notebook.versions`; :mod:`~.worker` (the
  thread) and :mod:`~.log` (status line and log). :mod:`~.widgets` keeps the old import
  path.

Nothing is imported here, so ``import fulfillkit.notebook.display`` does not load
ipywidgets; use ``fk.explorer`` / ``fk.display_report`` from the top-level package.
"""
