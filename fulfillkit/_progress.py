"""Progress bars through ``tqdm.auto``: a widget in Jupyter, text in a terminal.

``progress=None`` (the default) shows a bar unless the environment says otherwise: tqdm
reads ``TQDM_DISABLE=1`` (and every other ``TQDM_*`` setting) for arguments that are *not*
passed, so ``disable=False`` is never passed. tqdm reads the environment once, when it is
imported; ``TQDM_DISABLE`` is also read at each call here, so setting it later (``%env
TQDM_DISABLE=1`` in a notebook) works too.
The bar shows done/total, the rate and an error count; never an id, a URL or a secret.

Example:
    >>> bar = progress_bar(total=3, progress=False)
    >>> bar.update(3); bar.close()
"""

from __future__ import annotations

import os
from typing import Any

from tqdm.auto import tqdm

__all__ = ["progress_bar"]


def _env_disabled() -> bool:
    value = os.environ.get("TQDM_DISABLE", "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


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
    if progress is False or (progress is None and _env_disabled()):
        kwargs["disable"] = True
    return tqdm(**kwargs)
