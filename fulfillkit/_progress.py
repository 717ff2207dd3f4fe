"""Progress bars through ``tqdm.auto``: a widget in Jupyter, text in a terminal.

``progress=None`` (the default) shows a bar unless the environment says otherwise: tqdm
reads ``TQDM_DISABLE=1`` (and every other ``TQDM_*`` setting) for arguments that are *not*
passed, so ``disable`` is passed only when the caller said ``progress=False``.
The bar shows done/total, the rate and an error count; never an id, a URL or a secret.

Example:
    >>> bar = progress_bar(total=3, progress=False)
    >>> bar.update(3); bar.close()
"""

from __future__ import annotations

from typing import Any

from tqdm.auto import tqdm

__all__ = ["progress_bar"]


def progress_bar(
    *, total: int, progress: bool | None, desc: str = "fulfillments", initial: int = 0
) -> Any:
    """A ``tqdm.auto`` bar for ``total`` records; disabled only when ``progress`` is False."""
    kwargs: dict[str, Any] = {
        "total": total,
        "initial": initial,
        "desc": desc,
        "unit": " rec",
        "dynamic_ncols": True,
        "smoothing": 0.05,
        "mininterval": 0.2,
    }
    if progress is False:
        kwargs["disable"] = True
    return tqdm(**kwargs)
