"""fulfillkit in Jupyter: the displays and the explorer widget, on top of everything else.

* :mod:`~fulfillkit.notebook.display`: the carrier report's view (``fk.display_report``)
  and a batch's HTML / text summary;
* :mod:`~fulfillkit.notebook.widgets`: the explorer (``fk.explorer()``), an ipywidgets VBox;
* :mod:`~fulfillkit.notebook.html`: the HTML pieces both share.

Nothing is imported here, so ``import fulfillkit.notebook.display`` does not load
ipywidgets; use ``fk.explorer`` / ``fk.display_report`` from the top-level package.
"""
